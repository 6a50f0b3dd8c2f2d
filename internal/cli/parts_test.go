package cli

import (
	"strings"
	"testing"

	"entra8344/remediate"
	"entra8344/schema"
)

// TestOneApprovalPerPart (issue 13 §2): Entra Connect on the root
// domain's PDC emulator with failing admins in the root and the child
// domain gets one approval per DC that carries out a part: the host's
// token carries out the root part only (verified), the DC token carries
// out the child part on the child's PDC emulator (the replay becomes the
// DC the token names), and neither writes the other's AdminSDHolder.
func TestOneApprovalPerPart(t *testing.T) {
	t.Setenv("ENTRA8344_STATE_DIR", t.TempDir())
	const root, child = "CN=AdminSDHolder,CN=System,DC=contoso,DC=com", "CN=AdminSDHolder,CN=System,DC=emea,DC=contoso,DC=com"
	stdout, _, code := runCLI(t, "detect", "--replay", "forest-root-pdc")
	v := normalize(t, []byte(stdout))
	if code != exitRemedy || v.Status != schema.StatusRemediable || len(v.Approvals) != 2 {
		t.Fatalf("exit %d, status %s, approvals %+v", code, v.Status, v.Approvals)
	}
	host, dc := v.Approvals[0], v.Approvals[1]
	if host.Scope != "host" || host.RunOn != "dc01.contoso.com" || strings.Join(host.Changes, ",") != "C1,C3" || host.Plan != "" {
		t.Errorf("host approval %+v", host)
	}
	if dc.Scope != "dc" || dc.RunOn != "dc11.emea.contoso.com" || strings.Join(dc.Changes, ",") != "C2,C4" || dc.Plan == "" {
		t.Errorf("DC approval %+v", dc)
	}
	// The DC's parameters name only its part's objects (the child's).
	if forests, err := remediate.ParsePlanParams(dc.Plan); err != nil || len(forests) != 1 {
		t.Errorf("DC parameters: %v %+v", err, forests)
	} else {
		for _, o := range forests[0].Objects {
			if !strings.HasSuffix(strings.ToLower(o.DN), ",dc=emea,dc=contoso,dc=com") {
				t.Errorf("the child part's parameters name %s", o.DN)
			}
		}
	}
	if v.Approval == nil || v.Approval.Token != host.Token {
		t.Errorf("approval is not the host's part: %+v", v.Approval)
	}

	for _, tc := range []struct {
		name        string
		a           schema.Approval
		host, wrote string
	}{
		{"the host's part on this host", host, "dc01.contoso.com", root},
		{"the child's part on its PDC", dc, "dc11.emea.contoso.com", child},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ENTRA8344_APPROVAL_TOKEN", tc.a.Token)
			t.Setenv("ENTRA8344_APPROVAL_PLAN", tc.a.Plan)
			out, stderr, code := runCLI(t, "remediate", "--replay", "forest-root-pdc")
			r := result(t, out)
			if code != 0 || r.Status != schema.ResultVerified || r.Host != tc.host || r.PlanDigest != tc.a.PlanDigest || stderr != "" {
				t.Fatalf("exit %d %s on %s (%s) %s", code, r.Status, r.Host, r.Summary, stderr)
			}
			writes := 0
			for _, s := range r.Steps {
				if s.Name == "write" {
					writes++
					if s.DN != tc.wrote {
						t.Errorf("wrote %s, want only %s", s.DN, tc.wrote)
					}
				}
			}
			if writes != 1 {
				t.Errorf("%d writes, want 1: %+v", writes, r.Steps)
			}
		})
	}
}

// TestPartTokenRefusedForAnotherPart: a member server's verdict approves
// the root part for the root PDC and the child part for the child PDC; the
// root part's token with the child part's parameters (on the root PDC,
// which the token names) derives a plan that is not the approved part:
// refused, nothing written.
func TestPartTokenRefusedForAnotherPart(t *testing.T) {
	t.Setenv("ENTRA8344_STATE_DIR", t.TempDir())
	stdout, _, _ := runCLI(t, "detect", "--replay", "forest-member")
	v := normalize(t, []byte(stdout))
	if len(v.Approvals) != 2 || v.Approval != nil {
		t.Fatalf("approvals %+v, approval %+v", v.Approvals, v.Approval)
	}
	rootPart, childPart := v.Approvals[0], v.Approvals[1]
	for _, tc := range []struct {
		name        string
		token, plan string
	}{
		{"root token, child parameters", rootPart.Token, childPart.Plan},
		{"child token, root parameters", childPart.Token, rootPart.Plan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ENTRA8344_APPROVAL_TOKEN", tc.token)
			t.Setenv("ENTRA8344_APPROVAL_PLAN", tc.plan)
			out, _, code := runCLI(t, "remediate", "--replay", "forest-member")
			r := result(t, out)
			if code != 2 || r.Refusal == nil || r.Refusal.Code != "token-plan-changed" {
				t.Fatalf("exit %d %s %+v", code, r.Status, r.Refusal)
			}
			for _, s := range r.Steps {
				if s.Name == "backup" || s.Name == "write" || s.Name == "trigger" {
					t.Errorf("step %s ran: %+v", s.Name, s)
				}
			}
		})
	}
	// Each with its own parameters is carried out on its own DC.
	for _, a := range v.Approvals {
		t.Setenv("ENTRA8344_APPROVAL_TOKEN", a.Token)
		t.Setenv("ENTRA8344_APPROVAL_PLAN", a.Plan)
		out, _, code := runCLI(t, "remediate", "--replay", "forest-member")
		if r := result(t, out); code != 0 || r.Status != schema.ResultVerified || r.Host != a.RunOn {
			t.Errorf("%s: exit %d %s (%s)", a.RunOn, code, r.Status, r.Summary)
		}
	}
}
