package sambatest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/winetest"
	"entra8344/remediate"
	"entra8344/schema"
)

// TestWineOUGrantOnSamba (issue 16 §5) is the OU remediation on the DC
// path with the real Windows exe: a member server (replayed, in process,
// reading Samba as an ordinary account) diagnoses 8344 on a user in a
// fresh OU where the connector account holds nothing, plans one shape (b)
// ACE on the OU and may not write it there; its plan parameters and a
// DC-scope token go to the test build of the exe under Wine, whose LDAP
// goes through Wine's wldap32 to Samba. There `remediate --plan` writes
// exactly that ACE on the OU, the DC propagates the inherited copy to the
// user, a second run finds it already present, a tampered token is refused
// with the OU's DACL byte-identical, and `revert` restores the OU's DACL,
// as a set. The OU and everything in it are deleted when the test ends.
func TestWineOUGrantOnSamba(t *testing.T) {
	exe := os.Getenv("ENTRA8344_WINE_HOOKS_EXE")
	if exe == "" {
		t.Skip("ENTRA8344_WINE_HOOKS_EXE is not set: the Windows test build (-tags entra8344_testhooks) under Wine (scripts/wine-test.sh sets it)")
	}
	d := needDC(t)
	for _, v := range []string{"SAMBA_DC_HOST", "SAMBA_DC_DOMAIN", "SAMBA_DC_ADMIN_PASS"} {
		if os.Getenv(v) == "" {
			t.Skipf("%s is not set: the exe's LDAP test hooks need it (bash scripts/samba-dc.sh env)", v)
		}
	}
	ctx := bg(t, runTimeout)

	// 1. The DC's side: a fresh OU (deleted with its contents at the end)
	// holding a connector account with no grant there and a user that
	// fails on an attribute Samba 4.17 has.
	admin, tlsAdmin := d.dial(t, d.admin), d.raw(t, true)
	ou := d.newOU(t, tlsAdmin, "wine-ougrant")
	msol := "MSOL_" + randHex(12)
	if err := tlsAdmin.Add(userAdd(ou, msol, "")); err != nil {
		t.Fatalf("create %s: %v", msol, err)
	}
	child := userAdd(ou, "e8-user-"+randHex(6), "")
	if err := tlsAdmin.Add(child); err != nil {
		t.Fatalf("create %s: %v", child.DN, err)
	}
	sdOf := func(dn string) *ntsd.SecurityDescriptor {
		t.Helper()
		sd, err := readSD(ctx, admin, dn)
		if err != nil {
			t.Fatal(err)
		}
		return sd
	}
	ouBefore, childBefore := sdOf(ou), sdOf(child.DN)

	// 2. The member server, in process, reading as an ordinary account
	// that may read the OU but not write its DACL.
	memberPass := password()
	member := userAdd(ou, "e8-app-"+randHex(6), memberPass)
	if err := tlsAdmin.Add(member); err != nil {
		t.Fatalf("create %s: %v", member.DN, err)
	}
	memberOpts := d.admin
	memberOpts.BindDN, memberOpts.Password = member.DN, memberPass
	sc := scenarioFor(t, d.base, msol, child.DN, "mS-DS-ConsistencyGuid")
	no := false
	sc.Facts.ComputerName, sc.Facts.IsDC, sc.Facts.IsPDCEmulator = "AADC01", &no, nil
	dir := samba{fixedDialer{goldap.Dialer{URL: d.url, Options: memberOpts}}}
	v := detect.Run(ctx, detect.Env{Prober: sc.Prober(), Runner: sc.Runner(), Directory: dir, Now: func() time.Time { return sc.Now }}, detect.DefaultOptions())
	if !v.Directory.Performed || len(v.Directory.Plan.Changes) != 1 || v.Directory.Plan.Changes[0].Action != schema.ActionAddOUACE {
		b, _ := json.MarshalIndent(v.Directory, "", " ")
		t.Fatalf("detect on the member server against Samba: %s (%s), want one add-ou-ace\n%s", v.Status, v.Summary, b)
	}
	plan := v.Directory.Plan
	change := plan.Changes[0]
	if !strings.EqualFold(change.TargetDN, ou) || change.Class != "user" || change.Attribute != "mS-DS-ConsistencyGuid" {
		t.Fatalf("the member server planned %+v, want the OU %s for class user, mS-DS-ConsistencyGuid", change, ou)
	}
	if plan.RemediableHere {
		t.Errorf("the member server's plan is remediable there (%s), want not: its identity may not write the OU's DACL", plan.RemediableReason)
	}
	params, err := remediate.PlanParams(v)
	if err != nil {
		t.Fatal(err)
	}
	digest := remediate.Digest(plan)
	ace := ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, ntsd.MustGUID(change.AttributeGUID), ntsd.MustGUID(change.ClassGUID), ntsd.MustSID(change.TrusteeSID))
	t.Logf("member server plan: %s on %s for %s (%s), not remediable there (%s)", change.Action, change.TargetDN, msol, ace.SDDL(nil), plan.RemediableReason)

	// 3. The DC under Wine and its DC-scope token under the MSP-wide key.
	wineHost := wineDCHost(t, exe)
	keyBytes := make([]byte, 32)
	rand.Read(keyBytes)
	key := hex.EncodeToString(keyBytes)
	token, err := remediate.IssueScoped(keyBytes, remediate.ScopeDC, digest, wineHost, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	remediateOnDC := func(state, token string) (*schema.Result, string, int) {
		t.Helper()
		env := append([]string{remediate.EnvApprovalKey + "=" + key, "ENTRA8344_APPROVAL_TOKEN=" + token}, wineLDAPEnv()...)
		stdout, stderr, code := winetest.Run(t, exe, env, "remediate", "--plan", params, "--state-dir", state, "--wait", "1s")
		return wineResult(t, stdout, stderr), stdout, code
	}

	// 4. The grant: exactly one shape (b) ACE on the OU, its inherited copy
	// on the user (propagated by the DC, not by the exe).
	state := t.TempDir()
	res, out, code := remediateOnDC(state, token)
	// No protection task for an OU: the wait step's fresh detect finds the
	// user writable through the copy the DC inherited, so verified, exit 0;
	// the sync is the member server's to run.
	if res.Status != schema.ResultVerified || code != 0 {
		t.Fatalf("remediate --plan under Wine: exit %d, status %s, want 0 verified (%s)\n%s", code, res.Status, res.Summary, out)
	}
	for _, step := range []struct {
		name string
		want schema.StepStatus
	}{{"token", schema.StepDone}, {"backup", schema.StepDone}, {"write", schema.StepDone}, {"verify", schema.StepDone},
		{"wait", schema.StepDone}, {"sync", schema.StepSkipped}} {
		if got := statusOf(res, step.name); got != step.want {
			t.Errorf("step %s: %q, want %s (%s)", step.name, got, step.want, messageOf(res, step.name))
		}
	}
	if res.Host != wineHost || res.PlanDigest != hex.EncodeToString(digest[:]) || res.Journal == nil || res.Journal.ID == "" {
		t.Fatalf("result host %q (want %q), plan digest %s (want %x), journal %+v", res.Host, wineHost, res.PlanDigest, digest, res.Journal)
	}
	granted := sdOf(ou)
	if n := count(granted, ace); n != 1 {
		t.Fatalf("the OU holds the ACE %d times after the grant under Wine, want 1: %s", n, granted.SDDL(nil))
	}
	var copies []string
	for _, a := range sdOf(child.DN).DACL.ACEs {
		if a.IsInherited() && !a.IsInheritOnly() && a.SID.Equal(ace.SID) && a.ObjectType == ace.ObjectType && a.Mask == ace.Mask {
			copies = append(copies, a.SDDL(nil))
		}
	}
	if len(copies) != 1 {
		t.Fatalf("the user holds %d inherited copies after the grant under Wine, want 1: %s", len(copies), sdOf(child.DN).SDDL(nil))
	}
	t.Logf("granted under Wine: %s on the OU, inherited on the user as %s; journal %s", ace.SDDL(nil), copies[0], res.Journal.ID)

	// 5. Again: already present, no second copy.
	again, out, code := remediateOnDC(state, token)
	if statusOf(again, "write") != schema.StepAlreadyPresent || code > 1 {
		t.Errorf("second run: exit %d, write %q, want already-present (%s)\n%s", code, statusOf(again, "write"), again.Summary, out)
	}
	if n := count(sdOf(ou), ace); n != 1 {
		t.Errorf("the OU holds the ACE %d times after the second run, want 1", n)
	}

	// 6. A tampered token (fresh state directory) is refused; the OU's
	// DACL is byte-identical.
	flip := byte('A')
	if token[len(token)-1] == 'A' {
		flip = 'B'
	}
	refused := t.TempDir()
	bad, out, code := remediateOnDC(refused, token[:len(token)-1]+string(flip))
	if code != 2 || bad.Status != schema.ResultRefused || bad.Refusal == nil || bad.Refusal.Code != "token-bad-mac" {
		t.Errorf("tampered token: exit %d, status %s, refusal %+v; want exit 2, token-bad-mac\n%s", code, bad.Status, bad.Refusal, out)
	}
	if now := sdOf(ou); !bytes.Equal(now.Marshal(), granted.Marshal()) {
		t.Errorf("the OU changed although the run was refused:\n before %s\n after  %s", granted.SDDL(nil), now.SDDL(nil))
	}
	if js, _ := os.ReadDir(filepath.Join(refused, "journal")); len(js) != 0 {
		t.Errorf("%d journal files after the refused run, want none", len(js))
	}

	// 7. revert under Wine: the OU's DACL as before, as a set.
	stdout, stderr, code := winetest.Run(t, exe, append([]string{remediate.EnvApprovalKey + "=" + key}, wineLDAPEnv()...), "revert", "--journal", res.Journal.ID, "--state-dir", state)
	rev := wineResult(t, stdout, stderr)
	// No protection task to trigger for an OU: verified, exit 0.
	if code != 0 || rev.Status != schema.ResultVerified || statusOf(rev, "remove") != schema.StepDone {
		t.Fatalf("revert under Wine: exit %d, status %s, remove %q; want exit 0, verified, remove done (%s)\n%s", code, rev.Status, statusOf(rev, "remove"), rev.Summary, stdout)
	}
	if reverted := sdOf(ou); !sameSet(reverted, ouBefore) {
		t.Errorf("after revert under Wine the OU's DACL differs from before the grant (as a set):\n before %s\n after  %s", ouBefore.SDDL(nil), reverted.SDDL(nil))
	}
	// The DC takes the inherited copy away from the user too.
	if reverted := sdOf(child.DN); !sameSet(reverted, childBefore) {
		t.Errorf("after revert under Wine the user's DACL differs from before the grant (as a set):\n before %s\n after  %s", childBefore.SDDL(nil), reverted.SDDL(nil))
	}
	t.Logf("reverted under Wine: %s, exit %d (%s)", rev.Status, code, rev.Summary)
}

// wineDCHost is the host ID the exe under Wine reports for itself (live
// detect): what a DC-scope token names.
func wineDCHost(t *testing.T, exe string) string {
	t.Helper()
	stdout, stderr, code := winetest.Run(t, exe, nil, "detect")
	if code != 0 || stderr != "" {
		t.Fatalf("live detect under Wine: exit %d, stderr %q", code, stderr)
	}
	var live schema.Verdict
	if err := json.Unmarshal([]byte(stdout), &live); err != nil || live.Host.Computer == "" {
		t.Fatalf("live detect under Wine: host %+v (%v)\n%s", live.Host, err, stdout)
	}
	return remediate.HostID(live.Host.Computer, live.Host.DNSDomain)
}

// wineLDAPEnv points the test build's LDAP at the Samba DC.
func wineLDAPEnv() []string {
	return []string{
		"ENTRA8344_LDAP_SERVER=" + os.Getenv("SAMBA_DC_HOST"),
		"ENTRA8344_LDAP_USER=Administrator", // Wine's wldap32 crashes on NULL credentials
		"ENTRA8344_LDAP_DOMAIN=" + os.Getenv("SAMBA_DC_DOMAIN"),
		"ENTRA8344_LDAP_PASSWORD=" + os.Getenv("SAMBA_DC_ADMIN_PASS"),
		// Wine keeps no file security descriptors: no folder passes the
		// state directory's privacy check there (a test build's hook).
		"ENTRA8344_LDAP_TEST_STATE_UNCHECKED=1",
	}
}
