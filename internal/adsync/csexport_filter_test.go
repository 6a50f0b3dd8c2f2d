package adsync

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

// TestDropExportErrors: the dropped cs-objects are gone, the others parse
// field for field as before, whatever the input encoding; dropping nothing
// returns the input unchanged.
func TestDropExportErrors(t *testing.T) {
	sample := string(csTestdata(t, "permission-issue.xml"))
	decl16 := `<?xml version="1.0" encoding="utf-16"?>` + "\r\n" + sample
	for name, in := range map[string][]byte{
		"utf-8":                      []byte(sample),
		"utf-16le BOM + declaration": csUTF16(t, decl16, unicode.LittleEndian, unicode.UseBOM),
	} {
		t.Run(name, func(t *testing.T) {
			out, n, err := DropExportErrors(in, func(e ExportError) bool { return e.DN == sampleWant[1].DN })
			if err != nil || n != 1 {
				t.Fatalf("dropped %d: %v", n, err)
			}
			got, _, err := csCollect(t, out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if diff := cmp.Diff([]ExportError{sampleWant[0], sampleWant[2]}, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			same, n, err := DropExportErrors(in, func(ExportError) bool { return false })
			if err != nil || n != 0 || !bytes.Equal(same, in) {
				t.Errorf("dropping nothing changed the document (%d, %v)", n, err)
			}
		})
	}
	for name, in := range map[string]string{"not XML": "<cs-objects><cs-object>", "other root": "<x/>"} {
		if out, n, err := DropExportErrors([]byte(in), func(ExportError) bool { return true }); err == nil || n != 0 || string(out) != in {
			t.Errorf("%s: %d %v %q", name, n, err, out)
		}
	}
}

// TestInsufficientAccess: every spelling of 8344, and not its neighbours.
func TestInsufficientAccess(t *testing.T) {
	for _, code := range []string{"8344", "0x2098", "0x80072098", "-2147016552", "50"} {
		if !(ExportError{ErrorCode: code, Code: ParseErrorCode(code)}).InsufficientAccess() {
			t.Errorf("code %s is insufficient access", code)
		}
	}
	for _, code := range []string{"8453", "0x80072030", "2098", ""} {
		if (ExportError{ErrorCode: code, Code: ParseErrorCode(code)}).InsufficientAccess() {
			t.Errorf("code %s is not insufficient access", code)
		}
	}
	if !(ExportError{Code: -1, ServerErrorDetail: "00000005: SecErr: DSID-031514A0, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0"}).InsufficientAccess() {
		t.Error("the server text is insufficient access")
	}
}
