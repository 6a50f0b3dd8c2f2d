package cli

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"entra8344/schema"
)

// TestOURemediateCLI (issue 16): the OU grant through the CLI, in replay.
// On the host (its identity may write the OU): detect -> token ->
// remediate --sync initial, verified, with the Initial cycle started. From
// a member server whose identity may not: the DC path (DC approval,
// run_on, plan parameters), carried out on that DC and verified.
func TestOURemediateCLI(t *testing.T) {
	t.Run("host, --sync initial", func(t *testing.T) {
		t.Setenv("ENTRA8344_STATE_DIR", t.TempDir())
		stdout, _, code := runCLI(t, "detect", "--replay", "ou-fresh")
		v := normalize(t, []byte(stdout))
		if code != exitRemedy || v.Approval == nil || v.Approval.Scope != "host" {
			t.Fatalf("detect: exit %d, approval %+v", code, v.Approval)
		}
		t.Setenv("ENTRA8344_APPROVAL_TOKEN", v.Approval.Token)
		out, stderr, code := runCLI(t, "remediate", "--replay", "ou-fresh", "--sync", "initial")
		r := result(t, out)
		msg := ""
		for _, s := range r.Steps {
			if s.Name == "sync" {
				msg = s.Message
			}
		}
		if code != 0 || r.Status != schema.ResultVerified || !strings.Contains(msg, "PolicyType Initial") || stderr != "" {
			t.Fatalf("remediate: exit %d %s (%s), sync %q", code, r.Status, r.Summary, msg)
		}
		if _, _, code := runCLI(t, "remediate", "--replay", "ou-fresh", "--sync", "full"); code == 0 {
			t.Error("--sync full was accepted")
		}
	})
	t.Run("member server, DC path", func(t *testing.T) {
		t.Setenv("ENTRA8344_APPROVAL_KEY", hex.EncodeToString(bytes.Repeat([]byte{0x42}, 32)))
		t.Setenv("ENTRA8344_STATE_DIR", t.TempDir())
		stdout, _, _ := runCLI(t, "detect", "--replay", "ou-permission-missing")
		v := normalize(t, []byte(stdout))
		a := v.Approval
		if a == nil || a.Scope != "dc" || a.RunOn != "dc01.contoso.com" || a.Plan == "" {
			t.Fatalf("approval %+v (%s)", a, v.Directory.Plan.RemediableReason)
		}
		t.Setenv("ENTRA8344_APPROVAL_TOKEN", a.Token)
		t.Setenv("ENTRA8344_APPROVAL_PLAN", a.Plan)
		out, stderr, code := runCLI(t, "remediate", "--replay", "ou-permission-missing")
		r := result(t, out)
		if code != 0 || r.Status != schema.ResultVerified || r.Host != a.RunOn || stderr != "" {
			t.Fatalf("remediate on the DC: exit %d %s (%s)", code, r.Status, r.Summary)
		}
	})
}
