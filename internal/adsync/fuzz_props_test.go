package adsync

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"entra8344/fixtures"
)

// scenarioCollectors is every built-in scenario's collector.json: real
// shapes of every Connect build the fixtures model (issue 19 §5).
func scenarioCollectors(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range fixtures.Names() {
		fsys, _, err := fixtures.Scenario(name)
		if err != nil {
			f.Fatal(err)
		}
		if b, err := fs.ReadFile(fsys, "collector.json"); err == nil {
			out = append(out, b)
		}
	}
	if len(out) < 20 {
		f.Fatalf("only %d scenario collector.json files", len(out))
	}
	return out
}

// utf16With encodes valid UTF-8 as UTF-16 with a BOM, as PowerShell prints
// it when the console's output encoding is Unicode.
func utf16With(s string, bigEndian bool) []byte {
	u := utf16.Encode([]rune(s))
	b := []byte{0xFF, 0xFE}
	if bigEndian {
		b = []byte{0xFE, 0xFF}
	}
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return b
}

// syncErrorsOf pulls each run step's SyncErrorsXml out of a collector.json.
func syncErrorsOf(b []byte) []string {
	var out []string
	gjson.ParseBytes(b).ForEach(func(_, v gjson.Result) bool {
		walk(v, func(x gjson.Result) {
			if s := x.Get("SyncErrorsXml"); s.Type == gjson.String {
				out = append(out, s.String())
			}
		})
		return true
	})
	return out
}

func walk(v gjson.Result, fn func(gjson.Result)) {
	if !v.IsObject() && !v.IsArray() {
		return
	}
	fn(v)
	v.ForEach(func(_, c gjson.Result) bool { walk(c, fn); return true })
}

// FuzzParseCollectorEncodings: the collector's output read as UTF-8 and the
// same text as UTF-16 (either byte order, with a BOM) give the same state,
// or both fail. Seeds: every scenario's collector.json, which reach the
// scheduler policy and interval parsers and every run-history shape.
func FuzzParseCollectorEncodings(f *testing.F) {
	for _, b := range scenarioCollectors(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		st, err := ParseCollector(raw)
		if !utf8.Valid(raw) || strings.HasPrefix(string(raw), "\uFEFF") || len(raw) > 1<<16 {
			return // another encoding already, or a BOM the UTF-16 form would double
		}
		for _, be := range []bool{false, true} {
			st16, err16 := ParseCollector(utf16With(string(raw), be))
			if (err == nil) != (err16 == nil) {
				t.Fatalf("UTF-8 error %v, UTF-16 (big endian %v) error %v", err, be, err16)
			}
			if err == nil && !reflect.DeepEqual(st, st16) {
				t.Fatalf("UTF-16 (big endian %v) parses differently:\n%s", be, cmp.Diff(st, st16))
			}
		}
	})
}

// FuzzParseSyncErrorsXML: the run history's SyncErrorsXml through the
// streaming parser agrees with the one-parse oracle: the same errors when
// it succeeds, a prefix of the oracle's when it fails, never a panic; each
// delivered error is sane; blank text is "no errors".
func FuzzParseSyncErrorsXML(f *testing.F) {
	for _, b := range scenarioCollectors(f) {
		for _, s := range syncErrorsOf(b) {
			f.Add(s)
		}
	}
	f.Add(" \r\n")
	f.Add(`<synchronization-errors><export-error cs-guid="{1}" dn="CN=a,DC=b"><error-type>permission-issue</error-type><cd-error><error-code>0x2098</error-code><error-literal>insufficient access</error-literal></cd-error></export-error></synchronization-errors>`)
	f.Add(`<synchronization-errors><export-error cs-guid="{1}" dn="CN=a,DC=b"><error-type>permission-issue</error-type></export-error><export-error cs-guid="{2}" dn="CN=c\, d,DC=b"><error-type>Permission-Issue</error-type><cd-error><error-code>8344</error-code></cd-error></export-error></synchronization-errors>`)
	f.Add(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///c:/windows/win.ini">]><synchronization-errors>&e;</synchronization-errors>`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSyncErrorsXML(s)
		checkSane(t, got)
		if strings.TrimSpace(s) == "" {
			if got != nil || err != nil {
				t.Fatalf("blank text: %d errors, %v", len(got), err)
			}
			return
		}
		if err != nil && strings.Contains(err.Error(), "skipped") {
			return // over a limit: the oracle has none
		}
		oracle := oracleParse(t, syncErrorsSpec, []byte(s))
		if err != nil {
			// Like csexport's "empty csexport output": text that holds
			// nothing but what the splitter drops (NULs, a BOM) is empty.
			if !strings.HasPrefix(err.Error(), "SyncErrorsXml") && err.Error() != "empty SyncErrorsXml" {
				t.Fatalf("error does not name SyncErrorsXml: %q", err)
			}
			if len(got) > len(oracle.errs) {
				t.Fatalf("delivered %d, the oracle %d (oracle err %v, err %v)", len(got), len(oracle.errs), oracle.err, err)
			}
			if diff := cmp.Diff(oracle.errs[:len(got)], got); len(got) > 0 && diff != "" {
				t.Fatalf("delivered errors are not the oracle's (-oracle +got):\n%s", diff)
			}
			return
		}
		if oracle.err != nil {
			t.Fatalf("accepted SyncErrorsXml the oracle rejects: %v", oracle.err)
		}
		if diff := cmp.Diff(oracle.errs, got); len(got)+len(oracle.errs) > 0 && diff != "" {
			t.Fatalf("errors differ from the oracle (-oracle +got):\n%s", diff)
		}
	})
}
