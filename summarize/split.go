package summarize

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// readBufSize is the line buffer: a line up to this long is checked in place
// (the fast path, one pass); a longer one is assembled in a second buffer.
const readBufSize = 1 << 20

// piece is what the splitter cuts from a stream: the bytes of one document
// (not yet validated), or a rejection saying why the bytes at line are not
// one.
type piece struct {
	doc    []byte // valid only until the next call of next
	line   int
	reason string
}

// splitter cuts a stream into JSON documents in bounded memory. It reads
// what MSPs actually collect: NDJSON (one verdict per line), one
// pretty-printed verdict per file, and both concatenated. It resynchronises
// after damage so that one bad line costs one rejection:
//   - a line that ends inside a string cannot be JSON (raw newlines are not
//     allowed in strings): the document is cut off there;
//   - a line that starts with '{' in column 0 while an object is still open
//     starts a new document: encoders indent nested lines, so the open one
//     was truncated (an RMM field cut at its length limit, a killed writer);
//   - a document longer than max is rejected; its brackets are still
//     counted, without keeping its bytes, to find where it ends.
type splitter struct {
	r    *bufio.Reader
	max  int
	line int   // number of the line being read
	n    int64 // bytes read
	err  error // sticky read error (io.EOF at the end)

	lineStart bool    // the next chunk begins a line
	skipLine  bool    // dropping the rest of a line already rejected
	out       []piece // pieces ready before the next read

	// The document being assembled across chunks and lines.
	open    bool
	obj     bool // it began with '{' (the resync rule applies)
	over    bool // it outgrew max: bytes dropped, brackets still counted
	start   int
	buf     []byte
	depth   int
	inStr   bool
	escaped bool
}

func newSplitter(r io.Reader, limit int) *splitter {
	// A small limit needs no big buffer (tests, the fuzzer): longer lines
	// take the chunked path, which is what those want to exercise anyway.
	size := readBufSize
	if limit < size/2 {
		size = max(4096, 2*limit)
	}
	return &splitter{r: bufio.NewReaderSize(r, size), max: limit, lineStart: true}
}

// next returns the next piece, or false at the end of the stream.
func (s *splitter) next() (piece, bool) {
	for {
		if len(s.out) > 0 {
			p := s.out[0]
			s.out = s.out[1:]
			return p, true
		}
		if s.err != nil {
			return s.finish()
		}
		chunk, err := s.r.ReadSlice('\n')
		s.n += int64(len(chunk))
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			s.err = err
		}
		atStart := s.lineStart
		lineEnds := err == nil || s.err != nil
		s.lineStart = lineEnds
		if atStart && len(chunk) > 0 {
			s.line++
		}
		s.feed(chunk, atStart, lineEnds)
	}
}

// finish reports what the end of the stream leaves behind.
func (s *splitter) finish() (piece, bool) {
	if s.open {
		p := s.reject(s.start, "cut off: the input ends before the document that starts here is closed (truncated)")
		if s.over {
			p.reason = fmt.Sprintf("larger than the %d-byte limit, and cut off at the end of the input", s.max)
		}
		s.reset()
		return p, true
	}
	if s.err != io.EOF {
		err := s.err
		s.err = io.EOF
		return piece{line: s.line, reason: "read error: " + err.Error()}, true
	}
	return piece{}, false
}

func (s *splitter) feed(chunk []byte, atStart, lineEnds bool) {
	if s.skipLine {
		s.skipLine = !lineEnds
		return
	}
	if atStart && s.open && s.obj && !s.inStr && len(chunk) > 0 && chunk[0] == '{' {
		s.out = append(s.out, s.reject(s.start, "cut off: the document that starts here has no end before the next one starts at column 0 (truncated)"))
		s.reset()
	}
	if !s.open {
		rest := bytes.TrimLeft(chunk, " \t\r\n")
		if len(rest) == 0 {
			return
		}
		// Fast path: a whole line from '{' to '}' is taken as one document
		// (NDJSON) without following its strings: the reader validates every
		// document anyway, in parallel. (A pretty-printed document's first
		// line ends with '{', so it goes the slow way; so does an oversized
		// line, whose brackets the slow way counts.)
		if atStart && lineEnds && rest[0] == '{' {
			if doc := bytes.TrimRight(rest, " \t\r\n"); len(doc) <= s.max && doc[len(doc)-1] == '}' {
				s.out = append(s.out, piece{doc: doc, line: s.line})
				return
			}
		}
		if c := rest[0]; c != '{' && c != '[' {
			s.out = append(s.out, s.reject(s.line, fmt.Sprintf("not a verdict: the line starts with %q, not with {", head(rest))))
			s.skipLine = !lineEnds
			return
		}
		s.reset()
		s.open, s.obj, s.start = true, rest[0] == '{', s.line
		chunk = rest
	}
	s.scan(chunk)
	if !s.over {
		if len(s.buf)+len(chunk) > s.max {
			s.over, s.buf = true, s.buf[:0]
		} else {
			s.buf = append(s.buf, chunk...)
		}
	}
	if !lineEnds {
		return
	}
	switch {
	case s.inStr:
		s.out = append(s.out, s.reject(s.start, fmt.Sprintf("not valid JSON: line %d ends inside a string (truncated?)", s.line)))
		s.reset()
	case s.depth <= 0 && s.over:
		s.out = append(s.out, s.reject(s.start, fmt.Sprintf("larger than the %d-byte limit", s.max)))
		s.reset()
	case s.depth <= 0:
		s.out = append(s.out, piece{doc: bytes.TrimRight(s.buf, " \t\r\n"), line: s.start})
		s.open = false // buf stays until the piece is taken; reset on the next open
	}
}

// scan follows strings and brackets; it does not validate (parseVerdict
// does that once the document is whole).
func (s *splitter) scan(b []byte) {
	for _, c := range b {
		if s.inStr {
			switch {
			case s.escaped:
				s.escaped = false
			case c == '\\':
				s.escaped = true
			case c == '"':
				s.inStr = false
			}
			continue
		}
		switch c {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
		case '}', ']':
			s.depth--
		}
	}
}

func (s *splitter) reject(line int, reason string) piece {
	return piece{line: line, reason: reason}
}

func (s *splitter) reset() {
	s.open, s.obj, s.over, s.inStr, s.escaped = false, false, false, false, false
	s.depth, s.buf = 0, s.buf[:0]
}

// head quotes the start of a rejected line, short enough for a reason.
func head(b []byte) string {
	const n = 24
	if len(b) > n {
		b = b[:n]
	}
	return string(bytes.TrimRight(b, "\r\n"))
}
