package ldap

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// The RFC 2849 content LDIF writer lives here so that package ldap itself
// can write what a Recorder kept (package ldif, which imports ldap, wraps
// it and has the reader).

// LDIFLineWidth is the column at which LDIF lines are folded.
const LDIFLineWidth = 76

// EncodeLDIF writes "version: 1" and the entries as content LDIF, in the
// given order, each attribute's values in order. Values that are not
// SAFE-STRINGs are base64-encoded (IsLDIFSafe); lines are folded at 76
// columns. Attributes without values are left out (LDIF cannot express
// them). The rootDSE is the entry with DN "" ("dn:").
func EncodeLDIF(w io.Writer, entries []Entry) error {
	lw := NewLDIFWriter(w)
	for i := range entries {
		if err := lw.WriteEntry(&entries[i]); err != nil {
			return err
		}
	}
	return lw.Flush()
}

// LDIFWriter writes entries one at a time; call Flush at the end.
type LDIFWriter struct {
	bw      *bufio.Writer
	started bool
}

// NewLDIFWriter returns an LDIFWriter for w.
func NewLDIFWriter(w io.Writer) *LDIFWriter { return &LDIFWriter{bw: bufio.NewWriter(w)} }

// WriteEntry writes one entry (after "version: 1" for the first). It
// refuses a DN that does not parse and attribute names LDIF cannot carry.
func (lw *LDIFWriter) WriteEntry(e *Entry) error {
	if _, err := ParseDN(e.DN); err != nil {
		return fmt.Errorf("ldif: entry %q: %w", e.DN, err)
	}
	for _, a := range e.Attributes {
		if err := CheckAttributeDescription(a.Name); err != nil {
			return fmt.Errorf("ldif: entry %q: %w", e.DN, err)
		}
		if strings.EqualFold(a.Name, "dn") {
			return fmt.Errorf("ldif: entry %q: an attribute named dn cannot be written", e.DN)
		}
	}
	if !lw.started {
		lw.started = true
		lw.bw.WriteString("version: 1\n")
	}
	lw.bw.WriteString("\n")
	lw.line("dn", []byte(e.DN))
	for _, a := range e.Attributes {
		for _, v := range a.Values {
			lw.line(a.Name, v)
		}
	}
	return nil
}

// Flush writes buffered output.
func (lw *LDIFWriter) Flush() error {
	if err := lw.bw.Flush(); err != nil {
		return fmt.Errorf("ldif: %w", err)
	}
	return nil
}

func (lw *LDIFWriter) line(name string, v []byte) {
	var s string
	switch {
	case len(v) == 0:
		s = name + ":"
	case IsLDIFSafe(v):
		s = name + ": " + string(v)
	default:
		s = name + ":: " + base64.StdEncoding.EncodeToString(v)
	}
	if len(s) > LDIFLineWidth {
		// Continuation lines start with a space: LDIFLineWidth-1 bytes of data each.
		lw.bw.WriteString(s[:LDIFLineWidth])
		s = s[LDIFLineWidth:]
		for len(s) > LDIFLineWidth-1 {
			lw.bw.WriteString("\n ")
			lw.bw.WriteString(s[:LDIFLineWidth-1])
			s = s[LDIFLineWidth-1:]
		}
		if len(s) > 0 {
			lw.bw.WriteString("\n ")
		}
	}
	lw.bw.WriteString(s)
	lw.bw.WriteString("\n")
}

// IsLDIFSafe reports whether v can be written as-is: an RFC 2849
// SAFE-STRING (SAFE-INIT-CHAR: 0x01-0x7F except LF, CR, space, ':' and
// '<'; then SAFE-CHAR: 0x01-0x7F except LF and CR) that does not end with a
// space (note 8 of the RFC).
func IsLDIFSafe(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	switch v[0] {
	case ' ', ':', '<':
		return false
	}
	for _, c := range v {
		if c == 0 || c == '\n' || c == '\r' || c > 0x7f {
			return false
		}
	}
	return v[len(v)-1] != ' '
}

// CheckAttributeDescription accepts AttributeType *(";" option): a name
// (ALPHA *(ALPHA / DIGIT / "-")) or a numeric OID, options 1*(ALPHA /
// DIGIT / "-").
func CheckAttributeDescription(s string) error {
	typ, opts, hasOpts := strings.Cut(s, ";")
	if typ == "" {
		return fmt.Errorf("empty attribute name")
	}
	if err := checkAttrType(typ); err != nil {
		return err
	}
	if hasOpts {
		for _, o := range strings.Split(opts, ";") {
			if o == "" {
				return fmt.Errorf("empty attribute option in %q", truncate(s, 60))
			}
			if strings.Trim(o, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
				return fmt.Errorf("invalid attribute option %q in %q", truncate(o, 60), truncate(s, 60))
			}
		}
	}
	return nil
}
