package detect

import (
	"context"
	"strings"
	"testing"
	"time"

	"entra8344/schema"
)

func verdictOf(t *testing.T, name string) *schema.Verdict {
	t.Helper()
	sc := loadScenario(t, name)
	env := Env{Prober: sc.Prober(), Runner: sc.Runner(), Now: func() time.Time { return sc.Now }, Replay: sc.Name, Directory: sc.Directory()}
	return Run(context.Background(), env, DefaultOptions())
}

// TestVerdictNamesWhereTheDecidingACESits (issue 13 items 4-6): the
// explanation, evidence, manual lines and plans name the ACE that decides
// (or would, but does not apply) and where it sits.
func TestVerdictNamesWhereTheDecidingACESits(t *testing.T) {
	const (
		ioACE   = "(OA;CIIO;RPWP;5b47d60f-6090-40b2-9f37-2a4de88f3063;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1004336348-1177238915-682003330-1109)"
		denyACE = "(OD;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)"
		effACE  = "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)"
	)
	for _, tc := range []struct {
		scenario, object string
		kind             schema.DiagnosisKind
		explanation      []string // substrings of the diagnosis' explanation
		decision         []string // substrings of the object's decision
		manual           []string // substrings of some manual line
		holderACEs       []string
		grant, remove    string // the ACE the grant plan adds, the cleanup removes ("" = none)
	}{
		{scenario: "adsyncconfig-holder", object: "CN=Jane Admin,OU=Admins,DC=contoso,DC=com", kind: schema.DiagAdminSDHolderWritebackDenied,
			explanation: []string{ioACE, "inherit-only: applies to child objects, not to AdminSDHolder itself", "never applies to the account itself", "-IncludeAdminSdHolders"},
			decision:    []string{ioACE + " would allow Write-Property on the attribute but does not apply (inherit-only: applies to child objects, not to the account itself)", "on AdminSDHolder: ACE"},
			holderACEs:  []string{ioACE}, grant: effACE, remove: ioACE},
		{scenario: "holder-deny", object: "CN=Jane Admin,OU=Admins,DC=contoso,DC=com", kind: schema.DiagExplicitDeny,
			explanation: []string{"The deny " + denyACE + " is on AdminSDHolder", "removing it from an account alone is undone by the task within the hour"},
			decision:    []string{denyACE + " denies Write-Property on the attribute (copied from AdminSDHolder by the protection task)"},
			manual:      []string{"# remove the deny ACE " + denyACE + " from AdminSDHolder (not from the accounts)", "runProtectAdminGroupsTask"},
			holderACEs:  []string{denyACE}},
		{scenario: "edge-cases", object: "CN=Ivan Deny,OU=Staff,DC=contoso,DC=com", kind: schema.DiagExplicitDeny,
			explanation: []string{"The deny is on the objects themselves", "not on AdminSDHolder"},
			decision:    []string{denyACE + " denies Write-Property on the attribute (explicit on the object)"},
			manual:      []string{"from the object"}},
		{scenario: "edge-cases", object: "CN=Kim Granted,OU=Admins,DC=contoso,DC=com", kind: schema.DiagAccessGrantedNow,
			decision: []string{effACE + " allows Write-Property on the attribute (explicit on the object)"}},
	} {
		t.Run(tc.scenario+"/"+tc.object, func(t *testing.T) {
			v := verdictOf(t, tc.scenario)
			var g *schema.Diagnosis
			var ev *schema.ObjectEvidence
			for i := range v.Directory.Diagnoses {
				for j := range v.Directory.Diagnoses[i].Objects {
					if v.Directory.Diagnoses[i].Objects[j].DN == tc.object {
						g, ev = &v.Directory.Diagnoses[i], &v.Directory.Diagnoses[i].Objects[j]
					}
				}
			}
			if g == nil {
				t.Fatalf("no diagnosis lists %s", tc.object)
			}
			if g.Kind != tc.kind {
				t.Fatalf("kind %s, want %s: %s", g.Kind, tc.kind, ev.Decision)
			}
			for _, s := range tc.explanation {
				if !strings.Contains(g.Explanation, s) {
					t.Errorf("explanation lacks %q:\n%s", s, g.Explanation)
				}
			}
			for _, s := range tc.decision {
				if !strings.Contains(ev.Decision, s) {
					t.Errorf("decision lacks %q:\n%s", s, ev.Decision)
				}
			}
			for _, s := range tc.manual {
				if !strings.Contains(strings.Join(g.Manual, "\n"), s) {
					t.Errorf("manual lines lack %q:\n%s", s, strings.Join(g.Manual, "\n"))
				}
			}
			for _, s := range tc.holderACEs {
				if !strings.Contains(strings.Join(g.AdminSDHolderACEs, " "), s) {
					t.Errorf("admin_sd_holder_aces lack %s: %v", s, g.AdminSDHolderACEs)
				}
			}
			if got := planACE(v.Directory.Plan, schema.ActionAddACE); got != tc.grant && tc.grant != "" {
				t.Errorf("the plan adds %q, want %q", got, tc.grant)
			}
			if got := planACE(v.Directory.Cleanup, schema.ActionRemoveACE); got != tc.remove {
				t.Errorf("the cleanup removes %q, want %q", got, tc.remove)
			}
			if tc.remove != "" && planACE(v.Directory.Plan, schema.ActionRemoveACE) != "" {
				t.Errorf("the grant plan removes an ACE: %+v", v.Directory.Plan.Changes)
			}
		})
	}
}

// planACE is the ACE of p's first change with action a.
func planACE(p schema.Plan, action string) string {
	for _, c := range p.Changes {
		if c.Action == action {
			return c.ACE
		}
	}
	return ""
}

// TestWriteServerInEveryForestShape (issue 13 item 2): a domain's grant is
// written on this host only when it is a DC of that domain, otherwise on
// the domain's PDC emulator; the protection task always runs there.
func TestWriteServerInEveryForestShape(t *testing.T) {
	for _, tc := range []struct {
		scenario      string
		root, child   string // the grant's server per domain
		rootW, childW bool   // writable here
	}{
		{"forest-member", "dc01.contoso.com", "dc11.emea.contoso.com", false, false},
		{"forest-root-pdc", "dc01.contoso.com", "dc11.emea.contoso.com", true, false},
		{"forest-root-dc", "dc02.contoso.com", "dc11.emea.contoso.com", true, false},
		{"forest-child-dc", "dc01.contoso.com", "dc12.emea.contoso.com", false, true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			v := verdictOf(t, tc.scenario)
			want := map[string]string{"contoso.com": tc.root, "emea.contoso.com": tc.child}
			writable := map[string]bool{"contoso.com": tc.rootW, "emea.contoso.com": tc.childW}
			pdc := map[string]string{"contoso.com": "dc01.contoso.com", "emea.contoso.com": "dc11.emea.contoso.com"}
			seen := map[string]bool{}
			for _, c := range v.Directory.Plan.Changes {
				switch c.Action {
				case schema.ActionAddACE:
					seen[c.Domain] = true
					if c.Server != want[c.Domain] || c.WritableHere != writable[c.Domain] {
						t.Errorf("%s grant on %s (writable here %v), want %s (%v)", c.Domain, c.Server, c.WritableHere, want[c.Domain], writable[c.Domain])
					}
				case schema.ActionRunProtectTask:
					if c.Server != pdc[c.Domain] {
						t.Errorf("%s protection task on %s, want its PDC emulator %s", c.Domain, c.Server, pdc[c.Domain])
					}
				}
			}
			if len(seen) != 2 || v.Directory.Plan.RemediableHere {
				t.Errorf("want a grant in both domains, not all remediable here: %+v", v.Directory.Plan)
			}
			for _, g := range v.Directory.Diagnoses {
				if g.Kind == schema.DiagAdminSDHolderWritebackDenied && !strings.Contains(g.NextStep, "written on "+want[g.Domain]+",") {
					t.Errorf("%s next step does not name %s: %s", g.Domain, want[g.Domain], g.NextStep)
				}
			}
		})
	}
}
