package remediate_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"entra8344/detect"
	"entra8344/internal/ntsd"
	"entra8344/remediate"
	"entra8344/schema"
)

// TestCleanupRemovesOnlyTheStaleACE: the stale connector ACE of the
// stale-msol-ace scenario is removed by the cleanup's own token and nothing
// else changes; the grant plan's token does not approve the cleanup (nor
// the reverse); a second run is already-present; revert needs
// --restore-exact and then gives the DACL back byte for byte.
func TestCleanupRemovesOnlyTheStaleACE(t *testing.T) {
	w := newWorld(t, "stale-msol-ace", true)
	before := w.holder()
	v := detect.Run(context.Background(), w.detectEnv(), detect.DefaultOptions())
	cl := v.Directory.Cleanup
	var removes []schema.Change
	for _, c := range cl.Changes {
		if c.Action == schema.ActionRemoveACE {
			removes = append(removes, c)
		}
	}
	if len(removes) == 0 || !cl.RemediableHere {
		t.Fatalf("the scenario should plan a cleanup this host may carry out: %+v", cl)
	}
	host := remediate.HostID(v.Host.Computer, v.Host.DNSDomain)
	tok, err := remediate.Issue(w.key, remediate.Digest(cl), host, w.sc.Now.Add(remediate.DefaultExpiry))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Directory.Plan.Changes) > 0 {
		grantTok, _ := remediate.Issue(w.key, remediate.Digest(v.Directory.Plan), host, w.sc.Now.Add(remediate.DefaultExpiry))
		if grantTok == tok {
			t.Fatal("the cleanup and the grant plan share a token")
		}
	}
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified || stepStatus(res, "remove") != schema.StepDone {
		t.Fatalf("cleanup: %s (%s)", res.Status, res.Summary)
	}
	old, _ := ntsd.Parse(before)
	now, _ := ntsd.Parse(w.holder())
	if len(now.DACL.ACEs) != len(old.DACL.ACEs)-len(removes) {
		t.Errorf("the DACL went from %d to %d ACEs, want %d removed", len(old.DACL.ACEs), len(now.DACL.ACEs), len(removes))
	}
	for _, a := range now.DACL.ACEs {
		for _, c := range removes {
			if a.SID.String() == c.TrusteeSID {
				t.Errorf("an ACE of %s is still there: %s", c.TrusteeSID, a.SDDL(nil))
			}
		}
	}
	if again := w.remediate(tok); again.Status != schema.ResultAlreadyPresent {
		t.Errorf("second cleanup run: %s (%s), want already-present", again.Status, again.Summary)
	}
	rev := remediate.Revert(context.Background(), w.revertEnv(res.Journal.ID, false))
	if rev.Status != schema.ResultRefused || !strings.Contains(rev.Summary, "--restore-exact") {
		t.Errorf("plain revert of a cleanup: %s (%s), want refused pointing at --restore-exact", rev.Status, rev.Summary)
	}
	// Bounded to the journal's own removed ACEs: with another change since,
	// the restore shows it and refuses until a token approves it.
	w.editHolder()
	mods := len(w.dir.Modifications())
	rev = remediate.Revert(context.Background(), w.revertEnv(res.Journal.ID, true))
	if rev.Status != schema.ResultRefused || rev.Refusal.Code != "restore-beyond-journal" || !strings.Contains(rev.Refusal.Message, "-(A;;RC;;;WD)") || len(w.dir.Modifications()) != mods {
		t.Fatalf("restore-exact of a cleanup over another change: %s %+v", rev.Status, rev.Refusal)
	}
	w.editDACL(holderDN, func(d *ntsd.ACL) {
		d.Remove(ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.Everyone})
	})
	rev = remediate.Revert(context.Background(), w.revertEnv(res.Journal.ID, true))
	if rev.Status != schema.ResultVerified || !bytes.Equal(w.holder(), before) {
		t.Errorf("restore-exact of a cleanup: %s (%s), DACL restored %v", rev.Status, rev.Summary, bytes.Equal(w.holder(), before))
	}
}

// TestIneffectiveACERemovedOnlyByItsCleanup (issue 13 item 4): on
// adsyncconfig-holder the grant plan adds the effective ACE and leaves
// ADSyncConfig's inherit-only one alone; the cleanup's own token then
// removes that one only, and the effective grant stays.
func TestIneffectiveACERemovedOnlyByItsCleanup(t *testing.T) {
	const io = "(OA;CIIO;RPWP;5b47d60f-6090-40b2-9f37-2a4de88f3063;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1004336348-1177238915-682003330-1109)"
	w := newWorld(t, "adsyncconfig-holder", true)
	v, tok := w.approve()
	if res := w.remediate(tok); res.Status != schema.ResultVerified {
		t.Fatalf("grant: %s (%s)", res.Status, res.Summary)
	}
	sddl := func() string {
		sd, err := ntsd.Parse(w.holder())
		if err != nil {
			t.Fatal(err)
		}
		return sd.SDDL(nil)
	}
	if !strings.Contains(sddl(), io) || !strings.Contains(sddl(), "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)") {
		t.Fatalf("after the grant plan AdminSDHolder should hold both ACEs: %s", sddl())
	}
	v = detect.Run(context.Background(), w.detectEnv(), detect.DefaultOptions())
	cl := v.Directory.Cleanup
	if len(cl.Changes) != 2 || cl.Changes[0].ACE != io {
		t.Fatalf("the cleanup should remove the inherit-only ACE, then trigger the task: %+v", cl.Changes)
	}
	ctok, err := remediate.Issue(w.key, remediate.Digest(cl), remediate.HostID(v.Host.Computer, v.Host.DNSDomain), w.sc.Now.Add(remediate.DefaultExpiry))
	if err != nil {
		t.Fatal(err)
	}
	res := w.remediate(ctok)
	if res.Status != schema.ResultVerified || stepStatus(res, "remove") != schema.StepDone {
		t.Fatalf("cleanup: %s (%s)", res.Status, res.Summary)
	}
	if after := sddl(); strings.Contains(after, io) || !strings.Contains(after, "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)") {
		t.Errorf("after the cleanup: %s", after)
	}
}
