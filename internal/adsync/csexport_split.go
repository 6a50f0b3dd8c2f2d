package adsync

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The splitter cuts the document into chunks of whole top-level items
// (<cs-object> elements) so that several xmlquery stream parsers can run in
// parallel: encoding/xml, underneath xmlquery, runs at about 30 MB/s on one
// core, half of what lxml manages. The splitter is only a lexer: it tracks
// tags, quotes, comments, CDATA and PIs to know the element depth and where
// each item ends; it never interprets content. Every byte still goes through
// encoding/xml in strict mode exactly once (chunk 0 carries the prolog, later
// chunks are wrapped in a copy of the root start tag), so well-formedness is
// checked as before. If the splitter were ever fooled by malformed input, the
// chunk it produced would have unbalanced tags and encoding/xml rejects it.
//
// It also does the checks that need the document level, which xmlquery's
// stream parser hides from us:
//   - a DOCTYPE, or any <!…> declaration other than a comment or CDATA, is
//     refused. csexport never writes one; encoding/xml would neither fetch
//     nor expand entities anyway, but refusing it keeps entity tricks out;
//   - text before the root (garbage, a PowerShell error redirected into the
//     file) is an error; encoding/xml would silently skip it;
//   - the root must be the expected element, so "0 objects" always means a
//     real, empty <cs-objects/>;
//   - only whitespace, comments and PIs may follow the root element.

// chunk is one unit of work for a parser goroutine.
type docChunk struct {
	prefix []byte // copy of the root start tag; empty for the first chunk
	body   []byte // the document bytes
	close  string // synthetic root end tag for all but the last chunk
	line   int    // line number of body[0]
	err    error  // a splitter error, reported after the chunk's objects

	skipped  []SkippedObject // items cut out of body (at its end), reported after its objects
	itemCost int             // the highest itemCost in body, for the memory budget
	units    int             // of the memory budget it holds
}

// lexer states
const (
	lxText     = iota
	lxLt       // after '<'
	lxStartTag // inside <name ...>
	lxQuote    // inside a quoted attribute value of a start tag
	lxEndTag   // inside </name ...>
	lxBang     // after "<!"
	lxBangDash // after "<!-"
	lxComment  // inside <!-- -->
	lxCDATA    // inside <![ ]]>
	lxPI       // inside <? ?>
)

type splitter struct {
	src    io.Reader
	root   string
	target int // chunk size to aim for

	buf   []byte // bytes not yet handed out; buf[0] is on line `line`
	line  int
	pos   int // next byte to lex
	cut   int // end of the last complete item in buf
	first bool

	st       int
	quote    byte
	tokStart int // start of the current construct ('<') in buf
	depth    int
	rootSeen bool
	closed   bool // root end tag seen (or root self-closing)
	rootEnd  int  // offset in buf just past the root's end; <= 0 once handed out
	content  bool // any non-whitespace byte seen
	rootTag  []byte
	rootName string
	done     bool // an error was handed out: no more chunks

	// Per-item limits (csexport_limits.go).
	lim       itemLimits
	itemName  string // the item element, for messages
	dnAttr    string // attribute of an item's start tag that names it
	inItem    bool   // between the '<' of an item's start tag and its end
	item      itemState
	skipping  bool            // the current item exceeded a limit: lex, drop, never parse
	skips     []SkippedObject // skipped items not yet handed out
	nlDropped int             // newlines in dropped bytes not yet counted in line
	forceCut  bool            // a skipped item just ended: hand out the chunk before it
}

func newSplitter(src io.Reader, spec streamSpec, target int, lim itemLimits) *splitter {
	return &splitter{src: src, root: spec.root, itemName: spec.item, dnAttr: spec.dnAttr, target: target, lim: lim, line: 1, first: true}
}

// next returns the next chunk, or io.EOF after the last one.
func (s *splitter) next() (docChunk, error) {
	if s.done {
		return docChunk{}, io.EOF
	}
	for {
		if s.cut >= s.target || s.forceCut {
			s.forceCut = false
			return s.emit(s.cut, false), nil
		}
		if s.pos == len(s.buf) {
			if s.skipping {
				s.dropSkipped()
			}
			if err := s.fill(); err != nil {
				return s.finish(err)
			}
			continue
		}
		if err := s.lex(); err != nil {
			c := s.emit(s.cut, false)
			c.err, s.done = err, true
			return c, nil
		}
		s.checkItem()
	}
}

func (s *splitter) fill() error {
	if cap(s.buf)-len(s.buf) < 32<<10 {
		// Grow by half, not double: a chunk keeps the whole array alive, and
		// an item near the size limit would otherwise pin twice its size.
		nb := make([]byte, len(s.buf), max(cap(s.buf)+cap(s.buf)/2, s.target+64<<10))
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.src.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// finish handles the end of the input (err == io.EOF) or a read error.
func (s *splitter) finish(err error) (docChunk, error) {
	if err == io.EOF && s.skipping {
		// Nothing of the skipped item is parsed, so say here that the file
		// ends inside it (no DN: error text may end up in a log line).
		o := s.skips[len(s.skips)-1]
		s.dropFrom(s.item.start, len(s.buf))
		s.skipping = false
		c := s.emit(len(s.buf), false)
		c.err, s.done = &locatedError{line: o.Line, msg: fmt.Sprintf("the file ends inside <%s> #%d, which was being skipped (%s); file truncated?", s.itemName, o.Index, o.Reason)}, true
		return c, nil
	}
	switch {
	case err != io.EOF:
		line := s.lineAt(len(s.buf))
		c := s.emit(s.cut, false)
		c.err, s.done = &locatedError{line: line, approx: true, msg: "read: " + err.Error(), err: err}, true
		return c, nil
	case !s.rootSeen && s.first:
		if !s.content {
			return docChunk{}, errEmptyInput
		}
		return docChunk{}, s.errorAt(len(s.buf), fmt.Sprintf("no <%s> root element (truncated or not XML)", s.root))
	case len(s.buf) == 0 && !s.first && s.closed:
		return docChunk{}, io.EOF
	}
	// The rest, including the root end tag and anything after it, goes to
	// the parser as is. If the file is truncated, encoding/xml reports the
	// unexpected EOF with its line.
	s.done = true
	return s.emit(len(s.buf), true), nil
}

// closeRoot records the end of the root element. The chunk is cut there so
// that anything after the root (whitespace, comments) is parsed on its own,
// outside the copy of the root start tag that wraps later chunks.
func (s *splitter) closeRoot() {
	s.closed, s.rootEnd, s.cut = true, s.pos, s.pos
}

// emit hands out buf[:n] and keeps the rest for the next chunk.
func (s *splitter) emit(n int, last bool) docChunk {
	c := docChunk{body: s.buf[:n:n], line: s.line, skipped: s.skips, itemCost: s.item.maxCost}
	s.skips, s.item.maxCost = nil, 0
	afterRoot := s.closed && s.rootEnd <= 0
	if !s.first && !afterRoot {
		c.prefix = s.rootTag
	}
	if !last && s.rootSeen && !(s.closed && s.rootEnd <= n) {
		c.close = "</" + s.rootName + ">"
	}
	rest := s.buf[n:]
	s.buf = make([]byte, len(rest), max(s.target+64<<10, len(rest)+len(rest)/2))
	copy(s.buf, rest)
	s.line += bytes.Count(c.body, []byte{'\n'})
	if !s.skipping {
		// Dropped bytes lie at the end of this body (a forced cut), or
		// after it while an item is still being skipped.
		s.line += s.nlDropped
		s.nlDropped = 0
	}
	s.pos -= n
	s.tokStart -= n
	s.rootEnd -= n
	s.item.start -= n
	s.item.tagEnd -= n
	s.cut = 0
	s.first = s.first && n == 0
	return c
}

func (s *splitter) lineAt(off int) int {
	off = min(max(off, 0), len(s.buf)) // tokStart may point before dropped bytes
	return s.line + bytes.Count(s.buf[:off], []byte{'\n'})
}

func (s *splitter) errorAt(off int, msg string) error {
	return &locatedError{line: s.lineAt(off), msg: msg}
}

// lex advances over buf from pos, up to the end of the buffered input or the
// next place where a decision is due.
func (s *splitter) lex() error {
	b := s.buf
	switch s.st {
	case lxText:
		if s.depth > 0 {
			i := bytes.IndexByte(b[s.pos:], '<')
			if i < 0 {
				s.content = true
				s.pos = len(b)
				return nil
			}
			s.pos += i
		} else {
			// Prolog or tail: only whitespace between markup.
			for ; s.pos < len(b) && isXMLSpace(b[s.pos]); s.pos++ {
			}
			if s.pos == len(b) {
				return nil
			}
			if b[s.pos] != '<' {
				s.content = true
				if s.rootSeen {
					return s.errorAt(s.pos, fmt.Sprintf("content after the </%s> end tag", s.root))
				}
				return s.errorAt(s.pos, fmt.Sprintf("text %q before the root element (not XML?)", b[s.pos]))
			}
		}
		s.content = true
		s.tokStart = s.pos
		s.pos++
		s.st = lxLt
	case lxLt:
		switch b[s.pos] {
		case '/':
			s.st = lxEndTag
		case '!':
			s.st = lxBang
			s.node()
		case '?':
			s.st = lxPI
			s.node()
		default:
			if s.depth == 0 && s.closed {
				return s.errorAt(s.tokStart, fmt.Sprintf("second root element after </%s>", s.root))
			}
			if s.depth == 1 {
				s.beginItem()
			}
			s.st = lxStartTag
		}
		s.pos++
	case lxStartTag:
		for ; s.pos < len(b); s.pos++ {
			switch c := b[s.pos]; c {
			case '"', '\'':
				s.quote, s.st = c, lxQuote
				s.pos++
				s.node() // an attribute value
				return nil
			case '>':
				s.pos++
				return s.startTag(b[max(s.tokStart, 0):s.pos])
			}
		}
	case lxQuote:
		i := bytes.IndexByte(b[s.pos:], s.quote)
		if i < 0 {
			s.pos = len(b)
			return nil
		}
		s.pos += i + 1
		s.st = lxStartTag
	case lxEndTag:
		i := bytes.IndexByte(b[s.pos:], '>')
		if i < 0 {
			s.pos = len(b)
			return nil
		}
		s.pos += i + 1
		s.st = lxText
		s.depth--
		switch {
		case s.depth == 1:
			s.endItem()
		case s.depth == 0:
			s.closeRoot()
		case s.depth < 0:
			return s.errorAt(s.tokStart, "end tag without a start tag")
		}
	case lxBang:
		switch b[s.pos] {
		case '-':
			s.st = lxBangDash
		case '[':
			s.st = lxCDATA
		default:
			return s.errorAt(s.tokStart, "DOCTYPE or other <! declaration is not allowed (csexport never writes one; refusing DTDs and entities)")
		}
		s.pos++
	case lxBangDash:
		if b[s.pos] != '-' {
			return s.errorAt(s.tokStart, "malformed comment")
		}
		s.pos++
		s.st = lxComment
	case lxComment:
		return s.skipTo("-->", s.tokStart+4)
	case lxCDATA:
		return s.skipTo("]]>", s.tokStart+3)
	case lxPI:
		return s.skipTo("?>", s.tokStart+2)
	}
	return nil
}

// skipTo moves past the terminator of a comment, CDATA section or PI whose
// body starts at bodyStart (so "<!-->" does not end the comment it opens).
func (s *splitter) skipTo(term string, bodyStart int) error {
	last := term[len(term)-1]
	for {
		i := bytes.IndexByte(s.buf[s.pos:], last)
		if i < 0 {
			s.pos = len(s.buf)
			return nil
		}
		s.pos += i + 1
		if s.pos-len(term) >= bodyStart && string(s.buf[s.pos-len(term):s.pos]) == term {
			s.st = lxText
			return nil
		}
	}
}

// startTag handles a complete start tag (tag includes '<' and '>').
func (s *splitter) startTag(tag []byte) error {
	s.st = lxText
	selfClosing := len(tag) >= 3 && tag[len(tag)-2] == '/'
	if !s.rootSeen {
		name := tag[1:]
		if i := bytes.IndexFunc(name, func(r rune) bool { return r == '>' || r == '/' || r < 0x80 && isXMLSpace(byte(r)) }); i >= 0 {
			name = name[:i]
		}
		if string(name) != s.root {
			return s.errorAt(s.tokStart, fmt.Sprintf("root element is %q, want <%s>", clipForMsg(string(name), 64), s.root))
		}
		s.rootSeen, s.rootName = true, string(name)
		s.rootTag = bytes.Clone(tag)
		if selfClosing {
			s.closeRoot()
		} else {
			s.depth = 1
		}
		return nil
	}
	s.node()
	if s.depth == 1 && !s.skipping {
		s.item.tagEnd = s.pos
	}
	switch {
	case selfClosing && s.depth == 1:
		s.endItem()
	case !selfClosing:
		if s.depth++; s.depth > s.lim.depth && !s.skipping {
			s.skip(fmt.Sprintf("elements nested more than %d deep", s.lim.depth))
		}
	}
	return nil
}

// errEmptyInput is returned for a source with no bytes or only whitespace.
var errEmptyInput = errors.New("empty")

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// clipForMsg shortens s for an error message.
func clipForMsg(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
