package remediate_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"entra8344/internal/ntsd"
	"entra8344/remediate"
	"entra8344/schema"
)

// TestOUGrantRemediateAndRevert (issue 16): detect -> token -> remediate
// on replayed OU scenarios writes exactly shape (b) on the planned OU,
// the failing object then holds the (simulated) inherited copy and is
// verified writable through detect, and revert restores the OU's DACL and
// takes the inherited copy away again.
func TestOUGrantRemediateAndRevert(t *testing.T) {
	for _, tc := range []struct{ scenario, ou, child string }{
		{"ou-fresh", "OU=NewHires,DC=contoso,DC=com", "CN=Nina New,OU=NewHires,DC=contoso,DC=com"},
		{"ou-blocked", "OU=Legal,DC=contoso,DC=com", "CN=Lara Legal,OU=Team,OU=Legal,DC=contoso,DC=com"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			w := newWorld(t, tc.scenario, true)
			ouBefore, childBefore := w.readSD(tc.ou), w.readSD(tc.child)
			v, tok := w.approve()
			if v.Status != schema.StatusRemediable || len(v.Directory.Plan.Changes) != 1 {
				t.Fatalf("verdict %s, %d changes", v.Status, len(v.Directory.Plan.Changes))
			}
			c := v.Directory.Plan.Changes[0]
			if c.Action != schema.ActionAddOUACE || c.TargetDN != tc.ou {
				t.Fatalf("change %+v", c)
			}
			res := w.remediate(tok)
			if res.Status != schema.ResultVerified {
				t.Fatalf("%s: %s", res.Status, res.Summary)
			}
			ou := parse(t, w.readSD(tc.ou))
			added := diffACEs(parse(t, ouBefore), ou)
			if len(added) != 1 || added[0].Flags != ntsd.ContainerInherit|ntsd.InheritOnly || added[0].Mask != ntsd.RightReadProperty|ntsd.RightWriteProperty ||
				added[0].ObjectFlags != ntsd.ObjectTypePresent|ntsd.InheritedObjectTypePresent {
				t.Fatalf("the OU gained %v, want exactly one shape (b) ACE", added)
			}
			inherited := diffACEs(parse(t, childBefore), parse(t, w.readSD(tc.child)))
			if len(inherited) != 1 || !inherited[0].IsInherited() || inherited[0].IsInheritOnly() {
				t.Fatalf("the child gained %v, want the one effective inherited copy", inherited)
			}
			rev := w.revert(w.revertEnv(res.Journal.ID, false))
			if rev.ExitCode != 0 {
				t.Fatalf("revert %s: %s", rev.Status, rev.Summary)
			}
			if got := parse(t, w.readSD(tc.ou)); len(diffACEs(got, parse(t, ouBefore))) != 0 || len(diffACEs(parse(t, ouBefore), got)) != 0 {
				t.Errorf("the OU's DACL after revert is not the one before:\n%s\n%s", got.SDDL(nil), parse(t, ouBefore).SDDL(nil))
			}
			if got := w.readSD(tc.child); !bytes.Equal(got, childBefore) {
				t.Errorf("the child still differs after revert: %s", parse(t, got).SDDL(nil))
			}
		})
	}
}

func parse(t *testing.T, b []byte) *ntsd.SecurityDescriptor {
	t.Helper()
	sd, err := ntsd.Parse(b)
	if err != nil || sd.DACL == nil {
		t.Fatalf("descriptor: %v", err)
	}
	return sd
}

// diffACEs lists the ACEs of b missing from a (as multisets).
func diffACEs(a, b *ntsd.SecurityDescriptor) []ntsd.ACE {
	count := map[string]int{}
	for _, x := range a.DACL.ACEs {
		count[string(x.Bytes())]++
	}
	var out []ntsd.ACE
	for _, x := range b.DACL.ACEs {
		if count[string(x.Bytes())] > 0 {
			count[string(x.Bytes())]--
			continue
		}
		out = append(out, x)
	}
	return out
}

// TestSyncPolicy (issue 16 §3): --sync initial starts the cycle it names
// and says so, --sync none starts none and says what happens instead, and
// a delta after an OU grant explains when initial is warranted.
func TestSyncPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy string
		status schema.StepStatus
		calls  int
		says   string
	}{
		{"", schema.StepDone, 1, "--sync initial"},
		{"delta", schema.StepDone, 1, "PolicyType Delta accepted"},
		{"initial", schema.StepDone, 1, "PolicyType Initial accepted"},
		{"none", schema.StepSkipped, 0, "--sync none"},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			w := newWorld(t, "ou-fresh", true)
			_, tok := w.approve()
			calls := 0
			res := w.remediateWith(tok, func(e *remediate.Env) {
				inner := e.Sync
				e.SyncPolicy = tc.policy
				e.Sync = func(ctx context.Context) error { calls++; return inner(ctx) }
				if tc.policy == "none" {
					e.Sync = nil
				}
			})
			var step schema.ResultStep
			for _, s := range res.Steps {
				if s.Name == "sync" {
					step = s
				}
			}
			if step.Status != tc.status || calls != tc.calls || !strings.Contains(step.Message, tc.says) {
				t.Errorf("sync step %s (%q) after %d calls; want %s, %d calls, saying %q", step.Status, step.Message, calls, tc.status, tc.calls, tc.says)
			}
		})
	}
}
