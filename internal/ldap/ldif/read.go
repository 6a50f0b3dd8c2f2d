// Package ldif reads and writes RFC 2849 content LDIF: entries with their
// attributes, binary values base64-encoded. Change records and URL values
// are refused; the reader never opens files or URLs.
package ldif

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"entra8344/internal/ldap"
)

// Record is one entry. The rootDSE is the record with DN "".
type Record struct {
	DN         string
	Attributes []ldap.Attribute
}

// Values returns the values of the named attribute (case-insensitive), nil if absent.
func (r *Record) Values(name string) [][]byte {
	for _, a := range r.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a.Values
		}
	}
	return nil
}

// Error is a syntax error in the input, with the line it starts on.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("ldif: line %d: %s", e.Line, e.Msg) }

// Read reads every record of a content LDIF file.
func Read(r io.Reader) ([]Record, error) {
	rd := NewReader(r)
	var recs []Record
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, *rec)
	}
}

// Reader reads records one at a time.
type Reader struct {
	br      *bufio.Reader
	line    int  // physical lines consumed
	started bool // past the optional version line
	err     error
	pending *logicalLine
}

// logicalLine is one unfolded line and the physical line it starts on.
type logicalLine struct {
	text []byte
	line int
}

// NewReader returns a Reader for r.
func NewReader(r io.Reader) *Reader { return &Reader{br: bufio.NewReader(r)} }

// physical returns the next physical line without its line end, or io.EOF.
func (rd *Reader) physical() ([]byte, error) {
	b, err := rd.br.ReadBytes('\n')
	if len(b) == 0 && err != nil {
		return nil, err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	rd.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// next returns the next logical line (folded continuations joined, comment
// lines skipped); an empty text is a record separator. io.EOF at the end.
func (rd *Reader) next() (*logicalLine, error) {
	for {
		var cur *logicalLine
		if rd.pending != nil {
			cur, rd.pending = rd.pending, nil
		} else {
			b, err := rd.physical()
			if err != nil {
				return nil, err
			}
			if len(b) > 0 && b[0] == ' ' {
				return nil, &Error{rd.line, "continuation line (starting with a space) without a line to continue"}
			}
			cur = &logicalLine{text: append([]byte(nil), b...), line: rd.line}
		}
		if len(cur.text) == 0 {
			return cur, nil
		}
		// Join continuation lines.
		for {
			b, err := rd.physical()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if len(b) > 0 && b[0] == ' ' {
				cur.text = append(cur.text, b[1:]...)
				continue
			}
			rd.pending = &logicalLine{text: append([]byte(nil), b...), line: rd.line}
			break
		}
		if cur.text[0] == '#' {
			continue
		}
		return cur, nil
	}
}

// Next returns the next record, or io.EOF after the last one.
func (rd *Reader) Next() (*Record, error) {
	if rd.err != nil {
		return nil, rd.err
	}
	rec, err := rd.record()
	if err != nil {
		rd.err = err
	}
	return rec, err
}

func (rd *Reader) record() (*Record, error) {
	var first *logicalLine
	for first == nil {
		l, err := rd.next()
		if err != nil {
			return nil, err
		}
		if len(l.text) == 0 {
			continue
		}
		if !rd.started {
			rd.started = true
			name, _, ok := strings.Cut(string(l.text), ":")
			if ok && strings.EqualFold(strings.TrimSpace(name), "version") {
				if v := strings.TrimSpace(string(l.text[len(name)+1:])); v != "1" {
					return nil, &Error{l.line, fmt.Sprintf("unsupported LDIF version %q (only 1)", v)}
				}
				continue
			}
		}
		first = l
	}
	name, val, err := parseLine(first)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(name, "dn") {
		return nil, &Error{first.line, fmt.Sprintf("record starts with %q, want dn:", name)}
	}
	if _, err := ldap.ParseDN(string(val)); err != nil {
		return nil, &Error{first.line, err.Error()}
	}
	rec := &Record{DN: string(val)}
	for n := 0; ; n++ {
		l, err := rd.next()
		if err == io.EOF || (err == nil && len(l.text) == 0) {
			return rec, nil
		}
		if err != nil {
			return nil, err
		}
		if l.text[0] == '-' && len(bytes.TrimRight(l.text, " ")) == 1 {
			return nil, &Error{l.line, `"-" line: change records are not supported (content LDIF only)`}
		}
		name, val, err := parseLine(l)
		if err != nil {
			return nil, err
		}
		switch {
		case strings.EqualFold(name, "changetype"), n == 0 && strings.EqualFold(name, "control"):
			return nil, &Error{l.line, name + ": change records are not supported (content LDIF only)"}
		case strings.EqualFold(name, "dn"):
			return nil, &Error{l.line, "dn: inside a record (records must be separated by an empty line)"}
		}
		addValue(rec, name, val)
	}
}

func addValue(rec *Record, name string, val []byte) {
	for i := range rec.Attributes {
		if strings.EqualFold(rec.Attributes[i].Name, name) {
			rec.Attributes[i].Values = append(rec.Attributes[i].Values, val)
			return
		}
	}
	rec.Attributes = append(rec.Attributes, ldap.Attribute{Name: name, Values: [][]byte{val}})
}

// parseLine splits "name: value", "name:: base64" (decoded) and refuses "name:< URL".
func parseLine(l *logicalLine) (string, []byte, error) {
	i := bytes.IndexByte(l.text, ':')
	if i < 0 {
		return "", nil, &Error{l.line, fmt.Sprintf("missing ':' in %q", clip(l.text))}
	}
	name := string(l.text[:i])
	if err := ldap.CheckAttributeDescription(name); err != nil {
		return "", nil, &Error{l.line, err.Error()}
	}
	rest := l.text[i+1:]
	switch {
	case len(rest) > 0 && rest[0] == ':':
		b64 := bytes.Trim(rest[1:], " ")
		v, err := base64.StdEncoding.DecodeString(string(b64))
		if err != nil {
			return "", nil, &Error{l.line, fmt.Sprintf("%s: invalid base64 value: %v", name, err)}
		}
		return name, v, nil
	case len(rest) > 0 && rest[0] == '<':
		return "", nil, &Error{l.line, fmt.Sprintf("%s:< URL values are not supported (the reader never opens files or URLs)", name)}
	}
	v := bytes.TrimLeft(rest, " ")
	if j := bytes.IndexByte(v, 0); j >= 0 {
		return "", nil, &Error{l.line, fmt.Sprintf("%s: NUL byte in value (use base64)", name)}
	}
	return name, append([]byte{}, v...), nil
}

func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
