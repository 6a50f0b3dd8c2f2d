package sambatest

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/detect"
	"entra8344/fixtures"
	"entra8344/internal/ad"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/replay"
	"entra8344/remediate"
	"entra8344/schema"
)

// fixedDialer sends every dial to the test DC (the test realm's host names
// do not resolve).
type fixedDialer struct{ d goldap.Dialer }

func (f fixedDialer) Dial(ctx context.Context, _ string) (ldap.Conn, error) { return f.d.Dial(ctx, "") }

// samba is the directory source of the scenario: the real DC for every connector.
type samba struct{ d ldap.Dialer }

func (s samba) Dialer(string) (ldap.Dialer, error) { return s.d, nil }

// TestSambaRemediateAndRevert runs the whole remediation against the real
// DC: the Entra Connect side is replayed (a connector account and one
// protected admin failing with 8344 on msDS-KeyCredentialLink), the
// directory is Samba. detect plans the grant, remediate writes the one ACE
// on AdminSDHolder and reads it back (Samba refuses the protection task
// with 53, so the run ends pending), a second run finds it already present
// and adds no second copy, and revert leaves AdminSDHolder's DACL as it
// was, compared as a set of ACEs.
func TestSambaRemediateAndRevert(t *testing.T) {
	d := needDC(t)
	ctx := bg(t, runTimeout)
	g := newGrantSetup(t, d, ctx, "remediate")
	admin, holderDN, original, msol := g.admin, g.holderDN, g.original, g.msol
	sc := scenario(t, d.base, msol, g.adminDN)
	dir := samba{fixedDialer{goldap.Dialer{URL: d.url, Options: d.admin}}}
	denv := detect.Env{Prober: sc.Prober(), Runner: sc.Runner(), Directory: dir, Now: func() time.Time { return sc.Now }}
	v := detect.Run(ctx, denv, detect.DefaultOptions())
	if v.Status != schema.StatusRemediable || len(v.Directory.Diagnoses) == 0 || v.Directory.Diagnoses[0].Kind != schema.DiagAdminSDHolderWritebackDenied {
		b, _ := json.MarshalIndent(v.Directory, "", " ")
		t.Fatalf("detect against Samba: %s (%s)\n%s", v.Status, v.Summary, b)
	}
	key := bytes.Repeat([]byte{0x5a}, 32)
	host := remediate.HostID(v.Host.Computer, v.Host.DNSDomain)
	tok, err := remediate.Issue(key, remediate.Digest(v.Directory.Plan), host, sc.Now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	env := remediate.Env{Detect: denv, Options: detect.DefaultOptions(), Token: tok, StateDir: state,
		Key: func() ([]byte, string, error) { return key, "msp", nil }}
	env.Sync = func(ctx context.Context) error {
		return adsync.StartDeltaSync(ctx, sc.Runner(), adsync.CollectOptions{PowerShell: sc.Facts.PowerShellPath}, 1, nil)
	}

	res := remediate.Run(ctx, env)
	for _, step := range []struct {
		name string
		want schema.StepStatus
	}{{"backup", schema.StepDone}, {"write", schema.StepDone}, {"verify", schema.StepDone}, {"trigger", schema.StepPending}} {
		if got := statusOf(res, step.name); got != step.want {
			t.Errorf("step %s: %s, want %s (%s)", step.name, got, step.want, res.Summary)
		}
	}
	if res.Status != schema.ResultPending || res.ExitCode != 1 {
		t.Errorf("first run: %s, want pending (Samba has no protection task)", res.Status)
	}
	plan := v.Directory.Plan.Changes[0]
	ace := ntsd.NewObjectAllow(ntsd.RightWriteProperty, ntsd.MustGUID(plan.AttributeGUID), ntsd.MustSID(plan.TrusteeSID))
	after, err := readSD(ctx, admin, holderDN)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(after, ace); n != 1 {
		t.Fatalf("AdminSDHolder holds the ACE %d times after the grant, want 1", n)
	}
	t.Logf("granted on Samba: %s; trigger: %s", ace.SDDL(nil), messageOf(res, "trigger"))

	// Samba never copies it onto the admin, so the live plan is unchanged
	// and the token still approves it: the grant is already there.
	again := remediate.Run(ctx, env)
	if statusOf(again, "write") != schema.StepAlreadyPresent {
		t.Errorf("second run: write %s (%s)", statusOf(again, "write"), again.Summary)
	}
	if after2, _ := readSD(ctx, admin, holderDN); count(after2, ace) != 1 {
		t.Errorf("the second run added another copy")
	}

	rev := remediate.Revert(ctx, remediate.RevertEnv{StateDir: state, Journal: res.Journal.ID, Key: env.Key, Dial: fixedDialer{goldap.Dialer{URL: d.url, Options: d.admin}}.Dial})
	// The ACE is removed and read back gone; the protection task, asked to
	// run again so the objects lose their copy, is refused by Samba (53):
	// the revert is pending on that alone.
	if rev.Status != schema.ResultPending || statusOf(rev, "remove") != schema.StepDone || statusOf(rev, "trigger") != schema.StepPending {
		t.Fatalf("revert: %s (%s)", rev.Status, rev.Summary)
	}
	reverted, err := readSD(ctx, admin, holderDN)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(reverted, original) {
		t.Errorf("after revert AdminSDHolder's DACL differs from before the grant (as a set):\n before %s\n after  %s", original.SDDL(nil), reverted.SDDL(nil))
	}
}

// grantSetup is the directory side of a remediation test on the DC: an
// MSOL_ connector account and a protected admin (adminCount=1, AdminSDHolder's
// DACL, protected) in Domain Admins, in an OU of its own; AdminSDHolder's
// DACL and the group end as they began, whatever happens.
type grantSetup struct {
	admin                       ldap.Conn
	tlsAdmin                    *gl.Conn
	ou, holderDN, msol, adminDN string
	original                    *ntsd.SecurityDescriptor
}

func newGrantSetup(t *testing.T, d *dc, ctx context.Context, what string) *grantSetup {
	t.Helper()
	g := &grantSetup{admin: d.dial(t, d.admin), tlsAdmin: d.raw(t, true), holderDN: ad.AdminSDHolderDN(d.base)}
	g.ou = d.newOU(t, g.tlsAdmin, what)
	original, err := readSD(ctx, g.admin, g.holderDN)
	if err != nil {
		t.Fatal(err)
	}
	g.original = original
	originalBytes := original.Marshal()
	t.Cleanup(func() {
		if err := writeDACL(context.Background(), d.dial(t, d.admin), g.holderDN, originalBytes); err != nil {
			t.Errorf("restore AdminSDHolder: %v", err)
		}
	})
	protectedSD := *original
	protectedSD.Control |= ntsd.ControlDACLProtected
	g.msol = "MSOL_" + randHex(12)
	if err := g.tlsAdmin.Add(userAdd(g.ou, g.msol, "")); err != nil {
		t.Fatalf("create %s: %v", g.msol, err)
	}
	adminAdd := userAdd(g.ou, "e8-admin-"+randHex(6), "")
	adminAdd.Attribute("adminCount", []string{"1"})
	adminAdd.Attribute("nTSecurityDescriptor", []string{string(protectedSD.Marshal())})
	if err := g.tlsAdmin.Add(adminAdd); err != nil {
		t.Fatalf("create %s: %v", adminAdd.DN, err)
	}
	g.adminDN = adminAdd.DN
	domainAdmins := "CN=Domain Admins,CN=Users," + d.base
	if err := addMembers(g.tlsAdmin, domainAdmins, []string{g.adminDN}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mr := gl.NewModifyRequest(domainAdmins, nil)
		mr.Delete("member", []string{g.adminDN})
		g.tlsAdmin.Modify(mr)
	})
	return g
}

// scenario is the replayed Entra Connect side: the demo's files with the
// test realm's connector, account and failing admin.
func scenario(t *testing.T, base, msol, adminDN string) *replay.Scenario {
	t.Helper()
	return scenarioFor(t, base, msol, adminDN, "")
}

// scenarioFor is scenario with the failing attribute renamed to attr
// (empty: the demo's msDS-KeyCredentialLink).
func scenarioFor(t *testing.T, base, msol, adminDN, attr string) *replay.Scenario {
	t.Helper()
	demo, _, err := fixtures.Scenario("demo")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := fs.ReadFile(demo, name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	collector := strings.NewReplacer(
		`"DN":"DC=contoso,DC=com"`, `"DN":"`+base+`"`,
		`"Name":"contoso.com"`, `"Name":"test.example"`,
		`"LoginDomain":"CONTOSO"`, `"LoginDomain":"TEST"`,
		`"MSOL_2f4e1b7c9a3d"`, `"`+msol+`"`,
	).Replace(read("collector.json"))
	csexport := strings.ReplaceAll(read("csexport/contoso.com.xml"), "CN=Jane Admin,OU=Admins,DC=contoso,DC=com", adminDN)
	if attr != "" {
		csexport = strings.ReplaceAll(csexport, "msDS-KeyCredentialLink", attr)
	}
	host := `{"computer_name":"DC1","dns_domain":"test.example","adsync_service":"running",` +
		`"adsync_image_path":"\"C:\\Program Files\\Microsoft Azure AD Sync\\Bin\\miiserver.exe\"",` +
		`"sync_engine_dir":"C:\\Program Files\\Microsoft Azure AD Sync\\","connect_version":"2.4.21.0",` +
		`"is_dc":true,"is_pdc_emulator":true,"powershell_path":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"}`
	const aad = "contoso.onmicrosoft.com - AAD.xml"
	fsys := fstest.MapFS{
		"scenario.json":             {Data: []byte(`{"description":"Samba remediation","now":"` + time.Now().UTC().Format(time.RFC3339) + `"}`)},
		"host.json":                 {Data: []byte(host)},
		"collector.json":            {Data: []byte(collector)},
		"csexport/test.example.xml": {Data: []byte(csexport)},
		"csexport/" + aad:           {Data: []byte(read("csexport/" + aad))},
	}
	sc, err := replay.Load(fsys, "samba")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func statusOf(res *schema.Result, name string) schema.StepStatus {
	var st schema.StepStatus
	for _, s := range res.Steps {
		if s.Name == name {
			st = s.Status
		}
	}
	return st
}

func messageOf(res *schema.Result, name string) string {
	for _, s := range res.Steps {
		if s.Name == name {
			return s.Message
		}
	}
	return ""
}

func count(sd *ntsd.SecurityDescriptor, a ntsd.ACE) int {
	n := 0
	for _, x := range sd.DACL.ACEs {
		if x.Equal(a) {
			n++
		}
	}
	return n
}

// sameSet compares two DACLs as multisets of ACEs (Samba may re-sort).
func sameSet(a, b *ntsd.SecurityDescriptor) bool {
	if len(a.DACL.ACEs) != len(b.DACL.ACEs) {
		return false
	}
	m := map[string]int{}
	for _, x := range a.DACL.ACEs {
		m[string(x.Bytes())]++
	}
	for _, x := range b.DACL.ACEs {
		m[string(x.Bytes())]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
