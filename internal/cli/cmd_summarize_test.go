package cli

import (
	"encoding/csv"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entra8344/schema"
)

// The fleet view end to end through the CLI: every recorded verdict as a
// folder, plus a hostile line on standard input; exit 0 with rejections;
// one document on stdout; --output writes the file and nothing to stdout.
func TestSummarizeCLI(t *testing.T) {
	dir := t.TempDir()
	files := mustGlob(t, "../../fixtures/scenarios/*/expected.json")
	remediable := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"status": "remediable"`) {
			remediable++
		}
		name := filepath.Base(filepath.Dir(f))
		// One client per scenario, so that each is its own server.
		b = []byte(strings.Replace(string(b), `"client": ""`, `"client": "`+name+`"`, 1))
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	summarizeStdin = strings.NewReader("not a verdict\n")
	t.Cleanup(func() { summarizeStdin = os.Stdin })

	stdout, stderr, code := runCLI(t, "summarize", dir, "-", "--now", "2025-06-20T12:00:00Z")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if err := schemacheck.Validate("summary", []byte(stdout)); err != nil {
		t.Fatalf("stdout is not a valid summary: %v", err)
	}
	var s schema.Summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Totals.Hosts != len(files) || s.Inputs.Rejected != 1 || s.Rejected[0].Source != "-" || s.GeneratedAt != "2025-06-20T12:00:00Z" ||
		s.Totals.ByStatus[schema.StatusRemediable].Hosts != remediable || remediable < 4 {
		t.Errorf("totals %+v, inputs %+v, rejected %+v", s.Totals, s.Inputs, s.Rejected)
	}

	out := filepath.Join(t.TempDir(), "fleet.csv")
	stdout, stderr, code = runCLI(t, "summarize", dir, "--format", "csv", "--output", out)
	if code != exitOK || stdout != "" || stderr != "" {
		t.Fatalf("--output: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if recs, err := csv.NewReader(f).ReadAll(); err != nil || len(recs) != len(files)+1 {
		t.Errorf("CSV: %d records, %v", len(recs), err)
	}

	stdout, _, code = runCLI(t, "summarize", dir, "--format", "html")
	if code != exitOK || !strings.HasPrefix(stdout, "<!DOCTYPE html>") || !strings.Contains(stdout, "keycredlink-admin") {
		t.Errorf("html: exit %d, %.80q", code, stdout)
	}
}

// The command line fails with exit 3 and no document; an unwritable
// --output with exit 3, one stderr line and the document on stdout.
func TestSummarizeCLIErrors(t *testing.T) {
	for _, args := range [][]string{
		{"summarize", "--now", "yesterday", "/nonexistent"},
		{"summarize", "--stale", "a week", "/nonexistent"},
		{"summarize", "--limit", "-1", "/nonexistent"},
		{"summarize", "--format", "xml", "/nonexistent"},
	} {
		stdout, stderr, code := runCLI(t, args...)
		if code != exitUnknown || stdout != "" || stderr == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	stdout, stderr, code := runCLI(t, "summarize", "--output", "/nonexistent-dir/x.json", "/nonexistent")
	if code != exitUnknown || !strings.HasPrefix(stdout, "{") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "/nonexistent-dir/x.json") {
		t.Errorf("unwritable --output: exit %d, stdout %.40q, stderr %q", code, stdout, stderr)
	}
}

// TestSummarizeIncomplete: a path that does not exist, or inputs of which
// none is a verdict, are exit 1 with one stderr line in every format; the
// document still lists them as rejected.
func TestSummarizeIncomplete(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.json")
	if err := os.WriteFile(junk, []byte(`{"not":"a verdict"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "csv", "html"} {
		for _, c := range []struct{ path, stderr string }{{"/nonexistent", "cannot read /nonexistent"}, {junk, "every input was rejected"}} {
			stdout, stderr, code := runCLI(t, "summarize", "--format", format, c.path, "--stale", "36h")
			if code != exitSummaryIncomplete || stdout == "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.stderr) {
				t.Errorf("%s %s: exit %d, stderr %q", format, c.path, code, stderr)
			}
			if format == "json" && (!strings.Contains(stdout, `"rejected": 1`) || !strings.Contains(stdout, `"stale_after_seconds": 129600`)) {
				t.Errorf("%s: %s", c.path, stdout)
			}
		}
	}
}

func TestSchemaSummary(t *testing.T) {
	stdout, _, code := runCLI(t, "schema", "summary")
	want, _ := schema.Document("summary")
	if code != exitOK || stdout != string(want) {
		t.Errorf("schema summary: exit %d", code)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v (%d files)", pattern, err, len(m))
	}
	return m
}
