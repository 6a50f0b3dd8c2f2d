package cli

import (
	"bytes"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entra8344/internal/winhost"
	"entra8344/schema"
)

// stateLogOf is the log file in the state directory under TMPDIR (the
// non-Windows state directory, see winhost.StateDir).
func stateLogOf(t *testing.T, tmp string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tmp, fmt.Sprintf("entra8344-%d", os.Geteuid()), winhost.LogFileName))
	if err != nil {
		t.Fatalf("state log: %v", err)
	}
	return string(b)
}

func TestDetectWritesStateLog(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	stdout, stderr, code := runCLI(t, "detect", "--replay", "demo")
	if code != exitRemedy || stderr != "" || schemacheck.Validate("verdict", []byte(stdout)) != nil {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	lg := stateLogOf(t, os.Getenv("TMPDIR"))
	for _, want := range []string{"detect started: version dev", "event log: none for a replay (status remediable)", "detect finished: status remediable, exit 2"} {
		if !strings.Contains(lg, want) {
			t.Errorf("state log lacks %q:\n%s", want, lg)
		}
	}
	if !strings.HasPrefix(lg, fmt.Sprintf("entra8344[%d] ", os.Getpid())) {
		t.Errorf("log lines do not name the process: %.60q", lg)
	}
}

// A state directory that cannot be used changes nothing of the run: same
// stdout and exit code, empty stderr; --log-file says why.
func TestDetectStateDirUnusable(t *testing.T) {
	want, _, wantCode := runCLI(t, "detect", "--replay", "demo")
	// Someone else's folder in its place (mode 0777): refused as insecure.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := os.Mkdir(filepath.Join(tmp, fmt.Sprintf("entra8344-%d", os.Geteuid())), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(tmp, fmt.Sprintf("entra8344-%d", os.Geteuid())), 0o777)
	logFile := filepath.Join(tmp, "run.log")
	got, stderr, code := runCLI(t, "detect", "--replay", "demo", "--log-file", logFile)
	if code != wantCode || stderr != "" {
		t.Fatalf("exit %d (want %d), stderr %q", code, wantCode, stderr)
	}
	a, b := normalize(t, []byte(want)), normalize(t, []byte(got))
	a.Directory.Plan.Changes, b.Directory.Plan.Changes = nil, nil // tokens and times aside, the verdict is the same
	if a.Status != b.Status || a.Summary != b.Summary || len(a.Findings) != len(b.Findings) {
		t.Errorf("the verdict changed without a state directory: %s vs %s", a.Summary, b.Summary)
	}
	lg, _ := os.ReadFile(logFile)
	if !strings.Contains(string(lg), "state log: not written: the state directory is not private") || !strings.Contains(string(lg), "detect finished") {
		t.Errorf("--log-file:\n%s", lg)
	}
}

// The live event path on a host without an event log (Linux): the failure
// is logged, nothing else happens.
func TestReportDetectEventFails(t *testing.T) {
	var buf bytes.Buffer
	l := log.New(&buf, "", 0)
	v := &schema.Verdict{Status: schema.StatusExportErrors, ExitCode: exitPerson, Summary: "s"}
	reportDetect(l, v, true)
	if !strings.Contains(buf.String(), "event log: event 101 was not written") {
		t.Errorf("log: %q", buf.String())
	}
	buf.Reset()
	reportDetect(l, &schema.Verdict{Status: schema.StatusHealthy, ExitCode: exitOK}, true)
	if buf.Len() != 0 {
		t.Errorf("a healthy run wrote %q", buf.String())
	}
}

func TestDetectEventMessage(t *testing.T) {
	stdout, _, _ := runCLI(t, "detect", "--replay", "demo")
	var v schema.Verdict
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	msg := detectEventMessage(&v)
	for _, want := range []string{"entra8344 detect: remediable (exit code 2)", v.Summary, "Findings:", "permission-8344 on connector \"contoso.com\"",
		"Plan (remediable here: true", "add-ace on CN=AdminSDHolder,CN=System,", "(OA;;WP;", "Host DC01"} {
		if !strings.Contains(msg, want) {
			t.Errorf("event text lacks %q:\n%s", want, msg)
		}
	}
	if v.Approval == nil || v.Approval.Token == "" || strings.Contains(msg, v.Approval.Token) {
		t.Error("the demo verdict has no approval token, or the event text carries it")
	}
	if strings.Contains(strings.ReplaceAll(msg, "\r\n", ""), "\n") {
		t.Error("bare LF in the event text (Event Viewer wants CRLF)")
	}
}
