package remediate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entra8344/detect"
	"entra8344/internal/textout"
	"entra8344/schema"
)

// TestResultTextGolden: the console view (detect.WriteResultText, what
// remediate and revert print with --format text) of a verified remediate,
// a second run (already-present) and the revert that undoes it, on one
// replayed directory; golden files in testdata/text (-update rewrites
// them), journal ids and the state folder blanked. No line holds a
// control character.
func TestResultTextGolden(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified || res.Journal == nil {
		t.Fatalf("remediate: %s (%s)", res.Status, res.Summary)
	}
	again := w.remediate(tok)
	rev := w.revert(w.revertEnv(res.Journal.ID, false))
	if rev.Status != schema.ResultVerified && rev.Status != schema.ResultPending {
		t.Fatalf("revert: %s (%s)", rev.Status, rev.Summary)
	}
	for _, c := range []struct {
		file string
		res  *schema.Result
	}{{"remediate-verified.txt", res}, {"remediate-second-run.txt", again}, {"revert.txt", rev}} {
		t.Run(c.file, func(t *testing.T) {
			var b strings.Builder
			if err := detect.WriteResultText(&b, c.res); err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(b.String(), w.stateDir, "<state>")
			for _, r := range []*schema.Result{res, again, rev} {
				if r.Journal != nil {
					got = strings.ReplaceAll(got, r.Journal.ID, "<journal>")
				}
			}
			for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if bad, ok := textout.Unsafe(line); ok {
					t.Errorf("line %d holds %s", i+1, bad)
				}
			}
			for _, s := range c.res.Steps {
				if !strings.Contains(got, ". "+s.Name+": "+string(s.Status)) {
					t.Errorf("step %s (%s) is not shown", s.Name, s.Status)
				}
				for _, ev := range append([]string{s.Evidence.ACE, s.Evidence.Before, s.Evidence.After}, append(s.Evidence.ObjectsVerified, s.Evidence.ObjectsPending...)...) {
					if ev != "" && !strings.Contains(got, ev) {
						t.Errorf("step %s: evidence %q is not shown", s.Name, ev)
					}
				}
			}
			path := filepath.Join("testdata", "text", c.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./remediate -run TestResultTextGolden -update)", err)
			}
			if string(want) != got {
				t.Errorf("%s differs (-update, then review the diff):\n%s", path, got)
			}
		})
	}
}
