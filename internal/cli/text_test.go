package cli

import (
	"encoding/json"
	"entra8344/internal/schemacheck"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"entra8344/fixtures"
	"entra8344/internal/textout"
	"entra8344/schema"
)

// textGoldens are the scenarios whose console view is a golden file: the
// demo, a member server (the DC path: scope dc, run_on, the plan's
// parameters), a cleanup approval and hostile names.
var textGoldens = []string{"demo", "keycredlink-admin", "member-server", "stale-msol-ace", "hostile", "forest-root-pdc"}

// compareGolden compares got with testdata/text/name (rewritten with -update).
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "text", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run TestText -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (go test ./internal/cli -run TestText -update, then review the diff):\n%s", path, got)
	}
}

// TestTextGolden: detect --format text of each golden scenario.
func TestTextGolden(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	for _, name := range textGoldens {
		t.Run(name, func(t *testing.T) {
			t.Setenv(sessionsEnv, t.TempDir()) // a fresh session: the scenario's own clock
			stdout, stderr, _ := runCLI(t, "detect", "--replay", name, "--format", "text")
			if stderr != "" {
				t.Errorf("stderr: %q", stderr)
			}
			compareGolden(t, "detect-"+name+".txt", stdout)
		})
	}
}

// assertConsoleSafe: no control character other than the newline between
// lines, no bidi override, no invalid UTF-8.
func assertConsoleSafe(t *testing.T, what, out string) {
	t.Helper()
	if strings.TrimSpace(out) == "" {
		t.Fatalf("%s printed nothing", what)
	}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if bad, ok := textout.Unsafe(line); ok {
			t.Errorf("%s, line %d holds %s: %q", what, i+1, bad, line)
		}
	}
}

// TestTextHasNoControlCharacters: every scenario's text and summary views.
func TestTextHasNoControlCharacters(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	for _, name := range fixtures.Names() {
		for _, format := range []string{"text", "summary"} {
			stdout, _, _ := runCLI(t, "detect", "--replay", name, "--format", format)
			assertConsoleSafe(t, name+" --format "+format, stdout)
		}
	}
	// The fixtures' only control character is the newline in hostile's
	// connector name, which a line-by-line check cannot see: it must show
	// as \n, and never start a line of its own.
	stdout, _, _ := runCLI(t, "detect", "--replay", "hostile", "--format", "text")
	if !strings.Contains(stdout, `connector contoso.com "prod"\nline2 (writeback)`) || strings.Contains(stdout, "\nline2") {
		t.Errorf("hostile's connector name is not shown escaped:\n%s", stdout)
	}
}

// TestTextApprovalCommands: the view shows every approval field and the
// lines that carry it out; each line, run by the shell it names, sets the
// token (and for the DC path the plan) and runs remediate on run_on.
func TestTextApprovalCommands(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	for _, c := range []struct {
		scenario string
		cleanup  bool
	}{{"demo", false}, {"member-server", false}, {"stale-msol-ace", true}} {
		t.Run(c.scenario, func(t *testing.T) {
			t.Setenv(sessionsEnv, t.TempDir()) // a fresh session: the scenario's own clock
			doc, _, _ := runCLI(t, "detect", "--replay", c.scenario)
			v := normalize(t, []byte(doc))
			var raw schema.Verdict // the replay's name: demo is keycredlink-admin
			if err := json.Unmarshal([]byte(doc), &raw); err != nil || raw.Collection.Replay == nil {
				t.Fatalf("no collection.replay: %v", err)
			}
			replay := *raw.Collection.Replay
			text, _, _ := runCLI(t, "detect", "--replay", c.scenario, "--format", "text", "--fresh")
			for _, a := range []*schema.Approval{v.Approval, v.CleanupApproval} {
				if a == nil {
					continue
				}
				for _, field := range []string{a.Token, a.ExpiresAt, a.Scope, a.RunOn, a.PlanDigest, a.KeySource} {
					if !strings.Contains(text, field) {
						t.Errorf("the text view lacks %q", field)
					}
				}
				ps := "$env:ENTRA8344_APPROVAL_TOKEN='" + a.Token + "'; "
				cmd := []string{`set "ENTRA8344_APPROVAL_TOKEN=` + a.Token + `"`}
				if a.Scope == "dc" {
					ps += "$env:ENTRA8344_APPROVAL_PLAN='" + a.Plan + "'; "
					cmd = append(cmd, `set "ENTRA8344_APPROVAL_PLAN=`+a.Plan+`"`)
					if !strings.Contains(text, "Run it on "+a.RunOn+" (not on this host)") {
						t.Errorf("the DC path does not say where to run it")
					}
				}
				ps += "entra8344.exe remediate --replay " + replay + "\n"
				cmd = append(cmd, "entra8344.exe remediate --replay "+replay+"\n")
				for _, want := range []string{ps, strings.Join(cmd, "\n    ")} {
					if !strings.Contains(text, "    "+want) {
						t.Errorf("the text view lacks the line\n%s\nin\n%s", want, text)
					}
				}
			}
			if c.cleanup != (v.CleanupApproval != nil) || c.cleanup != strings.Contains(text, "Approval of the cleanup (scope host):") {
				t.Errorf("cleanup approval %v, shown: %v", v.CleanupApproval, strings.Contains(text, "Approval of the cleanup"))
			}
		})
	}
}

// TestPlanIDsInOrder: in every scenario the plan's changes are numbered in
// the order they run (C1, C2, ...), the cleanup's R1, R2, ..., and every
// diagnosis names existing changes.
func TestPlanIDsInOrder(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	for _, name := range fixtures.Names() {
		doc, _, _ := runCLI(t, "detect", "--replay", name)
		v := normalize(t, []byte(doc))
		ids := map[string]bool{}
		for prefix, p := range map[string]schema.Plan{"C": v.Directory.Plan, "R": v.Directory.Cleanup} {
			for i, c := range p.Changes {
				if want := fmt.Sprintf("%s%d", prefix, i+1); c.ID != want {
					t.Errorf("%s: change %d of the plan is %s, not %s", name, i+1, c.ID, want)
				}
				ids[c.ID] = true
			}
		}
		for _, g := range v.Directory.Diagnoses {
			for _, id := range g.Changes {
				if !ids[id] {
					t.Errorf("%s: diagnosis %s names change %s, which the plans lack", name, g.ID, id)
				}
			}
		}
	}
}

// journalID matches a journal's id (and so its file name) in a result.
var journalID = regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]+`)

// TestResultText: remediate and revert take --format text, print the
// console view of the same result (golden, journal id and state folder
// blanked) and nothing a terminal would act on.
func TestResultText(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	state := t.TempDir()
	t.Setenv("ENTRA8344_STATE_DIR", state)
	doc, _, _ := runCLI(t, "detect", "--replay", "keycredlink-admin")
	v := normalize(t, []byte(doc))
	t.Setenv("ENTRA8344_APPROVAL_TOKEN", v.Approval.Token)
	out, stderr, code := runCLI(t, "remediate", "--replay", "keycredlink-admin", "--format", "text")
	if code != 0 || stderr != "" || !strings.HasPrefix(out, "entra8344 remediate: VERIFIED (exit 0)\n") {
		t.Fatalf("exit %d, stderr %q:\n%s", code, stderr, out)
	}
	assertConsoleSafe(t, "remediate --format text", out)
	id := journalID.FindString(out)
	if id == "" || !strings.Contains(out, "Undo it:     entra8344.exe revert --journal "+id+" --replay keycredlink-admin\n") {
		t.Errorf("no undo line for journal %q:\n%s", id, out)
	}
	blank := func(s string) string {
		return journalID.ReplaceAllString(strings.ReplaceAll(s, state, "<state>"), "<journal>")
	}
	compareGolden(t, "remediate-keycredlink-admin.txt", blank(out))

	out, _, code = runCLI(t, "revert", "--replay", "keycredlink-admin", "--journal", "20990101T000000Z-000000", "--format", "text")
	if code == 0 || !strings.HasPrefix(out, "entra8344 revert: ") || !strings.Contains(out, "Refused (") {
		t.Fatalf("revert of a missing journal: exit %d:\n%s", code, out)
	}
	assertConsoleSafe(t, "revert --format text", out)
	compareGolden(t, "revert-missing-journal.txt", blank(out))

	out, _, _ = runCLI(t, "revert", "--replay", "keycredlink-admin", "--journal", "20990101T000000Z-000000")
	if err := schemacheck.Validate("result", []byte(out)); err != nil {
		t.Errorf("revert's default output is not the JSON result: %v", err)
	}
}
