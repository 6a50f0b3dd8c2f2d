package remediate_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"entra8344/fixtures/dirgen"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/replay"
	"entra8344/remediate"
	"entra8344/schema"
)

// variantWorld is newWorld on a generated variant of scenario base.
func variantWorld(t *testing.T, base string, spec dirgen.Spec) *world {
	t.Helper()
	fsys, n, err := dirgen.Variant(base, spec)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := replay.Load(fsys, n)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, sc: sc, dir: sc.Directory(), stateDir: t.TempDir(), key: remediate.ReplayKey(n)}
	w.dir.SimulateProtectionTask()
	return w
}

// forgetWrites makes the replayed DC accept modifies of dn but not store
// them: after each modify of dn, the next read of dn first puts the DACL
// back as it was (a DC that answers success and loses the write).
func (w *world) forgetWrites(dn string) {
	// One goroutine: remediate's reads and writes are sequential, and the
	// fault's own read and write come back through this hook (inside).
	var saved []byte
	inside := false
	w.failOn(func(op, target string) error {
		if inside || !strings.EqualFold(target, dn) {
			return nil
		}
		switch {
		case op == "modify" && saved == nil:
			inside = true
			saved = w.readSD(dn)
			inside = false
		case op == "search" && saved != nil:
			inside = true
			w.writeSD(dn, saved)
			saved, inside = nil, false
		}
		return nil
	})
}

// writeSD replaces dn's DACL-only descriptor (another party, or the fault).
func (w *world) writeSD(dn string, raw []byte) {
	d, _ := w.dir.Dialer(w.sc.Name)
	c, _ := d.Dial(context.Background(), "")
	if err := c.Modify(context.Background(), dn, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{raw}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}); err != nil {
		w.t.Fatal(err)
	}
}

// TestVerifyCatchesAWriteNotStored (issue 19 §1): the read-back after the
// write is what tells a stored ACE from a DC that only said success.
func TestVerifyCatchesAWriteNotStored(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	before := w.holder()
	_, tok := w.approve()
	w.forgetWrites(holderDN)
	res := w.remediate(tok)
	if res.Status != schema.ResultError || stepStatus(res, "verify") != schema.StepFailed ||
		!strings.Contains(messageOf(res, "verify"), "does not show it") {
		t.Fatalf("%s: %s (verify: %s %q)", res.Status, res.Summary, stepStatus(res, "verify"), messageOf(res, "verify"))
	}
	if stepStatus(res, "trigger") != "" {
		t.Error("the protection task was triggered after a write that did not hold")
	}
	if !bytes.Equal(w.holder(), before) {
		t.Error("the fault did not leave AdminSDHolder as it was")
	}
}

// TestRevertVerifyCatchesARemovalNotStored: the same for revert's read-back.
func TestRevertVerifyCatchesARemovalNotStored(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified {
		t.Fatalf("remediate: %s (%s)", res.Status, res.Summary)
	}
	after := w.holder()
	w.forgetWrites(holderDN)
	rev := w.revert(w.revertEnv(res.Journal.ID, false))
	if rev.Status == schema.ResultVerified || stepStatus(rev, "remove") != schema.StepFailed ||
		!strings.Contains(messageOf(rev, "remove"), "still there") {
		t.Fatalf("revert: %s (%s), remove %s %q", rev.Status, rev.Summary, stepStatus(rev, "remove"), messageOf(rev, "remove"))
	}
	if !bytes.Equal(w.holder(), after) {
		t.Error("the fault did not leave AdminSDHolder as it was")
	}
}

// TestRevertRemovesTheExactACE (issue 19 §1): AdminSDHolder already holds
// other ACEs of the same trustee (one in front); revert removes the one the
// journal added, byte for byte, never the first ACE of that trustee.
func TestRevertRemovesTheExactACE(t *testing.T) {
	spec := dirgen.Scenarios["keycredlink-admin"]
	spec.Holder = []dirgen.HolderACE{
		{Domain: "contoso.com", Account: "MSOL_2f4e1b7c9a3d", Attr: "msExchSafeSendersHash", First: true, Stamped: true},
		{Domain: "contoso.com", Account: "MSOL_2f4e1b7c9a3d", Attr: "proxyAddresses", Stamped: true},
	}
	w := variantWorld(t, "keycredlink-admin", spec)
	before := w.holder()
	v, tok := w.approve()
	if v.Status != schema.StatusRemediable {
		t.Fatalf("variant: status %s (%s)", v.Status, v.Summary)
	}
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified {
		t.Fatalf("remediate: %s (%s)", res.Status, res.Summary)
	}
	rev := w.revert(w.revertEnv(res.Journal.ID, false))
	if rev.Status != schema.ResultVerified || stepStatus(rev, "remove") != schema.StepDone {
		t.Fatalf("revert: %s (%s)", rev.Status, rev.Summary)
	}
	if got := w.holder(); !bytes.Equal(got, before) {
		a, _ := ntsd.Parse(before)
		b, _ := ntsd.Parse(got)
		t.Errorf("after revert AdminSDHolder differs from before:\nbefore %s\nafter  %s", a.SDDL(nil), b.SDDL(nil))
	}
}

// TestAlreadyGrantedAtTheBackup (issue 19 §1): another administrator adds
// the same grant between remediate's fresh detect and its backup read.
// The write step then finds it present and writes nothing: no duplicate.
func TestAlreadyGrantedAtTheBackup(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	// How many reads of AdminSDHolder a detect makes: the next one is the backup's.
	reads := 0
	w.failOn(func(op, dn string) error {
		if op == "search" && strings.EqualFold(dn, holderDN) {
			reads++
		}
		return nil
	})
	_, tok := w.approve()
	detectReads := reads
	grant := ntsd.NewObjectAllow(ntsd.RightWriteProperty, ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"),
		ntsd.MustSID("S-1-5-21-1004336348-1177238915-682003330-1109"))
	reads, added := 0, false
	w.failOn(func(op, dn string) error {
		if op != "search" || !strings.EqualFold(dn, holderDN) || added {
			return nil
		}
		if reads++; reads > detectReads {
			added = true
			w.editDACL(holderDN, func(d *ntsd.ACL) { d.Insert(grant) })
		}
		return nil
	})
	mods := len(w.dir.Modifications())
	res := w.remediate(tok)
	if !added {
		t.Fatal("the grant was never added: the test did not reach the backup")
	}
	if stepStatus(res, "write") != schema.StepAlreadyPresent || !strings.Contains(messageOf(res, "write"), "already grants") {
		t.Fatalf("%s (%s): write %s %q", res.Status, res.Summary, stepStatus(res, "write"), messageOf(res, "write"))
	}
	sd, err := ntsd.Parse(w.holder())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range sd.DACL.ACEs {
		if bytes.Equal(a.Bytes(), grant.Bytes()) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("AdminSDHolder holds the grant %d times, want once", n)
	}
	writes := 0
	for _, m := range w.dir.Modifications()[mods:] {
		if strings.EqualFold(m.DN, holderDN) {
			writes++
		}
	}
	if writes != 1 {
		t.Errorf("AdminSDHolder was written %d times during the run, want once (the other administrator's edit only)", writes)
	}
}
