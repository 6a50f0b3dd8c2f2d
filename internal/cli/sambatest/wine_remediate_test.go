package sambatest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/replay"
	"entra8344/internal/winetest"
	"entra8344/remediate"
	"entra8344/schema"
)

// TestWineRemediateOnSamba is the DC path with the real Windows exe: a
// member server running Entra Connect (replayed, in process, reading Samba)
// diagnoses 8344 on a protected admin but may not carry the plan out; its
// verdict's plan parameters and a DC-scope token under the MSP-wide key go
// to the DC, here the test build of the exe (-tags entra8344_testhooks)
// under Wine (scripts/wine-test.sh) with its LDAP sent to Samba. There `remediate --plan` re-derives the plan from the
// directory, writes the one ACE on AdminSDHolder (Samba refuses the
// protection task: pending), a second run finds it already present, a
// tampered token or changed parameters are refused with nothing changed,
// and `revert` leaves AdminSDHolder's DACL as it was, compared as a set
// (pending too: it triggers the task again).
func TestWineRemediateOnSamba(t *testing.T) {
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

	// 1. The DC's side: a connector account, a protected admin in Domain
	// Admins; AdminSDHolder and the group end as they began.
	g := newGrantSetup(t, d, ctx, "wine-remediate")
	admin, tlsAdmin, ou, holderDN, original, msol := g.admin, g.tlsAdmin, g.ou, g.holderDN, g.original, g.msol
	msolSID, err := sidOf(ctx, admin, "CN="+msol+","+ou)
	if err != nil {
		t.Fatal(err)
	}

	// 2. The member server, in process: the plan, its parameters and digest.
	// It reads the directory as an ordinary account, like a member server's
	// computer account: it may read everything but not write AdminSDHolder.
	memberPass := password()
	member := userAdd(ou, "e8-app-"+randHex(6), memberPass)
	if err := tlsAdmin.Add(member); err != nil {
		t.Fatalf("create %s: %v", member.DN, err)
	}
	memberOpts := d.admin
	memberOpts.BindDN, memberOpts.Password = member.DN, memberPass
	sc := memberServerScenario(t, d.base, msol, g.adminDN)
	dir := samba{fixedDialer{goldap.Dialer{URL: d.url, Options: memberOpts}}}
	v := detect.Run(ctx, detect.Env{Prober: sc.Prober(), Runner: sc.Runner(), Directory: dir, Now: func() time.Time { return sc.Now }}, detect.DefaultOptions())
	if !v.Directory.Performed || len(v.Directory.Diagnoses) == 0 || v.Directory.Diagnoses[0].Kind != schema.DiagAdminSDHolderWritebackDenied {
		b, _ := json.MarshalIndent(v.Directory, "", " ")
		t.Fatalf("detect on the member server against Samba: %s (%s)\n%s", v.Status, v.Summary, b)
	}
	plan := v.Directory.Plan
	var grants []schema.Change
	for _, c := range plan.Changes {
		if c.Action == schema.ActionAddACE {
			grants = append(grants, c)
		}
	}
	if len(grants) != 1 || !strings.EqualFold(grants[0].TrusteeSID, msolSID.String()) || !strings.EqualFold(grants[0].TargetDN, holderDN) {
		b, _ := json.MarshalIndent(plan, "", " ")
		t.Fatalf("the member server's plan has not exactly one add-ace, on AdminSDHolder for %s (%s):\n%s", msol, msolSID, b)
	}
	if plan.RemediableHere {
		t.Errorf("the member server's plan is remediable there (%s), want not: its identity may not write AdminSDHolder", plan.RemediableReason)
	}
	params, err := remediate.PlanParams(v)
	if err != nil {
		t.Fatal(err)
	}
	digest := remediate.Digest(plan)
	change := grants[0]
	ace := ntsd.NewObjectAllow(ntsd.RightWriteProperty, ntsd.MustGUID(change.AttributeGUID), ntsd.MustSID(change.TrusteeSID))
	t.Logf("member server plan: %s on %s for %s (%s), not remediable there (%s); parameters %d characters",
		change.Action, change.TargetDN, msol, ace.SDDL(nil), plan.RemediableReason, len(params))

	// 3. The DC's identity as the exe sees it under Wine, and the DC-scope
	// token for it under the MSP-wide key.
	wineHost := wineDCHost(t, exe)
	keyBytes := make([]byte, 32)
	rand.Read(keyBytes)
	key := hex.EncodeToString(keyBytes)
	token, err := remediate.IssueScoped(keyBytes, remediate.ScopeDC, digest, wineHost, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the DC under Wine is %q; DC-scope token issued for it", wineHost)

	ldapEnv := wineLDAPEnv()
	state := t.TempDir()
	remediateOnDC := func(state, token, params string) (*schema.Result, string, int) {
		t.Helper()
		env := append([]string{remediate.EnvApprovalKey + "=" + key, "ENTRA8344_APPROVAL_TOKEN=" + token}, ldapEnv...)
		stdout, stderr, code := winetest.Run(t, exe, env, "remediate", "--plan", params, "--state-dir", state, "--wait", "1s")
		return wineResult(t, stdout, stderr), stdout, code
	}
	holderNow := func() *ntsd.SecurityDescriptor {
		t.Helper()
		sd, err := readSD(ctx, admin, holderDN)
		if err != nil {
			t.Fatal(err)
		}
		return sd
	}

	// 4. The grant on the DC.
	res, out, code := remediateOnDC(state, token, params)
	if res.Status != schema.ResultPending || code != 1 {
		t.Fatalf("remediate --plan under Wine: exit %d, status %s, want 1 pending (Samba has no protection task):\n%s", code, res.Status, out)
	}
	for _, step := range []struct {
		name string
		want schema.StepStatus
	}{{"token", schema.StepDone}, {"backup", schema.StepDone}, {"write", schema.StepDone}, {"verify", schema.StepDone},
		{"trigger", schema.StepPending}, {"sync", schema.StepSkipped}} {
		if got := statusOf(res, step.name); got != step.want {
			t.Errorf("step %s: %q, want %s (%s)", step.name, got, step.want, messageOf(res, step.name))
		}
	}
	if res.Host != wineHost || res.PlanDigest != hex.EncodeToString(digest[:]) || res.Journal == nil || res.Journal.ID == "" {
		t.Fatalf("result host %q (want %q), plan digest %s (want %x), journal %+v", res.Host, wineHost, res.PlanDigest, digest, res.Journal)
	}
	if n := count(holderNow(), ace); n != 1 {
		t.Fatalf("AdminSDHolder holds the ACE %d times after the grant under Wine, want 1", n)
	}
	if js, _ := os.ReadDir(filepath.Join(state, "journal")); len(js) != 1 {
		t.Errorf("%d journal files after the grant, want 1", len(js))
	}
	if _, err := os.Stat(filepath.Join(state, "remediate.lock")); err == nil {
		t.Error("the lock was left behind")
	}
	t.Logf("granted under Wine: journal %s; trigger: %s; sync: %s", res.Journal.ID, messageOf(res, "trigger"), messageOf(res, "sync"))

	// 5. The same command again: the ACE is there, no second copy.
	again, out, code := remediateOnDC(state, token, params)
	if statusOf(again, "write") != schema.StepAlreadyPresent || code > 1 {
		t.Errorf("second run: exit %d, write %q, want already-present (%s)\n%s", code, statusOf(again, "write"), again.Summary, out)
	}
	granted := holderNow()
	if n := count(granted, ace); n != 1 {
		t.Errorf("AdminSDHolder holds the ACE %d times after the second run, want 1", n)
	}
	t.Logf("second run: %s, exit %d", again.Status, code)

	// 6. Refusals change nothing. A fresh state directory: with the grant's
	// journal, an approval whose plan is already in place reads as that.
	refused := t.TempDir()
	last := token[len(token)-1]
	flip := byte('A')
	if last == 'A' {
		flip = 'B'
	}
	raw, err := base64.RawURLEncoding.DecodeString(params)
	if err != nil {
		t.Fatal(err)
	}
	attr := change.Attribute
	if attr == "" || !bytes.Contains(raw, []byte(`"`+attr+`"`)) {
		t.Fatalf("the parameters %s do not name the planned attribute %q", raw, attr)
	}
	other := "proxyAddresses" // allow-listed too: a plausible, different grant
	changed := base64.RawURLEncoding.EncodeToString(bytes.ReplaceAll(raw, []byte(`"`+attr+`"`), []byte(`"`+other+`"`)))
	for _, c := range []struct {
		name, token, params, code string
	}{
		{"tampered token", token[:len(token)-1] + string(flip), params, "token-bad-mac"},
		{"changed parameters", token, changed, "token-plan-changed"},
	} {
		res, out, code := remediateOnDC(refused, c.token, c.params)
		if code != 2 || res.Status != schema.ResultRefused || res.Refusal == nil || res.Refusal.Code != c.code {
			t.Errorf("%s: exit %d, status %s, refusal %+v; want exit 2, %s\n%s", c.name, code, res.Status, res.Refusal, c.code, out)
		}
		if now := holderNow(); !bytes.Equal(now.Marshal(), granted.Marshal()) {
			t.Errorf("%s: AdminSDHolder changed although the run was refused:\n before %s\n after  %s", c.name, granted.SDDL(nil), now.SDDL(nil))
		}
	}

	// 7. revert under Wine removes exactly that ACE.
	stdout, stderr, code := winetest.Run(t, exe, append([]string{remediate.EnvApprovalKey + "=" + key}, ldapEnv...), "revert", "--journal", res.Journal.ID, "--state-dir", state)
	rev := wineResult(t, stdout, stderr)
	// The ACE is removed and read back gone; the protection task, asked to
	// run again so the admins lose their copy, is refused by Samba (53):
	// pending on that alone, exit 1.
	if code != 1 || rev.Status != schema.ResultPending || statusOf(rev, "remove") != schema.StepDone || statusOf(rev, "trigger") != schema.StepPending {
		t.Fatalf("revert under Wine: exit %d, status %s, remove %q, trigger %q; want exit 1, pending, remove done, trigger pending (%s)\n%s",
			code, rev.Status, statusOf(rev, "remove"), statusOf(rev, "trigger"), rev.Summary, stdout)
	}
	reverted := holderNow()
	if !sameSet(reverted, original) {
		t.Errorf("after revert under Wine AdminSDHolder's DACL differs from before the grant (as a set):\n before %s\n after  %s", original.SDDL(nil), reverted.SDDL(nil))
	}
	t.Logf("reverted under Wine: %s, exit %d (%s); AdminSDHolder's DACL is as before, as a set", rev.Status, code, rev.Summary)
}

// memberServerScenario is scenario() on the Entra Connect server of a
// member server (not a DC): the host whose verdict names the DC.
func memberServerScenario(t *testing.T, base, msol, adminDN string) *replay.Scenario {
	sc := scenario(t, base, msol, adminDN)
	no := false
	sc.Facts.ComputerName, sc.Facts.IsDC, sc.Facts.IsPDCEmulator = "AADC01", &no, nil
	return sc
}

// wineResult checks the exe's output is one result document and nothing
// on stderr, and decodes it.
func wineResult(t *testing.T, stdout, stderr string) *schema.Result {
	t.Helper()
	if stderr != "" {
		t.Errorf("stderr is not empty: %q", stderr)
	}
	if err := schemacheck.Validate("result", []byte(stdout)); err != nil {
		t.Fatalf("the output is not a valid result: %v\n%s", err, stdout)
	}
	var res schema.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	return &res
}
