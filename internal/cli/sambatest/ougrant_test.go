package sambatest

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
	"entra8344/remediate"
	"entra8344/schema"
)

// TestSambaOUGrant (issue 16) runs the OU remediation against the real
// DC: an ordinary user in a fresh OU fails on mS-DS-ConsistencyGuid for a
// connector account that holds nothing there. detect plans one shape (b)
// ACE on that OU; remediate writes it, reads it back, and the wait step,
// re-reading the user through detect, finds it writable because the DC
// itself propagated the inherited copy (no simulation here); the test
// observes that copy on the user. revert then restores the OU's DACL, as
// a set, and the DC takes the copy away from the user.
func TestSambaOUGrant(t *testing.T) {
	d := needDC(t)
	ctx := bg(t, runTimeout)
	admin, tlsAdmin := d.dial(t, d.admin), d.raw(t, true)
	ou := d.newOU(t, tlsAdmin, "ougrant")
	msol := "MSOL_" + randHex(12)
	if err := tlsAdmin.Add(userAdd(ou, msol, "")); err != nil {
		t.Fatalf("create %s: %v", msol, err)
	}
	child := userAdd(ou, "e8-user-"+randHex(6), "")
	if err := tlsAdmin.Add(child); err != nil {
		t.Fatalf("create %s: %v", child.DN, err)
	}
	ouBefore, err := readSD(ctx, admin, ou)
	if err != nil {
		t.Fatal(err)
	}
	childBefore, err := readSD(ctx, admin, child.DN)
	if err != nil {
		t.Fatal(err)
	}
	// The demo's failing attribute is msDS-KeyCredentialLink, which Samba
	// 4.17 lacks; the user fails on one it has.
	sc := scenarioFor(t, d.base, msol, child.DN, "mS-DS-ConsistencyGuid")
	dir := samba{fixedDialer{goldap.Dialer{URL: d.url, Options: d.admin}}}
	denv := detect.Env{Prober: sc.Prober(), Runner: sc.Runner(), Directory: dir, Now: func() time.Time { return sc.Now }}
	v := detect.Run(ctx, denv, detect.DefaultOptions())
	if v.Status != schema.StatusRemediable || len(v.Directory.Plan.Changes) != 1 || v.Directory.Plan.Changes[0].Action != schema.ActionAddOUACE {
		b, _ := json.MarshalIndent(v.Directory, "", " ")
		t.Fatalf("detect against Samba: %s (%s)\n%s", v.Status, v.Summary, b)
	}
	c := v.Directory.Plan.Changes[0]
	if !strings.EqualFold(c.TargetDN, ou) || c.Class != "user" || c.Attribute != "mS-DS-ConsistencyGuid" {
		t.Fatalf("planned %+v, want the OU %s for class user", c, ou)
	}
	key := bytes.Repeat([]byte{0x5b}, 32)
	tok, err := remediate.Issue(key, remediate.Digest(v.Directory.Plan), remediate.HostID(v.Host.Computer, v.Host.DNSDomain), sc.Now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	env := remediate.Env{Detect: denv, Options: detect.DefaultOptions(), Token: tok, StateDir: state, Wait: time.Minute,
		Key: func() ([]byte, string, error) { return key, "msp", nil }}
	env.Sync = func(ctx context.Context) error {
		return adsync.StartDeltaSync(ctx, sc.Runner(), adsync.CollectOptions{PowerShell: sc.Facts.PowerShellPath}, 1, nil)
	}
	res := remediate.Run(ctx, env)
	for _, name := range []string{"backup", "write", "verify", "wait"} {
		if got := statusOf(res, name); got != schema.StepDone {
			t.Errorf("step %s: %s (%s; %s)", name, got, res.Summary, messageOf(res, name))
		}
	}
	ace := ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, ntsd.MustGUID(c.AttributeGUID), ntsd.MustGUID(c.ClassGUID), ntsd.MustSID(c.TrusteeSID))
	ouAfter, err := readSD(ctx, admin, ou)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(ouAfter, ace); n != 1 {
		t.Fatalf("the OU holds the ACE %d times, want 1: %s", n, ouAfter.SDDL(nil))
	}
	childAfter, err := readSD(ctx, admin, child.DN)
	if err != nil {
		t.Fatal(err)
	}
	var copies []string
	for _, a := range childAfter.DACL.ACEs {
		if a.IsInherited() && !a.IsInheritOnly() && a.SID.Equal(ace.SID) && a.ObjectType == ace.ObjectType && a.Mask == ace.Mask {
			copies = append(copies, a.SDDL(nil))
		}
	}
	if len(copies) != 1 {
		t.Fatalf("the user holds %d inherited copies right after the write, want 1: %s", len(copies), childAfter.SDDL(nil))
	}
	t.Logf("OU grant %s; inherited on the user as %s", ace.SDDL(nil), copies[0])

	rev := remediate.Revert(ctx, remediate.RevertEnv{StateDir: state, Journal: res.Journal.ID, Key: env.Key, Dial: fixedDialer{goldap.Dialer{URL: d.url, Options: d.admin}}.Dial})
	if statusOf(rev, "remove") != schema.StepDone || rev.ExitCode != 0 {
		t.Fatalf("revert: %s (%s)", rev.Status, rev.Summary)
	}
	ouReverted, err := readSD(ctx, admin, ou)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(ouReverted, ouBefore) {
		t.Errorf("after revert the OU's DACL differs from before (as a set):\n before %s\n after  %s", ouBefore.SDDL(nil), ouReverted.SDDL(nil))
	}
	if childReverted, err := readSD(ctx, admin, child.DN); err != nil || !sameSet(childReverted, childBefore) {
		t.Errorf("after revert the user's DACL differs from before (%v)", err)
	}
}
