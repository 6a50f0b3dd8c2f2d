package remediate_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/remediate"
	"entra8344/schema"
)

// dcWorld is the member-server scenario twice: the Connect server (member)
// whose verdict names the PDC emulator, and that PDC emulator (dc), with
// its own directory state, where the approved plan is carried out.
type dcWorld struct {
	member, dc *world
	verdict    *schema.Verdict
	params     string
	token      string
}

func newDCWorld(t *testing.T) *dcWorld {
	t.Helper()
	member := newWorld(t, "member-server", true)
	v := detect.Run(context.Background(), member.detectEnv(), detect.DefaultOptions())
	if v.Directory.Plan.RemediableHere || len(v.Directory.Plan.Changes) == 0 {
		t.Fatalf("the member server's plan should exist and not be remediable there: %+v", v.Directory.Plan)
	}
	params, err := remediate.PlanParams(v)
	if err != nil {
		t.Fatal(err)
	}
	dc := newWorld(t, "member-server", false)
	fqdn, err := dc.sc.AsDomainController(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fqdn != v.Directory.Plan.Changes[0].Server {
		t.Fatalf("the replayed DC is %s, the plan names %s", fqdn, v.Directory.Plan.Changes[0].Server)
	}
	dc.dir = dc.sc.Directory()
	dc.dir.SimulateProtectionTask()
	dc.key = member.key // the MSP-wide key: the same on both hosts
	tok, err := remediate.IssueScoped(member.key, remediate.ScopeDC, remediate.Digest(v.Directory.Plan), fqdn, member.sc.Now.Add(remediate.DefaultExpiry))
	if err != nil {
		t.Fatal(err)
	}
	return &dcWorld{member: member, dc: dc, verdict: v, params: params, token: tok}
}

func (d *dcWorld) run(token, params string) *schema.Result {
	return d.dc.remediateWith(token, func(e *remediate.Env) { e.PlanParams = params })
}

// TestDCPathCarriesOutTheMemberServersPlan: the plan approved on a member
// server is carried out on the PDC emulator it names, re-derived there
// from the parameters: verified, the sync left to the Connect server, a
// second run already-present, and the journal revertible.
func TestDCPathCarriesOutTheMemberServersPlan(t *testing.T) {
	d := newDCWorld(t)
	before := d.dc.holder()
	res := d.run(d.token, d.params)
	if res.Status != schema.ResultVerified || res.ExitCode != 0 {
		t.Fatalf("got %s: %s", res.Status, res.Summary)
	}
	if res.Host != "dc01.contoso.com" || res.PlanDigest != hexDigest(d.verdict.Directory.Plan) {
		t.Errorf("host %s digest %s: want the DC and the member server's plan digest", res.Host, res.PlanDigest)
	}
	if stepStatus(res, "sync") != schema.StepSkipped || stepStatus(res, "wait") != schema.StepDone {
		t.Errorf("sync %s wait %s: the DC leaves the sync to the Connect server and sees the ACE on the object", stepStatus(res, "sync"), stepStatus(res, "wait"))
	}
	after := d.dc.holder()
	sd, err := ntsd.Parse(after)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := ntsd.Parse(before)
	if len(sd.DACL.ACEs) != len(old.DACL.ACEs)+1 {
		t.Errorf("the DACL went from %d to %d ACEs, want exactly one more", len(old.DACL.ACEs), len(sd.DACL.ACEs))
	}
	if again := d.run(d.token, d.params); again.Status != schema.ResultAlreadyPresent {
		t.Errorf("second run: %s (%s), want already-present", again.Status, again.Summary)
	}
	rev := remediate.Revert(context.Background(), d.dc.revertEnv(res.Journal.ID, false))
	if rev.Status != schema.ResultVerified || string(d.dc.holder()) != string(before) {
		t.Errorf("revert: %s (%s); DACL restored: %v", rev.Status, rev.Summary, string(d.dc.holder()) == string(before))
	}
}

// TestDCPathRefusals: every way the DC path can be misused ends refused
// with nothing written.
func TestDCPathRefusals(t *testing.T) {
	mutate := func(params string, edit func(string) string) string {
		raw, _ := base64.RawURLEncoding.DecodeString(params)
		return base64.RawURLEncoding.EncodeToString([]byte(edit(string(raw))))
	}
	for _, tc := range []struct {
		name, code string
		token      func(d *dcWorld) string
		params     func(d *dcWorld) string
	}{
		{"host token with plan", "token-wrong-scope", func(d *dcWorld) string {
			tok, _ := remediate.Issue(d.member.key, remediate.Digest(d.verdict.Directory.Plan), "dc01.contoso.com", d.member.sc.Now.Add(time.Hour))
			return tok
		}, nil},
		{"dc token on another DC", "token-other-host", func(d *dcWorld) string {
			tok, _ := remediate.IssueScoped(d.member.key, remediate.ScopeDC, remediate.Digest(d.verdict.Directory.Plan), "dc02.contoso.com", d.member.sc.Now.Add(time.Hour))
			return tok
		}, nil},
		{"dc token expired", "token-expired", func(d *dcWorld) string {
			tok, _ := remediate.IssueScoped(d.member.key, remediate.ScopeDC, remediate.Digest(d.verdict.Directory.Plan), "dc01.contoso.com", d.member.sc.Now.Add(-time.Minute))
			return tok
		}, nil},
		{"dc token under the host key", "token-bad-mac", func(d *dcWorld) string {
			tok, _ := remediate.IssueScoped(remediate.ReplayKey("elsewhere"), remediate.ScopeDC, remediate.Digest(d.verdict.Directory.Plan), "dc01.contoso.com", d.member.sc.Now.Add(time.Hour))
			return tok
		}, nil},
		{"attribute changed in the parameters", "token-plan-changed", nil, func(d *dcWorld) string {
			return mutate(d.params, func(s string) string { return strings.Replace(s, "msDS-KeyCredentialLink", "msExchSafeSendersHash", 1) })
		}},
		{"account changed in the parameters", "token-plan-changed", nil, func(d *dcWorld) string {
			return mutate(d.params, func(s string) string { return strings.Replace(s, `MSOL_2f4e1b7c9a3d`, `Administrator`, 1) })
		}},
		{"unknown field", "plan-malformed", nil, func(d *dcWorld) string {
			return mutate(d.params, func(s string) string { return strings.Replace(s, `{"v":1,`, `{"v":1,"x":1,`, 1) })
		}},
		{"not base64url", "plan-malformed", nil, func(d *dcWorld) string { return d.params[:10] + "+/=" + d.params[10:] }},
		{"bad DN", "plan-malformed", nil, func(d *dcWorld) string {
			return mutate(d.params, func(s string) string { return strings.Replace(s, `"d":"CN=`, `"d":"=,,CN=`, 1) })
		}},
		{"two attributes on one object", "plan-malformed", nil, func(d *dcWorld) string {
			return mutate(d.params, func(s string) string { return strings.Replace(s, `"t":["`, `"t":["member","`, 1) })
		}},
		{"too long", "plan-malformed", nil, func(d *dcWorld) string { return strings.Repeat("A", 9000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDCWorld(t)
			tok, params := d.token, d.params
			if tc.token != nil {
				tok = tc.token(d)
			}
			if tc.params != nil {
				params = tc.params(d)
			}
			res := d.run(tok, params)
			if res.Status != schema.ResultRefused || res.ExitCode != 2 || res.Refusal == nil || res.Refusal.Code != tc.code {
				t.Fatalf("got %s %+v, want refusal %s", res.Status, res.Refusal, tc.code)
			}
			if n := len(d.dc.dir.Modifications()); n != 0 {
				t.Errorf("a refused run wrote %d modifications", n)
			}
		})
	}
	t.Run("dc token on the member server", func(t *testing.T) {
		d := newDCWorld(t)
		res := d.member.remediate(d.token)
		if res.Refusal == nil || res.Refusal.Code != "token-wrong-scope" || len(d.member.dir.Modifications()) != 0 {
			t.Fatalf("got %s %+v, want token-wrong-scope and nothing written", res.Status, res.Refusal)
		}
	})
}

// FuzzParsePlanParams: hostile parameters never panic, and whatever parses
// holds only valid DNs, accounts and one attribute name per object.
func FuzzParsePlanParams(f *testing.F) {
	f.Add("eyJ2IjoxLCJmIjpbeyJjIjoiY29udG9zby5jb20iLCJhIjoiQ09OVE9TT1xcTVNPTF8yZjRlMWI3YzlhM2QiLCJvIjpbeyJkIjoiQ049SmFuZSBBZG1pbixPVT1BZG1pbnMsREM9Y29udG9zbyxEQz1jb20iLCJ0IjpbIm1zRFMtS2V5Q3JlZGVudGlhbExpbmsiXX1dfV19")
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		forests, err := remediate.ParsePlanParams(s)
		if err != nil {
			return
		}
		for _, fo := range forests {
			if !strings.Contains(fo.Account, `\`) || len(fo.Objects) == 0 {
				t.Fatalf("accepted %+v", fo)
			}
			for _, o := range fo.Objects {
				if len(o.Attributes) != 1 || o.DN == "" {
					t.Fatalf("accepted %+v", o)
				}
			}
		}
	})
}

func (w *world) revertEnv(journal string, exact bool) remediate.RevertEnv {
	d, err := w.dir.Dialer(w.sc.Name)
	if err != nil {
		w.t.Fatal(err)
	}
	return remediate.RevertEnv{StateDir: w.stateDir, Journal: journal, RestoreExact: exact, Key: w.keyFunc(), Now: func() time.Time { return w.sc.Now },
		Dial: func(ctx context.Context, s string) (ldap.Conn, error) { return d.Dial(ctx, s) }}
}

func hexDigest(p schema.Plan) string {
	d := remediate.Digest(p)
	return hex.EncodeToString(d[:])
}

// TestDCPathOnTheDCRunOnNames (issue 13 item 2): child-domain's failing
// admin is in emea.contoso.com, so the Connect server's verdict approves
// the plan for emea's PDC emulator (approval.run_on); the replayed DC path
// becomes that DC (the one the token is bound to, not the forest root's
// PDC) and carries the plan out on emea's AdminSDHolder.
func TestDCPathOnTheDCRunOnNames(t *testing.T) {
	const child = "dc11.emea.contoso.com"
	member := newWorld(t, "child-domain", true)
	v := detect.Run(context.Background(), member.detectEnv(), detect.DefaultOptions())
	if len(v.Directory.Plan.Changes) == 0 || v.Directory.Plan.RemediableHere {
		t.Fatalf("the plan should exist and not be remediable on the root PDC: %+v", v.Directory.Plan)
	}
	for _, c := range v.Directory.Plan.Changes {
		if c.Server != child {
			t.Fatalf("change %s is for %s, want emea's PDC emulator %s", c.ID, c.Server, child)
		}
	}
	params, err := remediate.PlanParams(v)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := remediate.IssueScoped(member.key, remediate.ScopeDC, remediate.Digest(v.Directory.Plan), child, member.sc.Now.Add(remediate.DefaultExpiry))
	if err != nil {
		t.Fatal(err)
	}
	dc := newWorld(t, "child-domain", false)
	fqdn, err := dc.sc.AsDomainController(context.Background(), func(h string) bool {
		host, domain, _ := strings.Cut(h, ".")
		return remediate.TokenNamesHost(member.key, tok, remediate.HostID(host, domain))
	})
	if err != nil || fqdn != child || dc.sc.Facts.IsPDCEmulator == nil || !*dc.sc.Facts.IsPDCEmulator {
		t.Fatalf("the replayed DC is %s (%v), want %s, its domain's PDC emulator", fqdn, err, child)
	}
	dc.dir = dc.sc.Directory()
	dc.dir.SimulateProtectionTask()
	dc.key = member.key
	const emeaHolder = "CN=AdminSDHolder,CN=System,DC=emea,DC=contoso,DC=com"
	before := dc.readSD(emeaHolder)
	res := dc.remediateWith(tok, func(e *remediate.Env) { e.PlanParams = params })
	if res.Status != schema.ResultVerified || res.Host != child {
		for _, s := range res.Steps {
			t.Logf("%s %s %s", s.Name, s.Status, s.Message)
		}
		t.Fatalf("%s on %s: %s", res.Status, res.Host, res.Summary)
	}
	if string(dc.readSD(emeaHolder)) == string(before) || string(dc.holder()) != string(newWorld(t, "child-domain", false).holder()) {
		t.Errorf("the grant should change emea's AdminSDHolder only")
	}
}
