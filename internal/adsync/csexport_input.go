package adsync

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings recorded in ExportStats.Encoding.
const (
	encUTF8    = "utf-8"
	encUTF8BOM = "utf-8-bom"
	encUTF16LE = "utf-16le"
	encUTF16BE = "utf-16be"
)

// countingReader counts the bytes taken from the caller's reader, before any
// transcoding, for ExportStats.Bytes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeInput sniffs the byte order mark and returns a UTF-8 reader.
//
// Which encoding csexport.exe writes is not documented (.NET tools often
// write UTF-16LE with a BOM), and encoding/xml cannot even read the
// declaration of a UTF-16 file, so we transcode up front and tell the decoder
// to ignore the declared encoding (see passThroughCharset).
func decodeInput(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3) // cannot fail: the bytes are buffered
		return br, encUTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return utf16Reader(br, unicode.LittleEndian, unicode.ExpectBOM), encUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return utf16Reader(br, unicode.BigEndian, unicode.ExpectBOM), encUTF16BE, nil
	// No BOM: XML forbids U+0000, so a NUL among the first two bytes can only
	// be the high (LE) or low (BE) half of an ASCII character such as '<'.
	case len(head) >= 2 && head[0] != 0 && head[1] == 0:
		return utf16Reader(br, unicode.LittleEndian, unicode.IgnoreBOM), encUTF16LE, nil
	case len(head) >= 2 && head[0] == 0 && head[1] != 0:
		return utf16Reader(br, unicode.BigEndian, unicode.IgnoreBOM), encUTF16BE, nil
	}
	return br, encUTF8, nil
}

func utf16Reader(r io.Reader, e unicode.Endianness, b unicode.BOMPolicy) io.Reader {
	return transform.NewReader(r, unicode.UTF16(e, b).NewDecoder())
}

// passThroughCharset is the xml.Decoder CharsetReader. The input is already
// UTF-8 by the time the decoder sees it, but a transcoded file still declares
// encoding="utf-16", which encoding/xml would otherwise reject.
func passThroughCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }

// errEmptyInput is returned for a source with no bytes or only whitespace.
var errEmptyInput = errors.New("empty")

// prologError is an error found by prologGuard; it carries a line number.
type prologError struct {
	line int
	msg  string
}

func (e *prologError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// prologGuard passes the UTF-8 stream through to the XML decoder but first
// checks the prolog (everything before the root element) itself, because
// xmlquery's stream parser hides the document node from us:
//
//   - a DOCTYPE is refused outright. csexport never writes one, and although
//     encoding/xml neither fetches external entities nor expands DTD-declared
//     ones, refusing it keeps entity tricks out of the picture entirely;
//   - text before the root (garbage, a PowerShell error message redirected
//     into the file) is an error; encoding/xml would silently skip it;
//   - a root element other than the expected one is an error, so that
//     "0 objects" always means a real, empty <cs-objects/>;
//   - no root at all is an error (errEmptyInput when there were no bytes).
//
// After the root element's name it only counts newlines, which gives an
// approximate position for errors that encoding/xml reports without a line.
type prologGuard struct {
	r       io.Reader
	root    string // expected local name of the root element
	state   int
	dashes  int    // consecutive '-' seen inside a comment
	prevQ   bool   // previous byte was '?' inside a processing instruction
	name    []byte // root element name collected so far
	content bool   // a non-whitespace byte was seen
	line    int    // newlines passed to the decoder, +1
	err     error
}

const (
	pgText     = iota // between prolog items
	pgLt              // just after '<'
	pgBang            // just after "<!"
	pgBangDash        // just after "<!-"
	pgComment         // inside <!-- -->
	pgPI              // inside <? ?>
	pgName            // reading the root element name
	pgDone            // root found: pass through
)

// maxRootName bounds the root name we are willing to buffer.
const maxRootName = 256

func newPrologGuard(r io.Reader, root string) *prologGuard {
	return &prologGuard{r: r, root: root, line: 1}
}

func (g *prologGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if g.state == pgDone {
		g.line += bytes.Count(p[:n], []byte{'\n'})
		return n, err
	}
	line := g.line
	for _, c := range p[:n] {
		if perr := g.step(c, line); perr != nil {
			g.err = perr
			return 0, perr
		}
		if c == '\n' {
			line++
		}
	}
	g.line = line
	if err == io.EOF && g.state != pgDone {
		if !g.content {
			g.err = errEmptyInput
		} else {
			g.err = &prologError{line: g.line, msg: fmt.Sprintf("no <%s> root element (truncated or not XML)", g.root)}
		}
		return 0, g.err
	}
	return n, err
}

// step advances the prolog state machine by one byte.
func (g *prologGuard) step(c byte, line int) error {
	if !isXMLSpace(c) {
		g.content = true
	}
	switch g.state {
	case pgText:
		switch {
		case c == '<':
			g.state = pgLt
		case !isXMLSpace(c):
			return &prologError{line: line, msg: fmt.Sprintf("text %q before the root element (not XML?)", c)}
		}
	case pgLt:
		switch {
		case c == '?':
			g.state, g.prevQ = pgPI, false
		case c == '!':
			g.state = pgBang
		case c == '/' || c == '>' || isXMLSpace(c):
			return &prologError{line: line, msg: "malformed tag before the root element"}
		default:
			g.state, g.name = pgName, append(g.name[:0], c)
		}
	case pgBang:
		switch c {
		case '-':
			g.state = pgBangDash
		case 'D', 'd':
			return &prologError{line: line, msg: "DOCTYPE is not allowed (csexport never writes one; refusing DTDs and entities)"}
		default:
			return &prologError{line: line, msg: "unexpected <! declaration before the root element"}
		}
	case pgBangDash:
		if c != '-' {
			return &prologError{line: line, msg: "malformed comment before the root element"}
		}
		g.state, g.dashes = pgComment, 0
	case pgComment:
		switch {
		case c == '-':
			g.dashes++
		case c == '>' && g.dashes >= 2:
			g.state = pgText
		default:
			g.dashes = 0
		}
	case pgPI:
		if c == '>' && g.prevQ {
			g.state = pgText
		}
		g.prevQ = c == '?'
	case pgName:
		if isXMLSpace(c) || c == '/' || c == '>' {
			return g.checkRoot(line)
		}
		if len(g.name) >= maxRootName {
			return &prologError{line: line, msg: "root element name too long"}
		}
		g.name = append(g.name, c)
	}
	return nil
}

// checkRoot compares the collected root name (ignoring a namespace prefix).
func (g *prologGuard) checkRoot(line int) error {
	name := g.name
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if string(name) != g.root {
		return &prologError{line: line, msg: fmt.Sprintf("root element is %q, want <%s>", truncate(string(g.name), 64), g.root)}
	}
	g.state = pgDone
	return nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
