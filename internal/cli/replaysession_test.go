package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entra8344/schema"
)

// TestReplayWalkthrough: a replay session behaves like a live host between
// invocations: detect → remediate (verified) → remediate again
// (already-present) → revert (verified, the protection task simulated) →
// detect (a new token) → remediate (verified); afterwards detect finds the
// fix in place. Run twice on the same session folder (after replay reset),
// then once more with --fresh.
func TestReplayWalkthrough(t *testing.T) {
	root := t.TempDir()
	t.Setenv(sessionsEnv, root)
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	for _, env := range []string{"ENTRA8344_STATE_DIR", "ENTRA8344_APPROVAL_TOKEN"} {
		t.Setenv(env, "") // restored after the test
		os.Unsetenv(env)  // unset, not empty: kong reads an empty path as the working directory
	}
	walk := func(round string, fresh ...string) {
		detect := func() schema.Verdict {
			t.Helper()
			out, stderr, code := runCLI(t, append([]string{"detect", "--replay", "demo"}, fresh...)...)
			fresh = nil
			v := normalize(t, []byte(out))
			if code != exitRemedy || v.Approval == nil || stderr != "" {
				t.Fatalf("%s: detect: exit %d, approval %+v, stderr %q", round, code, v.Approval, stderr)
			}
			return v
		}
		remediate := func(token string, want schema.ResultStatus) schema.Result {
			t.Helper()
			out, stderr, code := runCLI(t, "remediate", "--replay", "demo", "--token", token, "--wait-export", "1m")
			r := result(t, out)
			if r.Status != want || code != r.ExitCode || stderr != "" {
				t.Fatalf("%s: remediate: %s exit %d (%s), stderr %q; want %s", round, r.Status, code, r.Summary, stderr, want)
			}
			return r
		}
		v1 := detect()
		first := remediate(v1.Approval.Token, schema.ResultVerified)
		remediate(v1.Approval.Token, schema.ResultAlreadyPresent)
		out, stderr, code := runCLI(t, "revert", "--replay", "demo", "--journal", first.Journal.ID)
		if r := result(t, out); r.Status != schema.ResultVerified || code != 0 || stderr != "" || stepOf(r, "trigger") != schema.StepDone {
			t.Fatalf("%s: revert: %s exit %d (%s), stderr %q", round, r.Status, code, r.Summary, stderr)
		}
		v2 := detect()
		if v2.Approval.Token == v1.Approval.Token || v2.GeneratedAt <= v1.GeneratedAt {
			t.Fatalf("%s: detect after the revert: same token or clock (%s, then %s)", round, v1.GeneratedAt, v2.GeneratedAt)
		}
		remediate(v2.Approval.Token, schema.ResultVerified)
		out, _, code = runCLI(t, "detect", "--replay", "demo")
		if v := normalize(t, []byte(out)); code != exitOK || v.Status != schema.StatusHealthy {
			t.Fatalf("%s: detect after the walkthrough: %s exit %d, want healthy: the session did not keep the fix", round, v.Status, code)
		}
	}
	walk("first")
	out, stderr, code := runCLI(t, "replay", "reset", "demo")
	var reset map[string]string
	if err := json.Unmarshal([]byte(out), &reset); err != nil || code != 0 || stderr != "" || reset["reset"] != "removed" ||
		reset["session"] != filepath.Join(root, "keycredlink-admin") {
		t.Fatalf("replay reset: exit %d %q %q", code, out, stderr)
	}
	walk("second, same folder")
	walk("third, --fresh", "--fresh")
}

// TestReplaySessionHostile: a session folder is user-writable input: a
// tampered file is refused with a clear error naming the session and how
// to start over, never a panic or a silent fresh start.
func TestReplaySessionHostile(t *testing.T) {
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"garbled session.json", "session.json", "{", "session.json"},
		{"unknown field", "session.json", `{"scenario":"keycredlink-admin","extra":1}`, "unknown field"},
		{"other scenario", "session.json", `{"scenario":"healthy","scenario_digest":"x","started":"2025-01-01T00:00:00Z","last_clock":"2025-06-16T15:00:00Z"}`, "another scenario"},
		{"garbled directory", "directory/directory.ldif", "dn: not a dn\n", "directory.ldif"},
		{"objects added", "directory/directory.ldif", "version: 1\n\ndn: CN=Evil,DC=contoso,DC=com\ncn: Evil\n", "does not hold the scenario's objects"},
		{"garbled export", "export.json", `{"AD":{"at":"x"}}`, "export.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			t.Setenv(sessionsEnv, root)
			if _, _, code := runCLI(t, "detect", "--replay", "demo"); code != exitRemedy {
				t.Fatalf("detect: exit %d", code)
			}
			path := filepath.Join(root, "keycredlink-admin", filepath.FromSlash(c.file))
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			out, stderr, code := runCLI(t, "detect", "--replay", "demo")
			if code != exitCLIUsage || out != "" || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "--fresh") {
				t.Fatalf("exit %d, stdout %.60q, stderr %q: want exit 3 and an error with %q", code, out, stderr, c.want)
			}
			if _, _, code := runCLI(t, "detect", "--replay", "demo", "--fresh"); code != exitRemedy {
				t.Errorf("--fresh after a tampered session: exit %d", code)
			}
		})
	}
}

// TestReplaySessionPrivate: the session folder is created for its user
// only, and one that others may write to is refused.
func TestReplaySessionPrivate(t *testing.T) {
	root := t.TempDir()
	t.Setenv(sessionsEnv, root)
	if _, _, code := runCLI(t, "detect", "--replay", "demo"); code != exitRemedy {
		t.Fatalf("detect: exit %d", code)
	}
	dir := filepath.Join(root, "keycredlink-admin")
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("session folder: %v %v, want 0700", st.Mode(), err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "detect", "--replay", "demo"); code != exitCLIUsage || !strings.Contains(stderr, "others may write") {
		t.Errorf("a world-writable session: exit %d, %q", code, stderr)
	}
}
