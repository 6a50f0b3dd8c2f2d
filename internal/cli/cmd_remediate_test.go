package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/schema"
)

func result(t *testing.T, doc string) schema.Result {
	t.Helper()
	if err := schemacheck.Validate("result", []byte(doc)); err != nil {
		t.Fatalf("result does not validate: %v\n%s", err, doc)
	}
	var r schema.Result
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func stepOf(r schema.Result, name string) schema.StepStatus {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.Status
		}
	}
	return ""
}

// TestApprovalForTheDC: under an MSP-wide key (in a replay: the replay
// key, which stands for it) a member server's verdict
// approves its plan for the PDC emulator it names (scope dc, run_on, the
// plan's parameters); remediate there with --plan carries it out; the same
// token without --plan (on the member server) is refused.
func TestApprovalForTheDC(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", hex.EncodeToString(bytes.Repeat([]byte{0x42}, 32)))
	t.Setenv("ENTRA8344_STATE_DIR", t.TempDir())
	stdout, _, code := runCLI(t, "detect", "--replay", "member-server")
	v := normalize(t, []byte(stdout))
	a := v.Approval
	if code != exitPerson || a == nil || a.Scope != "dc" || a.RunOn != "dc01.contoso.com" || a.Plan == "" || a.KeySource != "replay" {
		t.Fatalf("exit %d, approval %+v", code, a)
	}
	t.Setenv("ENTRA8344_APPROVAL_TOKEN", a.Token)
	out, stderr, code := runCLI(t, "remediate", "--replay", "member-server")
	if r := result(t, out); code != 2 || r.Refusal == nil || r.Refusal.Code != "token-wrong-scope" || stderr != "" {
		t.Fatalf("DC token on the member server: exit %d %+v", code, r.Refusal)
	}
	t.Setenv("ENTRA8344_APPROVAL_PLAN", a.Plan)
	out, stderr, code = runCLI(t, "remediate", "--replay", "member-server")
	r := result(t, out)
	if code != 0 || r.Status != schema.ResultVerified || r.Host != a.RunOn || stepOf(r, "sync") != schema.StepSkipped || stderr != "" {
		t.Fatalf("on the DC: exit %d %s (%s)", code, r.Status, r.Summary)
	}

	// Without the MSP-wide key the DC could not check the token: no approval.
	// (Live, the host's own key: approve gives no DC approval.)
	v.Approval = nil
	approve(&v, time.Now(), time.Hour, func() ([]byte, string, error) { return bytes.Repeat([]byte{1}, 32), "host", nil })
	if v.Approval != nil {
		t.Errorf("an approval without the MSP-wide key: %+v", v.Approval)
	}
}

// TestCleanupApproval: stale connector ACEs get their own token in
// cleanup_approval; the status is not raised by them; remediate with that
// token removes them.
func TestCleanupApproval(t *testing.T) {
	t.Setenv("ENTRA8344_STATE_DIR", t.TempDir())
	stdout, _, _ := runCLI(t, "detect", "--replay", "stale-msol-ace")
	v := normalize(t, []byte(stdout))
	c := v.CleanupApproval
	if c == nil || c.Scope != "host" || len(v.Directory.Cleanup.Changes) == 0 {
		t.Fatalf("cleanup approval %+v, cleanup %+v", c, v.Directory.Cleanup)
	}
	if v.Approval != nil && v.Approval.Token == c.Token {
		t.Fatal("the cleanup shares the plan's token")
	}
	t.Setenv("ENTRA8344_APPROVAL_TOKEN", c.Token)
	out, _, code := runCLI(t, "remediate", "--replay", "stale-msol-ace")
	r := result(t, out)
	if code != 0 || r.Status != schema.ResultVerified || stepOf(r, "remove") != schema.StepDone || r.PlanDigest != c.PlanDigest {
		t.Fatalf("cleanup: exit %d %s (%s)", code, r.Status, r.Summary)
	}
}

// TestExplicitStateDirMustBePrivate: a live remediate or revert given a
// state directory (--state-dir or ENTRA8344_STATE_DIR) that others may
// write is refused before anything else, as the default one would be; a
// missing one is created private; a replay may use any folder.
func TestExplicitStateDirMustBePrivate(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the default state directory (host key)
	for _, c := range []struct {
		name    string
		args    []string
		loose   bool // the folder exists with mode 0777
		refused bool
	}{
		{"remediate, loose folder", []string{"remediate"}, true, true},
		{"revert, loose folder", []string{"revert", "--journal", "20250616T150000Z-1a2b3c"}, true, true},
		{"remediate, missing folder", []string{"remediate"}, false, false},
		{"revert, missing folder", []string{"revert", "--journal", "20250616T150000Z-1a2b3c"}, false, false},
		{"replay, loose folder", []string{"remediate", "--replay", "keycredlink-admin"}, true, false},
	} {
		for _, viaEnv := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s env=%v", c.name, viaEnv), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "state")
				if c.loose {
					if err := os.Mkdir(dir, 0o777); err != nil {
						t.Fatal(err)
					}
					os.Chmod(dir, 0o777) // past the umask
				}
				args := append([]string{}, c.args...)
				if viaEnv {
					t.Setenv("ENTRA8344_STATE_DIR", dir)
				} else {
					args = append(args, "--state-dir", dir)
				}
				out, stderr, code := runCLI(t, args...)
				insecure := strings.Contains(stderr, "not private")
				if insecure != c.refused || (c.refused && (out != "" || code == 0)) {
					t.Fatalf("exit %d, stdout %q, stderr %q: want refused=%v for an insecure state directory", code, out, stderr, c.refused)
				}
				if !c.loose {
					if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
						t.Errorf("the missing state directory was not created private: %v %v", fi, err)
					}
				}
			})
		}
	}
}
