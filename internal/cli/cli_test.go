package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"entra8344/fixtures"
	"entra8344/fixtures/essentials"
	"entra8344/remediate"
	"entra8344/schema"
)

var update = flag.Bool("update", false, "rewrite fixtures/scenarios/*/expected.json (at the module root) from the current output")

// runCLI runs the command in-process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, IO{Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

// normalize drops what differs between runs of the same scenario: wall-clock
// timings, the build's version and the replay source's name.
func normalize(t *testing.T, doc []byte) schema.Verdict {
	t.Helper()
	var v schema.Verdict
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("verdict does not decode into schema.Verdict: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON document")
	}
	v.Collection.Timings = schema.Timings{}
	v.Tool.Version = ""
	v.Collection.Replay = nil
	return v
}

// TestScenarios replays every fixture through the real CLI and compares the
// verdict with expected.json; both must validate against the schema.
func TestScenarios(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", "") // replays sign with their scenario's key: reproducible tokens
	names := fixtures.Names()
	if len(names) < 12 {
		t.Fatalf("only %d scenarios in fixtures/scenarios", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "detect", "--replay", name)
			if stderr != "" {
				t.Errorf("stderr is not empty: %q", stderr)
			}
			if err := schemacheck.Validate("verdict", []byte(stdout)); err != nil {
				t.Fatalf("verdict does not validate: %v\n%s", err, stdout)
			}
			got := normalize(t, []byte(stdout))
			if got.ExitCode != code {
				t.Errorf("exit code %d, verdict says %d", code, got.ExitCode)
			}
			path := filepath.Join("..", "..", "fixtures", "scenarios", name, "expected.json")
			// The hand-written essentials are the oracle the golden file is
			// not: -update never writes a verdict that contradicts them.
			if bad := checkEssentials(t, name, &got); len(bad) > 0 {
				t.Fatalf("the verdict contradicts the essentials in %s/scenario.json (not writing expected.json):\n  %s", name, strings.Join(bad, "\n  "))
			}
			if *update {
				b, err := schema.Marshal(got)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestScenarios -update ./internal/cli to create it)", err)
			}
			if err := schemacheck.Validate("verdict", want); err != nil {
				t.Fatalf("expected.json does not validate: %v", err)
			}
			if diff := cmp.Diff(normalize(t, want), got); diff != "" {
				t.Errorf("verdict differs from expected.json (-want +got):\n%s", diff)
			}
		})
	}
}

// checkEssentials checks a verdict against its scenario's essentials.
func checkEssentials(t *testing.T, name string, v *schema.Verdict) []string {
	t.Helper()
	fsys, _, err := fixtures.Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	e, err := essentials.Load(fsys)
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	return e.CheckVerdict(v)
}

func TestDemoFormats(t *testing.T) {
	stdout, stderr, code := runCLI(t, "detect", "--replay", "demo", "--format", "summary", "--client", "Fabrikam", "--site", "HQ")
	if stderr != "" || code != exitRemedy {
		t.Fatalf("stderr %q, exit %d", stderr, code)
	}
	line := strings.TrimSuffix(stdout, "\n")
	if strings.Contains(line, "\n") || len(line) > 255 {
		t.Errorf("summary is not one line of at most 255 bytes: %q", line)
	}
	if !strings.HasPrefix(line, "[Fabrikam/HQ] REMEDIABLE: contoso.com permission-8344") || !strings.Contains(line, "why: adminsdholder-writeback-denied=1") {
		t.Errorf("summary %q", line)
	}

	stdout, stderr, code = runCLI(t, "detect", "--replay", "demo", "--format", "text")
	if stderr != "" || code != exitRemedy {
		t.Fatalf("stderr %q, exit %d", stderr, code)
	}
	for _, want := range []string{"REMEDIABLE", "CN=Jane Admin,OU=Admins,DC=contoso,DC=com", "msDS-KeyCredentialLink", "CONTOSO\\MSOL_2f4e1b7c9a3d",
		"Diagnosis D1: adminsdholder-writeback-denied", "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)",
		`dsacls "\\dc01.contoso.com\CN=AdminSDHolder,CN=System,DC=contoso,DC=com"`, "Risk (shadow-credentials)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestNoDirectory: --no-directory reads nothing from AD; the same export
// errors then need a person (no plan, no exit 2).
func TestNoDirectory(t *testing.T) {
	stdout, stderr, code := runCLI(t, "detect", "--replay", "demo", "--no-directory")
	if stderr != "" || code != exitPerson {
		t.Fatalf("stderr %q, exit %d", stderr, code)
	}
	v := normalize(t, []byte(stdout))
	if v.Status != schema.StatusExportErrors || v.Directory.Performed || v.Directory.Reason != "skipped (--no-directory)" ||
		v.Directory.LDAPOperations != 0 || len(v.Findings[0].Objects[0].Diagnoses) != 0 {
		t.Errorf("status %s, directory %+v", v.Status, v.Directory)
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "verdict.json")
	stdout, stderr, _ := runCLI(t, "detect", "--replay", "demo", "--format", "summary", "--output", file, "--client", "env-wins-not")
	if stderr != "" {
		t.Fatalf("stderr %q", stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemacheck.Validate("verdict", b); err != nil {
		t.Fatalf("--output file does not validate: %v", err)
	}
	if strings.HasPrefix(stdout, "{") {
		t.Errorf("stdout should carry the summary, got JSON")
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("--output file mode: %v %v, want 0644 (a verdict holds no secret)", st.Mode(), err)
	}
	// A file in a folder that does not exist: exit 3, one stderr line
	// naming the file; the verdict still on stdout, saying so too.
	missing := filepath.Join(dir, "missing", "v.json")
	stdout, stderr, code := runCLI(t, "detect", "--replay", "demo", "--output", missing)
	if code != exitUnknown || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, missing) {
		t.Fatalf("exit %d, stderr %q: want 3 and one line naming %s", code, stderr, missing)
	}
	v := normalize(t, []byte(stdout))
	if len(v.Errors) != 1 || v.Errors[0].Code != "output-file-failed" {
		t.Errorf("errors = %+v, want output-file-failed", v.Errors)
	}
}

func TestLabelsFromEnvironment(t *testing.T) {
	t.Setenv("ENTRA8344_CLIENT", "Contoso Ltd")
	t.Setenv("ENTRA8344_SITE", "Main")
	stdout, _, _ := runCLI(t, "detect", "--replay", "demo")
	v := normalize(t, []byte(stdout))
	if v.Labels.Client != "Contoso Ltd" || v.Labels.Site != "Main" {
		t.Errorf("labels %+v", v.Labels)
	}
}

func TestRecordThenReplay(t *testing.T) {
	// Recording needs a live host; on Linux the live host is "not applicable",
	// which is still a complete recording that must replay to the same verdict.
	dir := filepath.Join(t.TempDir(), "rec")
	stdout, stderr, code := runCLI(t, "detect", "--record", dir)
	if stderr != "" || code != exitOK {
		t.Fatalf("record: stderr %q exit %d", stderr, code)
	}
	live := normalize(t, []byte(stdout))
	stdout, stderr, _ = runCLI(t, "detect", "--replay", dir)
	if stderr != "" {
		t.Fatalf("replay: stderr %q", stderr)
	}
	replayed := normalize(t, []byte(stdout))
	if diff := cmp.Diff(live, replayed); diff != "" {
		t.Errorf("replay of a recording differs (-live +replay):\n%s", diff)
	}
}

func TestCLIMisuse(t *testing.T) {
	for _, args := range [][]string{
		{"detect", "--format", "xml"},
		{"detect", "--replay", "no-such-scenario"},
		{"detect", "--replay", "demo", "--record", "x"},
		{"detect", "--runs", "0", "--replay", "demo"},
		{"frobnicate"},
	} {
		stdout, stderr, code := runCLI(t, args...)
		if code != exitCLIUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitCLIUsage)
		}
		if stderr == "" {
			t.Errorf("%v: misuse must explain itself on stderr", args)
		}
		if strings.HasPrefix(strings.TrimSpace(stdout), "{") {
			t.Errorf("%v: no verdict may be printed on misuse", args)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"detect", "--help"}, {"schema", "-h"}} {
		stdout, stderr, code := runCLI(t, args...)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, "Usage: entra8344") {
			t.Errorf("%v: exit %d stderr %q stdout %q", args, code, stderr, stdout)
		}
		if strings.Contains(stdout, "schema_version") {
			t.Errorf("%v: the command ran after its help", args)
		}
	}
}

func TestSchemaAndVersion(t *testing.T) {
	stdout, stderr, code := runCLI(t, "schema", "verdict")
	if code != 0 || stderr != "" {
		t.Fatalf("schema: exit %d stderr %q", code, stderr)
	}
	want, _ := schema.Document("verdict")
	if stdout != string(want) {
		t.Errorf("schema verdict does not print the embedded schema")
	}
	stdout, _, code = runCLI(t, "version")
	var v map[string]string
	if err := json.Unmarshal([]byte(stdout), &v); err != nil || code != 0 || v["version"] == "" {
		t.Errorf("version: %v %q exit %d", err, stdout, code)
	}
}

func TestExitCodeTableCoversEveryStatus(t *testing.T) {
	for _, s := range schema.Statuses {
		if _, ok := detectExit[s]; !ok {
			t.Errorf("status %s has no exit code", s)
		}
	}
}

// TestApprovalToken: a remediable verdict carries a token that verifies
// against its own plan under the key that signed it. A replay signs with
// its replay key whatever the environment says: an MSP-wide key there
// would sign whatever plan a folder describes.
func TestApprovalToken(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	t.Setenv(sessionsEnv, t.TempDir())
	stdout, _, code := runCLI(t, "detect", "--replay", "demo")
	v := normalize(t, []byte(stdout))
	if code != exitRemedy || v.Approval == nil || v.Approval.KeySource != "replay" {
		t.Fatalf("exit %d, approval %+v", code, v.Approval)
	}
	now, _ := time.Parse(time.RFC3339, v.GeneratedAt)
	host := remediate.HostID(v.Host.Computer, v.Host.DNSDomain)
	if _, err := remediate.Verify(remediate.ReplayKey("keycredlink-admin"), v.Approval.Token, remediate.Digest(v.Directory.Plan), host, now); err != nil {
		t.Fatalf("the verdict's own token does not verify: %v", err)
	}
	msp := bytes.Repeat([]byte{0x42}, 32)
	for _, env := range []string{hex.EncodeToString(msp), "too-short"} {
		t.Setenv("ENTRA8344_APPROVAL_KEY", env)
		stdout, _, code = runCLI(t, "detect", "--replay", "demo", "--approval-expiry", "1h", "--fresh") // the scenario's clock again
		v = normalize(t, []byte(stdout))
		if code != exitRemedy || v.Approval == nil || v.Approval.KeySource != "replay" || v.Approval.ExpiresAt != now.Add(time.Hour).UTC().Format(time.RFC3339) {
			t.Fatalf("ENTRA8344_APPROVAL_KEY=%s in a replay: exit %d, approval %+v", env, code, v.Approval)
		}
		if _, err := remediate.Verify(msp, v.Approval.Token, remediate.Digest(v.Directory.Plan), host, now); err == nil {
			t.Fatalf("ENTRA8344_APPROVAL_KEY=%s: a replay's token verifies under the live MSP-wide key", env)
		}
	}
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	for _, name := range []string{"healthy", "aad-conflict"} {
		stdout, _, _ = runCLI(t, "detect", "--replay", name)
		if v := normalize(t, []byte(stdout)); v.Approval != nil {
			t.Errorf("%s: a token for a plan this host cannot carry out", name)
		}
	}
}

// TestApprovalExpiryBoundedByTheRealClock: whatever clock a run has (a
// replay's scenario may be dated in 2100), an approval never outlives the
// real clock by more than the expiry asked for.
func TestApprovalExpiryBoundedByTheRealClock(t *testing.T) {
	for _, now := range []time.Time{time.Now().AddDate(75, 0, 0), time.Now().Add(time.Hour), time.Now(), time.Now().AddDate(-1, 0, 0)} {
		exp := expiryOf(now, 72*time.Hour)
		if limit := time.Now().Add(72 * time.Hour); exp.After(limit) {
			t.Errorf("clock %s: expires %s, after the real clock's limit %s", now, exp, limit)
		}
		if want := now.Add(72 * time.Hour); !now.After(time.Now()) && !exp.Equal(want) {
			t.Errorf("clock %s: expires %s, want %s", now, exp, want)
		}
	}
}
