package detect

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// TestPlanNeverBroadensAccess enumerates every plan the builder can make
// from a grid of diagnoses (kinds x attributes x trustees x resolution
// states) and checks each change against the rule: the only ACE ever added
// is an object ACE, Write-Property, AceFlags 0, one allow-listed attribute
// resolved from the schema, for the configured connector account's ordinary
// domain SID, on that domain's AdminSDHolder.
func TestPlanNeverBroadensAccess(t *testing.T) {
	dom := &ad.Domain{NC: "DC=contoso,DC=com", DNSName: "contoso.com", NetBIOS: "CONTOSO",
		SID: ntsd.MustSID("S-1-5-21-1-2-3"), PDCEmulator: "dc01.contoso.com",
		AdminSDHolder: &ad.AdminSDHolder{SDRightsEffective: ptr(int64(15))}}
	attrs := []string{"msDS-KeyCredentialLink", "msExchSafeSendersHash", "mS-DS-ConsistencyGuid", "proxyAddresses",
		"msDS-ExternalDirectoryObjectID", "pwdLastSet", "lockoutTime", "unicodePwd", "member", "servicePrincipalName",
		"altSecurityIdentities", "userAccountControl", "scriptPath", "description", ""}
	trustees := []string{"S-1-5-21-1-2-3-1109", "S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-512", "S-1-5-21-1-2-3-513",
		"S-1-1-0", "S-1-5-11", "S-1-5-18", "S-1-5-32-544", "S-1-5-21-9-9-9-1109", "S-1-5-21-1-2-1109", "S-1-16-12288"}
	var diags []*diagnosis
	for _, kind := range schema.DiagnosisKinds {
		for _, name := range attrs {
			for _, tr := range trustees {
				for _, found := range []bool{true, false} {
					g := &diagnosis{
						forest:  &ForestFacts{Account: `CONTOSO\MSOL_x`},
						account: &ad.Account{Found: found, SID: ntsd.MustSID(tr)},
						attr:    &ad.Attribute{Name: name, Found: found, SchemaIDGUID: guidOf(name)},
						dom:     dom,
						d:       schema.Diagnosis{Kind: kind, Attribute: name},
					}
					diags = append(diags, g)
				}
			}
		}
	}
	p := BuildPlan(diags, HostRole{})
	if len(p.Changes) == 0 {
		t.Fatal("the grid produced no change at all: the test would prove nothing")
	}
	aceRE := regexp.MustCompile(`^\(OA;;WP;([0-9a-f-]{36});;(S-1-5-21-\d+-\d+-\d+-\d+)\)$`)
	adds := 0
	for _, c := range p.Changes {
		switch c.Action {
		case schema.ActionRunProtectTask:
			if c.TargetDN != "" || c.TrusteeSID != "" || c.ACE != "" {
				t.Errorf("trigger change carries a grant: %+v", c)
			}
		case schema.ActionAddACE:
			adds++
			sid, err := ntsd.ParseSIDString(c.TrusteeSID)
			if err != nil || !ad.IsOrdinaryAccountSID(sid) {
				t.Errorf("grant to a SID that is not an ordinary domain account: %+v", c)
			}
			if !ad.Allowlisted(c.Attribute) || ad.IsPasswordAttribute(c.Attribute) {
				t.Errorf("grant on an attribute outside the allowlist: %+v", c)
			}
			if c.TargetDN != ad.AdminSDHolderDN(dom.NC) || c.Right != "WriteProperty" {
				t.Errorf("grant on the wrong object or right: %+v", c)
			}
			m := aceRE.FindStringSubmatch(c.ACE)
			if m == nil || m[2] != c.TrusteeSID || m[1] != c.AttributeGUID || m[1] != guidOf(c.Attribute).String() {
				t.Errorf("the ACE is not one attribute-scoped WP allow for the trustee: %q", c.ACE)
			}
		default:
			t.Errorf("unknown action %q", c.Action)
		}
	}
	// Every grant must come from an adminsdholder-writeback-denied diagnosis.
	for _, g := range diags {
		if g.d.Kind != schema.DiagAdminSDHolderWritebackDenied && len(g.d.Changes) > 0 && strings.Contains(strings.Join(g.d.Changes, ","), "C") {
			for _, id := range g.d.Changes {
				for _, c := range p.Changes {
					if c.ID == id && c.Action == schema.ActionAddACE {
						t.Errorf("%s diagnosis led to a grant %s", g.d.Kind, c.ACE)
					}
				}
			}
		}
	}
	// 5 allow-listed attributes x 2 ordinary account SIDs (this domain's and
	// another domain's of the forest), resolved.
	if want := 10; adds != want {
		t.Errorf("%d grants, want %d", adds, want)
	}
	if !p.RemediableHere {
		t.Errorf("writable domain, but not remediable here: %s", p.RemediableReason)
	}
	t.Run("removal", testCleanupNeverBroadens)
}

func TestPlanNotRemediableOnMemberServer(t *testing.T) {
	dom := &ad.Domain{NC: "DC=contoso,DC=com", DNSName: "contoso.com", SID: ntsd.MustSID("S-1-5-21-1-2-3"),
		PDCEmulator: "dc01.contoso.com", AdminSDHolder: &ad.AdminSDHolder{SDRightsEffective: ptr(int64(0))}}
	g := &diagnosis{forest: &ForestFacts{Account: `CONTOSO\MSOL_x`},
		account: &ad.Account{Found: true, SID: ntsd.MustSID("S-1-5-21-1-2-3-1109")},
		attr:    &ad.Attribute{Name: "msDS-KeyCredentialLink", Found: true, SchemaIDGUID: ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063")},
		dom:     dom, d: schema.Diagnosis{Kind: schema.DiagAdminSDHolderWritebackDenied}}
	no := false
	p := BuildPlan([]*diagnosis{g}, HostRole{IsDC: &no})
	if len(p.Changes) != 2 || p.RemediableHere {
		t.Fatalf("changes %d, remediable here %v", len(p.Changes), p.RemediableHere)
	}
	for _, want := range []string{"member server", "dc01.contoso.com", "sDRightsEffective 0"} {
		if !strings.Contains(p.RemediableReason, want) {
			t.Errorf("reason %q does not say %q", p.RemediableReason, want)
		}
	}
	if got := fmt.Sprint(p.Manual); !strings.Contains(got, `dsacls "\\dc01.contoso.com\CN=AdminSDHolder,CN=System,DC=contoso,DC=com" /G "CONTOSO\MSOL_x:WP;msDS-KeyCredentialLink"`) {
		t.Errorf("manual lines: %s", got)
	}
}

func ptr[T any](v T) *T { return &v }

// guidOf gives each attribute name of the grid its own GUID.
func guidOf(name string) ntsd.GUID {
	var g ntsd.GUID
	copy(g[:], fmt.Sprintf("%-16.16s", name))
	return g
}
