package summarize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"entra8344/schema"
)

var testNow = time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)

// verdict makes a compact verdict from a scenario's expected.json for
// client/computer.domain at a time ("2025-06-19T10:00:00Z").
func verdict(t *testing.T, scenario, client, computer, domain, at string) []byte {
	t.Helper()
	var v schema.Verdict
	if err := json.Unmarshal(fixtureVerdicts(t)[scenario], &v); err != nil {
		t.Fatal(err)
	}
	v.Labels.Client, v.Host.Computer, v.Host.DNSDomain, v.GeneratedAt = client, computer, domain, at
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ndjson(docs ...[]byte) string {
	return string(bytes.Join(docs, []byte("\n"))) + "\n"
}

func summarizeString(t *testing.T, o Options, in string) *Result {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = testNow
	}
	s := New(o)
	s.AddStream("-", strings.NewReader(in))
	return s.Result()
}

// hostRows is what the newest-wins tests compare: host, status, line.
func hostRows(r *Result) []string {
	var out []string
	for _, h := range r.Summary.Hosts {
		out = append(out, h.Client+"/"+h.Computer+"."+h.DNSDomain+" "+string(h.Status)+" "+h.GeneratedAt+" line "+itoa(h.Line))
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestNewestWins(t *testing.T) {
	old := verdict(t, "keycredlink-admin", "Contoso", "DC01", "contoso.com", "2025-06-18T10:00:00Z")
	newer := verdict(t, "healthy", "Contoso", "dc01", "CONTOSO.COM", "2025-06-19T10:00:00Z") // names differ in case only
	other := verdict(t, "healthy", "contoso", "DC01", "contoso.com", "2025-06-17T10:00:00Z") // another client label
	tie := verdict(t, "service-stopped", "Contoso", "DC01", "contoso.com", "2025-06-19T10:00:00Z")
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"newest last", ndjson(old, newer, other), []string{"Contoso/dc01.CONTOSO.COM healthy 2025-06-19T10:00:00Z line 2", "contoso/DC01.contoso.com healthy 2025-06-17T10:00:00Z line 3"}},
		{"newest first", ndjson(newer, old, other), []string{"Contoso/dc01.CONTOSO.COM healthy 2025-06-19T10:00:00Z line 1", "contoso/DC01.contoso.com healthy 2025-06-17T10:00:00Z line 3"}},
		// Same time: the later input wins, so a re-run of the same hour replaces.
		{"tie", ndjson(newer, tie), []string{"Contoso/DC01.contoso.com sync_service_down 2025-06-19T10:00:00Z line 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := summarizeString(t, Options{}, tc.in)
			got := hostRows(r)
			// Report order puts needing action first; compare as sets here.
			if diff := cmp.Diff(tc.want, got, cmpSorted); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			in := r.Summary.Inputs
			if in.Verdicts != strings.Count(tc.in, "\n") || in.Superseded != in.Verdicts-len(tc.want) || in.Rejected != 0 {
				t.Errorf("inputs %+v", in)
			}
		})
	}
	r := summarizeString(t, Options{}, ndjson(old, newer, old, old))
	if h := r.Summary.Hosts[0]; h.Superseded != 3 || r.Summary.Totals.ByStatus[schema.StatusRemediable].Hosts != 0 {
		t.Errorf("superseded %d, totals %+v", h.Superseded, r.Summary.Totals.ByStatus)
	}
}

var cmpSorted = cmp.Transformer("sorted", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// Stale servers are flagged and counted apart in every total, not mixed in.
func TestStale(t *testing.T) {
	fresh := verdict(t, "keycredlink-admin", "A", "DC01", "a.local", "2025-06-20T11:00:00Z")
	week := verdict(t, "keycredlink-admin", "B", "DC01", "b.local", "2025-06-13T11:59:59Z") // 7 days and 1 s
	exact := verdict(t, "healthy", "C", "AADC01", "c.local", "2025-06-13T12:00:00Z")        // exactly 7 days: not stale
	r := summarizeString(t, Options{StaleAfter: 7 * 24 * time.Hour}, ndjson(fresh, week, exact))
	tot := r.Summary.Totals
	if tot.Hosts != 3 || tot.Stale != 1 || tot.ByStatus[schema.StatusRemediable] != (schema.HostCount{Hosts: 2, Stale: 1}) ||
		tot.ByFindingKind[schema.KindPermission8344] != (schema.KindCount{Hosts: 2, Stale: 1, Objects: 2}) ||
		tot.ByDiagnosisKind[schema.DiagAdminSDHolderWritebackDenied].Stale != 1 {
		t.Errorf("totals %+v", tot)
	}
	stale := map[string]bool{}
	for _, h := range r.Summary.Hosts {
		stale[h.Client] = h.Stale
	}
	if !stale["B"] || stale["A"] || stale["C"] {
		t.Errorf("stale flags %v", stale)
	}
	if c := r.Summary.Clients; len(c) != 3 || c[0].Client != "A" || c[1].Client != "B" || c[1].Stale != 1 {
		t.Errorf("clients %+v", c)
	}
	// --stale 0: never stale.
	if r := summarizeString(t, Options{}, ndjson(week)); r.Summary.Totals.Stale != 0 || r.Summary.StaleAfterSeconds != 0 {
		t.Errorf("stale with StaleAfter 0: %+v", r.Summary.Totals)
	}
}

// Needing action first, oldest error first; the rest after, stale first.
func TestReportOrder(t *testing.T) {
	in := ndjson(
		verdict(t, "healthy", "H", "AADC01", "h.local", "2025-06-20T11:00:00Z"),
		verdict(t, "healthy", "S", "AADC01", "s.local", "2025-06-01T11:00:00Z"),            // stale, healthy
		verdict(t, "protect-task-pending", "P", "DC01", "p.local", "2025-06-20T11:00:00Z"), // first_occurred 2025-06-16
		verdict(t, "stale-admincount", "O", "DC01", "o.local", "2025-06-20T11:00:00Z"),     // first_occurred 2025-01-07
		verdict(t, "service-stopped", "D", "AADC01", "d.local", "2025-06-10T11:00:00Z"),    // no findings: since its verdict
	)
	r := summarizeString(t, Options{StaleAfter: 7 * 24 * time.Hour}, in)
	var got []string
	for _, h := range r.Summary.Hosts {
		got = append(got, h.Client)
	}
	if diff := cmp.Diff([]string{"O", "D", "P", "S", "H"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// Folders are read recursively, in lexical order; other files are skipped
// and counted; unreadable paths and non-verdicts are rejected, never fatal.
func TestPathsAndRejections(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fx := fixtureVerdicts(t)
	write("b/contoso/dc01.json", string(fx["keycredlink-admin"]))                                                        // pretty, one per file
	write("a/fleet.ndjson", ndjson(verdict(t, "healthy", "F", "S1", "f.local", "2025-06-20T10:00:00Z"), []byte("oops"))) // line 2 rejected
	write("a/notes.txt", "not read")
	write("c/array.json", "["+string(fx["healthy"])+"]")
	write("c/wrong.jsonl", `{"schema_version":"entra8344.verdict.v1"}`)
	write("c/cut.json", string(fx["healthy"][:300]))
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range string(verdict(t, "healthy", "U", "S2", "u.local", "2025-06-20T10:00:00Z")) {
		utf16 = append(utf16, byte(r), byte(r>>8)) // the verdict is ASCII
	}
	write("d/powershell-out.json", string(utf16))
	write("d/bom.json", "\xEF\xBB\xBF"+string(verdict(t, "healthy", "B", "S3", "b.local", "2025-06-20T10:00:00Z")))

	s := New(Options{Now: testNow})
	s.AddPath(dir, nil)
	s.AddPath(filepath.Join(dir, "missing.json"), nil)
	r := s.Result()
	var rejected []string
	for _, x := range r.Summary.Rejected {
		rejected = append(rejected, strings.TrimPrefix(x.Source, dir)+":"+itoa(x.Line)+" "+firstWords(x.Reason))
	}
	want := []string{
		"/a/fleet.ndjson:2 not a verdict",
		"/c/array.json:1 a JSON array, not a verdict",
		"/c/cut.json:1 not valid JSON", // line 9 ends inside a string
		"/c/wrong.jsonl:1 schema_version \"entra8344.verdict.v1\" is not one this build reads",
		"/missing.json:0 cannot read",
	}
	if diff := cmp.Diff(want, rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	in := r.Summary.Inputs
	if in.Verdicts != 4 || in.Rejected != 5 || in.FilesSkipped != 1 || in.Sources != 8 || in.Documents != 8 {
		t.Errorf("inputs %+v", in)
	}
	if got := hostRows(r); len(got) != 4 {
		t.Errorf("hosts %v", got)
	}
}

// The rejected list is capped; the count is not.
func TestRejectedCapped(t *testing.T) {
	r := summarizeString(t, Options{Limit: 3}, strings.Repeat("garbage\n", 10))
	if s := r.Summary; len(s.Rejected) != 3 || s.RejectedOmitted != 7 || s.Inputs.Rejected != 10 {
		t.Errorf("rejected %d, omitted %d, count %d", len(s.Rejected), s.RejectedOmitted, s.Inputs.Rejected)
	}
	r = summarizeString(t, Options{}, strings.Repeat("garbage\n", maxRejectedListed+5))
	if s := r.Summary; len(s.Rejected) != maxRejectedListed || s.RejectedOmitted != 5 {
		t.Errorf("unlimited: rejected %d, omitted %d", len(s.Rejected), s.RejectedOmitted)
	}
}

// One NDJSON stream with damage among 2,000 verdicts (several pipeline
// batches): every bad line is rejected at its line, in input order, and
// every good one is counted.
func TestStreamRejections(t *testing.T) {
	good := verdict(t, "healthy", "C", "S", "c.local", "2025-06-20T10:00:00Z")
	bad := map[int]string{
		10:   `{"schema_version":"entra8344.verdict.v2","status":"healthy",`, // cut off; resynced by line 11
		600:  string(good[:bytes.Index(good, []byte(`"summary":"`))+15]),     // cut inside a string
		700:  `[` + string(good) + `]`,
		1300: `{"huge":"` + strings.Repeat("x", 5000) + `"}`,
		1999: "\x00\x01binary",
	}
	var b strings.Builder
	for i := 1; i <= 2000; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		b.Write(verdict(t, "healthy", "C", "S"+itoa(i), "c.local", "2025-06-20T10:00:00Z"))
		b.WriteString("\n")
	}
	r := summarizeString(t, Options{MaxDocBytes: 4096}, b.String())
	var got []string
	for _, x := range r.Summary.Rejected {
		got = append(got, itoa(x.Line)+" "+firstWords(x.Reason))
	}
	want := []string{"10 cut off", "600 not valid JSON", "700 a JSON array, not a verdict", "1300 larger than the 4096-byte limit", "1999 not a verdict"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	if in := r.Summary.Inputs; in.Verdicts != 1995 || in.Documents != 2000 || r.Summary.Totals.Hosts != 1995 {
		t.Errorf("inputs %+v, hosts %d", in, r.Summary.Totals.Hosts)
	}
}
