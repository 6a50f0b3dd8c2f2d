package adsync

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"

	"entra8344/internal/adsync/csexportgen"
)

// oracleParse parses the whole input with one plain xmlquery stream parser:
// no splitter, no chunks, no compaction. The chunked engine must agree with
// it wherever both succeed.
func oracleParse(t testing.TB, spec streamSpec, in []byte) oracleResult {
	t.Helper()
	r, _, err := decodeInput(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(r)
	if err != nil {
		return oracleResult{err: err}
	}
	res := parseChunkBytes(spec, nil, all, "")
	return oracleResult{objects: res.objects, errs: res.errs, err: res.err}
}

type oracleResult struct {
	objects int
	errs    []ExportError
	err     error
}

// collectChunked is csCollect with a chosen chunk size.
func collectChunked(in []byte, target int) ([]ExportError, ExportStats, error) {
	var got []ExportError
	var stats ExportStats
	err := streamErrors(bytes.NewReader(in), csexportSpec, &stats, func(e ExportError) error {
		got = append(got, e)
		return nil
	}, target, defaultLimits)
	return got, stats, err
}

func generated(t testing.TB, n int, seed int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := csexportgen.Write(&buf, n, seed); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestChunkedMatchesOracle runs a multi-chunk document (about 4 MB, so four
// or more chunks on several goroutines) and checks that every object arrives
// once, in order, identical to the single-parser result.
func TestChunkedMatchesOracle(t *testing.T) {
	in := generated(t, 1500, 1)
	if len(in) < 3*chunkSize {
		t.Fatalf("generated only %d bytes; want several chunks", len(in))
	}
	want := oracleParse(t, csexportSpec, in)
	if want.err != nil {
		t.Fatal(want.err)
	}
	for _, target := range []int{chunkSize, 64 << 10, 1} { // 1: one chunk per object
		got, stats, err := collectChunked(in, target)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.errs, got); diff != "" {
			t.Errorf("target %d (-oracle +chunked):\n%s", target, diff)
		}
		if stats.Objects != 1500 || stats.ExportErrors != len(want.errs) || stats.Bytes != int64(len(in)) {
			t.Errorf("target %d: stats = %+v, oracle %d errors", target, stats, len(want.errs))
		}
	}
	// Also as UTF-16, where the splitter works on the transcoded stream.
	got16, _, err := csCollect(t, csUTF16(t, string(in), unicode.BigEndian, unicode.UseBOM))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.errs, got16); diff != "" {
		t.Errorf("utf-16 (-oracle +chunked):\n%s", diff)
	}
}

// TestChunkedErrorMidFile corrupts one object deep inside a multi-chunk file:
// everything before it must be delivered, nothing after, and the line must
// be the document's line, not a chunk's.
func TestChunkedErrorMidFile(t *testing.T) {
	in := generated(t, 1500, 2)
	off := bytes.Index(in[len(in)*2/3:], []byte("<primary-objectclass>")) + len(in)*2/3
	bad := append([]byte{}, in...)
	copy(bad[off:], "<primary-objectclas>") // closed by </primary-objectclass>
	wantLine := bytes.Count(bad[:off], []byte{'\n'}) + 1
	before := bytes.Count(bad[:off], []byte("<cs-object "))

	oracle := oracleParse(t, csexportSpec, in)
	got, stats, err := csCollect(t, bad)
	wantMsg := fmt.Sprintf("csexport output line %d: element <primary-objectclas> closed by </primary-objectclass>", wantLine)
	if err == nil || err.Error() != wantMsg {
		t.Fatalf("err = %v\nwant %s", err, wantMsg)
	}
	// The corrupted object is the before-th (1-based); the ones before it
	// are delivered, in order.
	if diff := cmp.Diff(oracle.errs[:before-1], got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if stats.Objects != before-1 {
		t.Errorf("stats.Objects = %d, want %d", stats.Objects, before-1)
	}
}

// TestChunkedTruncated cuts a two-chunk document at many
// places: it must always fail with a located error and never deliver an
// object that the oracle (reading the same bytes) would not.
func TestChunkedTruncated(t *testing.T) {
	in := generated(t, 500, 3)
	want := oracleParse(t, csexportSpec, in).errs
	cuts := []int{chunkSize - 1, chunkSize, chunkSize + 1, chunkSize + 1000}
	for cut := 1; cut < len(in)-2; cut += len(in) / 37 {
		cuts = append(cuts, cut)
	}
	for i, cut := range cuts {
		got, _, err := collectChunked(in[:cut], []int{chunkSize, 4096}[i%2])
		if err == nil || !strings.Contains(err.Error(), "csexport output") {
			t.Fatalf("cut %d: err = %v", cut, err)
		}
		if len(got) > len(want) {
			t.Fatalf("cut %d: %d delivered", cut, len(got))
		}
		if diff := cmp.Diff(want[:len(got)], got); len(got) > 0 && diff != "" {
			t.Fatalf("cut %d (-want +got):\n%s", cut, diff)
		}
	}
}

func TestCompactSpace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<a>\n  <b>x</b>\n</a>", "<a><b>x</b></a>"},
		{"\n <a/>", "\n <a/>"}, // a leading run is kept
		{"<a> x </a>", "<a> x </a>"},
		{"<a k=\"> <\" j='>'>  <b/></a>", "<a k=\"> <\" j='>'><b/></a>"},
		{"<a><![CDATA[ > \n < ]]>  <!-- > \n < -->  <?pi > \n < ?>  </a>", "<a><![CDATA[ > \n < ]]><!-- > \n < --><?pi > \n < ?></a>"},
		{"<a>  <!-- unterminated >  <b>", "<a><!-- unterminated >  <b>"},
		{"<a>\t\r\n</a>  ", "<a></a>  "},
	}
	for _, tt := range tests {
		if got := string(compactSpace(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("compactSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
