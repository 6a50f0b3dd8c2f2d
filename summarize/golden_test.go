package summarize

import (
	"bytes"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"entra8344/schema"
	"entra8344/summarize/fleetgen"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixtureFleet is every recorded verdict as the server of a client named
// after its scenario, plus an older verdict of one (superseded), a stale
// one, and a line that is not a verdict.
func fixtureFleet(t *testing.T) string {
	t.Helper()
	fx := fixtureVerdicts(t)
	var docs [][]byte
	for _, name := range sortedKeys(fx) {
		var v schema.Verdict
		if err := json.Unmarshal(fx[name], &v); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, verdict(t, name, name, v.Host.Computer, v.Host.DNSDomain, v.GeneratedAt))
	}
	docs = append(docs,
		verdict(t, "healthy", "keycredlink-admin", "DC01", "contoso.com", "2025-06-15T15:00:00Z"),
		verdict(t, "healthy", "zz stale client", "AADC09", "stale.local", "2025-05-01T08:00:00Z"),
		[]byte(`{"schema_version":"entra8344.verdict.v1","status":"healthy"}`))
	return ndjson(docs...)
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./summarize -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		out := filepath.Join(os.TempDir(), "entra8344-"+name+".got")
		os.WriteFile(out, got, 0o644)
		t.Errorf("%s differs from the golden file: diff %s %s (go test ./summarize -update rewrites it after review)", name, path, out)
	}
}

func TestGoldenFixtureFleet(t *testing.T) {
	r := summarizeString(t, Options{StaleAfter: 7 * 24 * time.Hour, Version: "test"}, fixtureFleet(t))
	var js, csv, html bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := schemacheck.Validate("summary", js.Bytes()); err != nil {
		t.Fatalf("summary does not validate: %v", err)
	}
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&html, "Fixture fleet"); err != nil {
		t.Fatal(err)
	}
	golden(t, "fixtures.summary.json", js.Bytes())
	golden(t, "fixtures.summary.csv", csv.Bytes())
	golden(t, "fixtures.summary.html", html.Bytes())

	tot := r.Summary.Totals
	if tot.Hosts != len(fixtureVerdicts(t))+1 || tot.Stale != 1 || r.Summary.Inputs.Superseded != 1 || r.Summary.Inputs.Rejected != 1 {
		t.Errorf("totals %+v inputs %+v", tot, r.Summary.Inputs)
	}
}

// Generated fleets of several sizes and limits validate, and the totals add
// up whatever the caps.
func TestGeneratedFleets(t *testing.T) {
	for _, tc := range []struct {
		verdicts, limit int
		hostile         bool
	}{{1, 0, false}, {50, 0, true}, {2000, 100, true}, {5000, 0, false}} {
		g, err := fleetgen.New(fleetgen.Options{Verdicts: tc.verdicts, Seed: uint64(tc.verdicts), Now: testNow, Hostile: tc.hostile})
		if err != nil {
			t.Fatal(err)
		}
		var in bytes.Buffer
		if err := g.WriteNDJSON(&in); err != nil {
			t.Fatal(err)
		}
		r := summarizeString(t, Options{StaleAfter: 7 * 24 * time.Hour, Limit: tc.limit}, in.String())
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		if err := schemacheck.Validate("summary", js.Bytes()); err != nil {
			t.Fatalf("%d verdicts: summary does not validate: %v", tc.verdicts, err)
		}
		s := r.Summary
		sum := 0
		for _, c := range s.Totals.ByStatus {
			sum += c.Hosts
		}
		clientHosts := 0
		for _, c := range s.Clients {
			clientHosts += c.Hosts
		}
		if s.Inputs.Verdicts != tc.verdicts || s.Inputs.Rejected != 0 || sum != s.Totals.Hosts ||
			s.Totals.Hosts != s.Inputs.Verdicts-s.Inputs.Superseded || len(s.Hosts)+s.HostsOmitted != s.Totals.Hosts ||
			(s.ClientsOmitted == 0 && clientHosts != s.Totals.Hosts) || (tc.limit > 0 && len(s.Hosts) > tc.limit) {
			t.Errorf("%d verdicts: inputs %+v, %d by status, %d hosts listed + %d omitted, total %d",
				tc.verdicts, s.Inputs, sum, len(s.Hosts), s.HostsOmitted, s.Totals.Hosts)
		}
	}
}

// The summary schema's enums are the verdict's: a kind added to one and not
// the other would make dashboards miss it.
func TestSummarySchemaEnums(t *testing.T) {
	var doc struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	raw, err := schema.Document("summary")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	check := func(name string, want []string) {
		got := doc.Defs[name].Enum
		if !slices.Equal(got, want) {
			t.Errorf("$defs.%s.enum %v, want %v", name, got, want)
		}
	}
	check("status", strs(schema.Statuses))
	check("finding_kind", strs(findingKinds))
	check("diagnosis_kind", strs(schema.DiagnosisKinds))
	if len(statusOrder) != len(schema.Statuses) || len(statusLabels) != len(schema.Statuses) ||
		len(diagnosisLabels) != len(schema.DiagnosisKinds) || len(findingLabels) != len(findingKinds) {
		t.Errorf("a status or kind lacks its place in the report order or its label")
	}
}

func strs[T ~string](in []T) []string {
	var out []string
	for _, s := range in {
		out = append(out, string(s))
	}
	return out
}
