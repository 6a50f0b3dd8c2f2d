package ldif

import (
	"io"

	"entra8344/internal/ldap"
)

// LineWidth is the column at which Write folds long lines.
const LineWidth = ldap.LDIFLineWidth

// Write writes "version: 1" and the records, in the given order, each
// attribute's values in order. Values that are not RFC 2849 SAFE-STRINGs
// (or end with a space) are base64-encoded; lines are folded at 76 columns.
// Attributes without values are left out (LDIF cannot express them).
// The encoder is ldap.EncodeLDIF.
func Write(w io.Writer, recs []Record) error {
	lw := NewWriter(w)
	for i := range recs {
		if err := lw.WriteRecord(&recs[i]); err != nil {
			return err
		}
	}
	return lw.Flush()
}

// Writer writes records one at a time; call Flush at the end.
type Writer struct{ lw *ldap.LDIFWriter }

// NewWriter returns a Writer for w.
func NewWriter(w io.Writer) *Writer { return &Writer{lw: ldap.NewLDIFWriter(w)} }

// WriteRecord writes one record (after "version: 1" for the first one).
func (w *Writer) WriteRecord(rec *Record) error {
	e := ldap.Entry(*rec)
	return w.lw.WriteEntry(&e)
}

// Flush writes buffered output.
func (w *Writer) Flush() error { return w.lw.Flush() }

// IsSafeString reports whether v can be written without base64 (see
// ldap.IsLDIFSafe).
func IsSafeString(v []byte) bool { return ldap.IsLDIFSafe(v) }
