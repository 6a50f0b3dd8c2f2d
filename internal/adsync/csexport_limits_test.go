package adsync

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// smallLimits make the hostile shapes cheap to build at a small scale.
var smallLimits = itemLimits{bytes: 64 << 10, depth: 16, nodes: 2000}

func collectLimited(r io.Reader, target int, lim itemLimits) ([]ExportError, ExportStats, error) {
	var got []ExportError
	var stats ExportStats
	err := streamErrors(r, csexportSpec, &stats, func(e ExportError) error {
		got = append(got, e)
		return nil
	}, target, lim)
	return got, stats, err
}

// TestHostileObjectSkipped: every hostile shape is skipped with a record
// naming it (DN when its start tag could be read, position always), and the
// parse goes on to the object after it; a malformed object after the skipped
// one is still reported on its exact line.
func TestHostileObjectSkipped(t *testing.T) {
	for _, sh := range hostileShapes {
		full, err := io.ReadAll(&partsReader{parts: sh.parts(0.01)})
		if err != nil {
			t.Fatal(err)
		}
		broken := bytes.Replace(full, []byte(hostileTail), []byte("<cs-object>\n<broken></cs-object>\n"+hostileTail), 1)
		brokenLine := bytes.Count(broken[:bytes.Index(broken, []byte("<broken>"))], []byte{'\n'}) + 1
		for _, target := range []int{chunkSize, 4096, 1} {
			t.Run(fmt.Sprintf("%s/target=%d", sh.name, target), func(t *testing.T) {
				got, stats, err := collectLimited(bytes.NewReader(full), target, smallLimits)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 || got[len(got)-1].DN != "CN=After,DC=contoso,DC=com" || got[len(got)-1].Code != 8344 {
					t.Fatalf("the object after the hostile one was not delivered: %+v", got)
				}
				if stats.Skipped != sh.skipped || len(stats.SkippedObjects) != sh.skipped {
					t.Fatalf("skipped %d %+v, want %d", stats.Skipped, stats.SkippedObjects, sh.skipped)
				}
				if sh.skipped > 0 {
					o := stats.SkippedObjects[0]
					if o.Index != 1 || o.Line != 3 || o.DN != sh.dn || !strings.Contains(o.Reason, sh.reason) {
						t.Errorf("skip record %+v, want #1 line 3 DN %q reason ~%q", o, sh.dn, sh.reason)
					}
				}
				if stats.Objects+stats.Skipped != 2 && !strings.HasPrefix(sh.name, "near-limit") {
					t.Errorf("stats %+v: want 2 objects in all", stats)
				}
				_, _, err = collectLimited(bytes.NewReader(broken), target, smallLimits)
				if want := fmt.Sprintf("csexport output line %d:", brokenLine); err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Errorf("broken object after the skip: err %v, want %q...", err, want)
				}
			})
		}
	}
}

// TestSkippedAmongRealObjects inserts hostile objects into a generated file:
// every other object arrives exactly as without them.
func TestSkippedAmongRealObjects(t *testing.T) {
	in := generated(t, 60, 3)
	want := oracleParse(t, csexportSpec, in)
	deep := `<cs-object cs-dn="CN=Deep &amp; Co,DC=contoso,DC=com" id="{D}">` + "\n" + strings.Repeat("<a>\n", 40) + strings.Repeat("</a>", 40) + "</cs-object>\n"
	wide := `<cs-object cs-dn="CN=Wide,DC=contoso,DC=com">` + strings.Repeat("<v/>\n", 3000) + "</cs-object>\n"
	// Insert before the 7th and the 31st original objects.
	starts := objectStarts(in)
	var doc []byte
	doc = append(doc, in[:starts[6]]...)
	doc = append(doc, deep...)
	doc = append(doc, in[starts[6]:starts[30]]...)
	doc = append(doc, wide...)
	doc = append(doc, in[starts[30]:]...)
	wantSkips := []SkippedObject{
		{Index: 7, Line: lineOf(doc, starts[6]), DN: "CN=Deep & Co,DC=contoso,DC=com", Reason: "elements nested more than 16 deep"},
		{Index: 32, Line: lineOf(doc, starts[30]+len(deep)), DN: "CN=Wide,DC=contoso,DC=com", Reason: "more than 2000 elements and attributes"},
	}
	for _, target := range []int{chunkSize, 8 << 10, 1} {
		got, stats, err := collectLimited(bytes.NewReader(doc), target, smallLimits)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.errs, got); diff != "" {
			t.Errorf("target %d: errors (-without hostile +with):\n%s", target, diff)
		}
		if diff := cmp.Diff(wantSkips, stats.SkippedObjects); diff != "" || stats.Objects != 60 || stats.Skipped != 2 {
			t.Errorf("target %d: stats %+v; skips (-want +got):\n%s", target, stats, diff)
		}
	}
}

func objectStarts(doc []byte) []int {
	var out []int
	for off := 0; ; {
		i := bytes.Index(doc[off:], []byte("<cs-object "))
		if i < 0 {
			return out
		}
		out = append(out, off+i)
		off += i + 1
	}
}

func lineOf(doc []byte, off int) int { return bytes.Count(doc[:off], []byte{'\n'}) + 1 }

// TestItemLimitBoundaries: an object at a limit is parsed, one past it is
// skipped. Depth counts the root as 1; nodes count the start tag and its
// attributes too.
func TestItemLimitBoundaries(t *testing.T) {
	obj := func(inner string) string {
		return hostileHead + `<cs-object cs-dn="X"><export-errordetail/>` + inner + "</cs-object>\n" + hostileTail
	}
	tests := []struct {
		name    string
		doc     string
		lim     itemLimits
		skipped int
	}{
		{"depth at limit", obj(strings.Repeat("<a>", 14) + strings.Repeat("</a>", 14)), smallLimits, 0},
		{"depth over limit", obj(strings.Repeat("<a>", 15) + strings.Repeat("</a>", 15)), smallLimits, 1},
		{"nodes at limit", obj(strings.Repeat("<v/>", 1997)), smallLimits, 0},
		{"nodes over limit", obj(strings.Repeat("<v/>", 1998)), smallLimits, 1},
		{"default depth at limit", obj(strings.Repeat("<a>", 62) + strings.Repeat("</a>", 62)), defaultLimits, 0},
		{"default depth over limit", obj(strings.Repeat("<a>", 63) + strings.Repeat("</a>", 63)), defaultLimits, 1},
		{"bytes under limit", obj(strings.Repeat("x", 60<<10)), smallLimits, 0},
		{"bytes over limit", obj(strings.Repeat("x", 65<<10)), smallLimits, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stats, err := collectLimited(strings.NewReader(tt.doc), chunkSize, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Skipped != tt.skipped || len(got)+stats.Skipped != 1 {
				t.Errorf("skipped %d (%+v), delivered %d; want %d skipped", stats.Skipped, stats.SkippedObjects, len(got), tt.skipped)
			}
		})
	}
}

// TestSkipRecordDNClipped: a huge cs-dn is clipped in the skip record, at a
// character boundary.
func TestSkipRecordDNClipped(t *testing.T) {
	dn := "CN=" + strings.Repeat("é", 3000)
	doc := hostileHead + `<cs-object cs-dn="` + dn + `">` + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + "</cs-object>\n" + hostileTail
	_, stats, err := collectLimited(strings.NewReader(doc), chunkSize, smallLimits)
	if err != nil || stats.Skipped != 1 {
		t.Fatalf("err %v, stats %+v", err, stats)
	}
	got := stats.SkippedObjects[0].DN
	if len(got) > maxSkipDN+3 || !strings.HasPrefix(dn, strings.TrimSuffix(got, "...")) || !utf8.ValidString(got) {
		t.Errorf("DN in the record: %d bytes, %q...", len(got), got[:20])
	}
}

// TestTruncatedInsideSkippedObject: the file ending inside a skipped object
// is an error naming it by position (no DN: error text can reach a log).
func TestTruncatedInsideSkippedObject(t *testing.T) {
	doc := hostileHead + afterObject + `<cs-object cs-dn="CN=Evil` + "\n" + `,DC=x">` + strings.Repeat("<a>\n", 100)
	got, stats, err := collectLimited(strings.NewReader(doc), chunkSize, smallLimits)
	want := "csexport output line 6: the file ends inside <cs-object> #2, which was being skipped (elements nested more than 16 deep); file truncated?"
	if err == nil || err.Error() != want || len(got) != 1 || stats.Skipped != 1 {
		t.Fatalf("err %v, %d delivered, stats %+v; want %q", err, len(got), stats, want)
	}
}

// TestParseSyncErrorsXMLSkipped: a run-history error list with a skipped
// item is reported incomplete.
func TestParseSyncErrorsXMLSkipped(t *testing.T) {
	s := `<synchronization-errors><export-error cs-guid="{1}" dn="CN=A"><cd-error><error-code>8344</error-code></cd-error></export-error>` +
		`<export-error dn="CN=B">` + strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70) + `</export-error></synchronization-errors>`
	got, err := ParseSyncErrorsXML(s)
	want := "SyncErrorsXml: 1 <export-error> element(s) skipped, the first #2 at line 1: elements nested more than 64 deep"
	if err == nil || err.Error() != want || len(got) != 1 {
		t.Fatalf("got %d, err %v; want 1 and %q", len(got), err, want)
	}
}

// memBound is the peak RSS allowed for parsing any input.
const memBound = 128 << 20

// TestParseMemoryBound parses each hostile shape at full size (and a 64 MB
// generated file) in a child process with GOMAXPROCS=8 (the most parser
// goroutines) and asserts the child's peak RSS (VmHWM) stays under 128 MiB.
// The inputs are generated while they are read, so the input itself costs
// nothing.
func TestParseMemoryBound(t *testing.T) {
	if shape := os.Getenv("ENTRA8344_MEMSHAPE"); shape != "" {
		memChild(shape)
		return
	}
	if testing.Short() {
		t.Skip("parses ~800 MB of generated input")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc/self/status for VmHWM")
	}
	names := []string{"realistic"}
	for _, sh := range hostileShapes {
		names = append(names, sh.name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestParseMemoryBound$", "-test.count=1")
			cmd.Env = append(os.Environ(), "ENTRA8344_MEMSHAPE="+name, "GOMAXPROCS=8")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			line := ""
			for l := range strings.Lines(string(out)) {
				if strings.HasPrefix(l, "MEM ") {
					line = strings.TrimSpace(l)
				}
			}
			var hwm int64
			if _, err := fmt.Sscanf(line[strings.Index(line, "vmhwm_kb=")+len("vmhwm_kb="):], "%d", &hwm); err != nil || line == "" {
				t.Fatalf("no MEM line in child output:\n%s", out)
			}
			t.Log(line)
			if hwm<<10 >= memBound {
				t.Errorf("%s: peak RSS %d MiB, want < %d MiB", name, hwm>>10, memBound>>20)
			}
			want := "skipped=1 " // the hostile object
			if strings.HasPrefix(name, "near-limit") || name == "realistic" {
				want = "skipped=0 "
			}
			if !strings.Contains(line, want) {
				t.Errorf("%s: want %s: %s", name, want, line)
			}
		})
	}
}

// memChild parses one shape and prints a MEM line with the peak RSS.
func memChild(name string) {
	var r io.Reader
	if name == "realistic" {
		r = realisticReader(64 << 20)
	}
	for _, sh := range hostileShapes {
		if sh.name == name {
			r = &partsReader{parts: sh.parts(1)}
		}
	}
	if r == nil {
		fmt.Println("unknown shape", name)
		os.Exit(2)
	}
	stats, err := ParseExportErrors(r, nil)
	if err != nil {
		fmt.Println("parse:", err)
		os.Exit(1)
	}
	fmt.Printf("MEM shape=%s objects=%d errors=%d skipped=%d bytes=%d vmhwm_kb=%d\n", name, stats.Objects, stats.ExportErrors, stats.Skipped, stats.Bytes, vmHWM())
	os.Exit(0)
}

func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// BenchmarkParseShapes parses a 64 MB generated file and each full-size
// hostile shape, reporting bytes/op (-benchmem) and the peak live heap,
// sampled every millisecond through runtime/metrics.
func BenchmarkParseShapes(b *testing.B) {
	type bench struct {
		name string
		r    func() (io.Reader, int64)
	}
	benches := []bench{{"realistic-64MB", func() (io.Reader, int64) { return realisticReader(64 << 20), 64 << 20 }}}
	for _, sh := range hostileShapes {
		benches = append(benches, bench{sh.name, func() (io.Reader, int64) {
			pr := &partsReader{parts: sh.parts(1)}
			return pr, pr.size()
		}})
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			var peak uint64
			runtime.GC()
			for b.Loop() {
				r, size := bb.r()
				b.SetBytes(size)
				stop := sampleHeap(&peak)
				_, err := ParseExportErrors(r, nil)
				stop()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap records the peak of live heap objects until the returned stop.
func sampleHeap(peak *uint64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
