package fleetgen

import (
	"bytes"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"testing"
	"time"

	"entra8344/schema"
)

// Generated verdicts are verdicts: every one of a sample validates against
// the verdict schema, and the mix has what the fleet view must show.
func TestGeneratedVerdictsValidate(t *testing.T) {
	g, err := New(Options{Verdicts: 400, Seed: 7, Hostile: true})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[schema.Status]int{}
	servers := map[int]bool{}
	n := 0
	err = g.Each(func(server int, doc []byte) error {
		n++
		servers[server] = true
		if n%4 == 0 { // a quarter: validation is the slow part
			if err := schemacheck.Validate("verdict", doc); err != nil {
				t.Fatalf("verdict %d does not validate: %v\n%.300s", n, err, doc)
			}
		}
		var v schema.Verdict
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		statuses[v.Status]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 400 || len(servers) != 364 {
		t.Errorf("%d verdicts for %d servers, want 400 for 364 (10%% older verdicts)", n, len(servers))
	}
	if len(statuses) != len(schema.Statuses) {
		t.Errorf("statuses %v: every status should occur in 400 verdicts", statuses)
	}
}

// The same seed makes the same fleet (the benchmark and the comparison
// script depend on it).
func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		g, err := New(Options{Verdicts: 50, Seed: 3, Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.WriteNDJSON(buf); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Count(a.Bytes(), []byte("\n")) != 50 {
		t.Errorf("two runs with one seed differ, or not 50 lines")
	}
}
