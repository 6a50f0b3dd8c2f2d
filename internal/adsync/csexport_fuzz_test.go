package adsync

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

// FuzzParseExportErrors feeds arbitrary bytes to the chunked parser, once
// with the real chunk size and once with a tiny one (so that fuzz-sized
// inputs are split into many chunks), and checks that
//   - nothing panics and every error says where it happened;
//   - every delivered ExportError has sane values;
//   - whenever the chunked parser succeeds, the plain one-parser oracle
//     succeeds too with exactly the same objects (the splitter and the
//     whitespace compaction never change a result);
//   - on failure, what was delivered is a prefix of the oracle's objects;
//   - an object over a limit is skipped with a sane record (the oracle has
//     no limits, so then only sanity is checked); a third run with tiny
//     limits derived from small makes fuzz-sized inputs hit them.
func FuzzParseExportErrors(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "csexport", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".json") {
			f.Add(b, uint8(7))
		}
	}
	sample, err := os.ReadFile(filepath.Join("testdata", "csexport", "permission-issue.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(csUTF16(f, string(sample), unicode.LittleEndian, unicode.UseBOM), uint8(1))
	f.Add(csUTF16(f, string(sample[:700]), unicode.BigEndian, unicode.IgnoreBOM), uint8(0))
	f.Add(generated(f, 3, 5), uint8(200))
	// The hostile shapes, small: deep nesting, many values, a long text
	// node, many attributes, many comments, objects near the limits.
	for _, sh := range hostileShapes {
		b, err := io.ReadAll(&partsReader{parts: sh.parts(0.0005)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(3))
	}

	f.Fuzz(func(t *testing.T, in []byte, small uint8) {
		oracle := oracleParse(t, csexportSpec, in)
		tiny := itemLimits{bytes: 256 + 16*int(small), depth: 3 + int(small%8), nodes: 8 + int(small)}
		for i, target := range []int{chunkSize, 1 + int(small), 1 + int(small)} {
			lim := defaultLimits
			if i == 2 {
				lim = tiny
			}
			got, stats, err := collectLimited(bytes.NewReader(in), target, lim)
			checkSane(t, got)
			checkSkips(t, stats)
			if stats.ExportErrors != len(got) || stats.Objects < len(got) {
				t.Fatalf("stats %+v for %d delivered", stats, len(got))
			}
			if stats.Skipped > 0 {
				continue // the oracle parsed what was skipped
			}
			if err != nil {
				msg := err.Error()
				if !strings.HasPrefix(msg, "csexport output line ") && !strings.HasPrefix(msg, "csexport output near line ") && msg != "empty csexport output" {
					t.Fatalf("error does not say where: %q", msg)
				}
				if len(got) > len(oracle.errs) {
					t.Fatalf("target %d: delivered %d, oracle only %d (oracle err %v, err %v)", target, len(got), len(oracle.errs), oracle.err, err)
				}
				if diff := cmp.Diff(oracle.errs[:len(got)], got); len(got) > 0 && diff != "" {
					t.Fatalf("target %d: delivered objects are not the oracle's (-oracle +got):\n%s", target, diff)
				}
				continue
			}
			if oracle.err != nil {
				t.Fatalf("target %d: chunked parser accepted input the oracle rejects: %v", target, oracle.err)
			}
			if diff := cmp.Diff(oracle.errs, got); diff != "" || stats.Objects != oracle.objects {
				t.Fatalf("target %d: objects %d vs oracle %d (-oracle +got):\n%s", target, stats.Objects, oracle.objects, diff)
			}
		}
	})
}

// checkSkips asserts that every skip record names a position and a reason.
func checkSkips(t *testing.T, st ExportStats) {
	t.Helper()
	if len(st.SkippedObjects) != min(st.Skipped, maxSkipRecords) {
		t.Fatalf("%d skipped, %d records", st.Skipped, len(st.SkippedObjects))
	}
	for _, o := range st.SkippedObjects {
		if o.Index < 1 || o.Line < 1 || !strings.HasPrefix(o.Reason, "more than ") && !strings.HasPrefix(o.Reason, "elements nested more than ") || !utf8.ValidString(o.DN) {
			t.Fatalf("skip record %+v", o)
		}
	}
}

// checkSane asserts the invariants every delivered ExportError must meet.
func checkSane(t *testing.T, errs []ExportError) {
	t.Helper()
	for i, e := range errs {
		for _, s := range []string{e.DN, e.CSID, e.ObjectType, e.ErrorType, e.ErrorCode, e.ErrorName,
			e.ErrorLiteral, e.ServerErrorDetail, e.ExtraErrorDetails, e.DeltaOperation} {
			if !utf8.ValidString(s) {
				t.Fatalf("error %d: invalid UTF-8 in %q", i, s)
			}
		}
		if e.Code < -1 || e.RetryCount < -1 {
			t.Fatalf("error %d: Code %d RetryCount %d", i, e.Code, e.RetryCount)
		}
		if e.Code != ParseErrorCode(e.ErrorCode) || (e.ErrorCode == "" && e.Code != -1) {
			t.Fatalf("error %d: Code %d for ErrorCode %q", i, e.Code, e.ErrorCode)
		}
		for _, s := range []string{e.ErrorType, e.ErrorCode, e.ErrorLiteral, e.ServerErrorDetail} {
			if s != strings.TrimSpace(s) {
				t.Fatalf("error %d: untrimmed %q", i, s)
			}
		}
		for _, tm := range []time.Time{e.FirstOccurred, e.DateOccurred} {
			if !tm.IsZero() && tm.Location() != time.UTC {
				t.Fatalf("error %d: time %v not UTC", i, tm)
			}
		}
		if !slices.IsSorted(e.Attributes) || len(slices.Compact(slices.Clone(e.Attributes))) != len(e.Attributes) || slices.Contains(e.Attributes, "") {
			t.Fatalf("error %d: attributes %q not sorted, unique, non-empty", i, e.Attributes)
		}
	}
}

func FuzzParseErrorCode(f *testing.F) {
	for _, s := range []string{"8344", "0x2098", "0x00002098", " 8344\n", "", "garbage", "-2147467259",
		"0x", "9223372036854775808", "0x8000000000000000", "+1", "1_0", "-0", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := ParseErrorCode(s)
		if v < -1 {
			t.Fatalf("ParseErrorCode(%q) = %d", s, v)
		}
		if v != ParseErrorCode(" \t"+s+"\r\n") {
			t.Fatalf("ParseErrorCode(%q) depends on surrounding whitespace", s)
		}
		if v < 0 {
			return
		}
		// Any code we accept must round-trip through both radixes.
		if d := ParseErrorCode(strconv.FormatInt(v, 10)); d != v {
			t.Fatalf("ParseErrorCode(%q) = %d, but decimal %d parses as %d", s, v, v, d)
		}
		if h := ParseErrorCode(fmt.Sprintf("0x%X", v)); h != v {
			t.Fatalf("ParseErrorCode(%q) = %d, but 0x%X parses as %d", s, v, v, h)
		}
	})
}
