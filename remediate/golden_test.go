package remediate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entra8344/detect"
	"entra8344/fixtures"
	"entra8344/fixtures/essentials"
	"entra8344/internal/ldap"
	"entra8344/schema"
)

var update = flag.Bool("update", false, "rewrite fixtures/scenarios/*/expected-remediate.json")

// ExpectedFile is each remediable scenario's golden remediate result.
const expectedFile = "expected-remediate.json"

// TestRemediateGolden: every scenario whose verdict is remediable goes
// detect -> token -> remediate on its replayed directory (the protection
// task simulated), and the result equals expected-remediate.json.
func TestRemediateGolden(t *testing.T) {
	n := 0
	for _, name := range fixtures.Names() {
		fsys, _, err := fixtures.Scenario(name)
		if err != nil {
			t.Fatal(err)
		}
		ess, err := essentials.Load(fsys)
		if err != nil {
			t.Fatalf("scenario %s: %v", name, err)
		}
		w := newWorld(t, name, true)
		v := detect.Run(context.Background(), w.detectEnv(), detect.DefaultOptions())
		if !w.sc.HasDirectory() || v.Status != schema.StatusRemediable {
			// A scenario whose design is a remediate run must get one.
			if ess.Remediate != nil {
				t.Errorf("%s: the essentials state a remediate result, but the verdict is %s: no remediate run", name, v.Status)
			}
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			w.t = t
			_, tok := w.approve()
			res := w.remediate(tok)
			got := normalize(t, res)
			path := filepath.Join("..", "fixtures", "scenarios", name, expectedFile)
			// Under -update the assertions below still run: a golden file is
			// never rewritten to a result that is not verified, nor to one
			// that contradicts the scenario's hand-written essentials.
			if res.Status != schema.ResultVerified {
				t.Fatalf("%s: %s: not writing %s", res.Status, res.Summary, path)
			}
			if bad := ess.CheckResult(res); len(bad) > 0 {
				t.Fatalf("the result contradicts the essentials in %s/scenario.json (not writing %s):\n  %s", name, path, strings.Join(bad, "\n  "))
			}
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./remediate -run TestRemediateGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s:\n%s", path, got)
			}
		})
	}
	if n < 3 {
		t.Errorf("only %d remediable scenarios: the golden test covers too little", n)
	}
}

// normalize blanks what differs per run: the journal's id and path.
func normalize(t *testing.T, res *schema.Result) []byte {
	t.Helper()
	r := *res
	if r.Journal != nil {
		r.Journal = &schema.JournalRef{ID: "<journal>", Path: "<state>/journal/<journal>.json"}
	}
	b, err := schema.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Journal != nil {
		b = bytes.ReplaceAll(b, []byte(res.Journal.ID), []byte("<journal>"))
	}
	var check map[string]any
	if err := json.Unmarshal(b, &check); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDryRunChangesNothing: --dry-run shows each DACL before and after and
// writes nothing, not even a journal.
func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	before := w.holder()
	res := w.remediateWith(tok, func(e *remediateEnv) { e.DryRun = true })
	if res.Status != schema.ResultDryRun || res.ExitCode != 0 || !res.DryRun || res.Journal != nil || !strings.HasPrefix(res.Summary, "DRY RUN") {
		t.Fatalf("%s %v %s", res.Status, res.DryRun, res.Summary)
	}
	var write schema.ResultStep
	for _, s := range res.Steps {
		if s.Name == "write" {
			write = s
		}
	}
	want := "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)"
	if write.Status != schema.StepSkipped || strings.Contains(write.Evidence.Before, want) || !strings.Contains(write.Evidence.After, want) {
		t.Errorf("write step %+v", write)
	}
	if n := len(w.dir.Modifications()); n != 0 || !bytes.Equal(w.holder(), before) {
		t.Errorf("a dry run wrote %d modifications", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(w.stateDir, "journal")); len(entries) != 0 {
		t.Errorf("a dry run wrote %d journal files", len(entries))
	}
}

// TestFaultsBeforeTheWrite: the DACL changing between backup and write, and
// the connection lost at the write, leave AdminSDHolder as it was.
func TestFaultsBeforeTheWrite(t *testing.T) {
	t.Run("DACL changed between read and write", func(t *testing.T) {
		w := newWorld(t, "keycredlink-admin", true)
		_, tok := w.approve()
		reads := 0
		w.failOn(func(op, dn string) error {
			if op == "search" && strings.HasPrefix(dn, "CN=AdminSDHolder") {
				reads++
				if reads == 3 { // detect's read, the backup, then the compare: someone edits in between
					w.editHolder()
				}
			}
			return nil
		})
		res := w.remediate(tok)
		if res.Status != schema.ResultError || stepStatus(res, "compare") != schema.StepFailed || stepStatus(res, "write") != "" {
			t.Fatalf("%s: %s", res.Status, res.Summary)
		}
	})
	t.Run("connection lost at the write", func(t *testing.T) {
		w := newWorld(t, "keycredlink-admin", true)
		_, tok := w.approve()
		before := w.holder()
		w.failModify(func(dn string) error {
			return &ldap.Error{Op: "modify", DN: dn, Code: ldap.ResultServerDown, Message: "connection lost"}
		})
		res := w.remediate(tok)
		if res.Status != schema.ResultError || stepStatus(res, "write") != schema.StepFailed || !bytes.Equal(w.holder(), before) {
			t.Fatalf("%s: %s", res.Status, res.Summary)
		}
	})
}
