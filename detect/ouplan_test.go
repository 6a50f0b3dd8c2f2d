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

// TestOUPlanNeverBroadensAccess enumerates OU-grant plans (shape (b)) over
// a grid of diagnosis kinds x attributes x trustees x object states
// (class, adminCount, own inheritance, a deny for the connector) x parent
// containers (open, inheritance blocked, not a container class) and checks
// every add-ou-ace change against the rule: exactly one inheritable,
// inherit-only, Read+Write-Property object ACE on one allow-listed
// attribute resolved from the schema, for one of the four writeback
// classes, for the connector's ordinary SID, on an OU, container or domain
// head of that domain; never for protected accounts, never where a deny
// decides, never from another diagnosis kind.
func TestOUPlanNeverBroadensAccess(t *testing.T) {
	const nc = "DC=contoso,DC=com"
	dsid := ntsd.MustSID("S-1-5-21-1-2-3")
	dom := &ad.Domain{NC: nc, DNSName: "contoso.com", SID: dsid, PDCEmulator: "dc01.contoso.com", Server: "dc02.contoso.com",
		AdminSDHolder: &ad.AdminSDHolder{SDRightsEffective: ptr(int64(15))}}
	classes := map[string]ntsd.GUID{"user": guidOf("class-user"), "inetorgperson": guidOf("class-inetorg"), "group": guidOf("class-group"),
		"contact": guidOf("class-contact"), "computer": guidOf("class-computer"), "msds-device": guidOf("class-device")}
	snap := &ad.Snapshot{Objects: map[string]*ad.Object{}, Containers: map[string]*ad.Object{}, Classes: classes}
	ctl := ntsd.ControlSelfRelative | ntsd.ControlDACLPresent
	sdOf := func(protected bool, aces ...ntsd.ACE) *ntsd.SecurityDescriptor {
		c := ctl
		if protected {
			c |= ntsd.ControlDACLProtected
		}
		return &ntsd.SecurityDescriptor{Revision: 1, Control: c, DACL: &ntsd.ACL{Revision: 4, ACEs: append([]ntsd.ACE{{Type: ntsd.AccessAllowed, Mask: 0xF01FF, SID: ntsd.LocalSystem}}, aces...)}}
	}
	container := func(dn, class string, protected bool) {
		snap.Containers[normalKey(dn)] = &ad.Object{DN: dn, Found: true, DomainNC: nc, ObjectClass: []string{"top", class}, SD: sdOf(protected), SDRightsEffective: ptr(int64(15))}
	}
	container(nc, "domainDNS", false)
	parents := map[string]struct {
		class     string
		protected bool
	}{"OU=Open," + nc: {"organizationalUnit", false}, "OU=Blocked," + nc: {"organizationalUnit", true},
		"CN=Policy," + nc: {"groupPolicyContainer", false}, "CN=Users," + nc: {"container", false}}
	for dn, p := range parents {
		container(dn, p.class, p.protected)
	}
	type state struct {
		class                     string
		adminCount, own, withDeny bool
	}
	var states []state
	for _, c := range []string{"user", "inetOrgPerson", "group", "contact", "computer", "msDS-Device"} {
		for _, b := range []int{0, 1, 2, 4} {
			states = append(states, state{c, b == 1, b == 2, b == 4})
		}
	}
	attrs := []string{"msDS-KeyCredentialLink", "msExchSafeSendersHash", "mS-DS-ConsistencyGuid", "proxyAddresses",
		"pwdLastSet", "lockoutTime", "unicodePwd", "member", "servicePrincipalName", "altSecurityIdentities", ""}
	trustees := []string{"S-1-5-21-1-2-3-1109", "S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-513", "S-1-1-0", "S-1-5-11", "S-1-5-18", "S-1-5-32-544"}
	kinds := []schema.DiagnosisKind{schema.DiagOUPermissionMissing, schema.DiagInheritanceDisabled, schema.DiagExplicitDeny,
		schema.DiagAdminSDHolderWritebackDenied, schema.DiagStaleAdminCount}
	var diags []*diagnosis
	n := 0
	for _, kind := range kinds {
		for _, name := range attrs {
			for _, tr := range trustees {
				for _, st := range states {
					for parent := range parents {
						n++
						dn := fmt.Sprintf("CN=o%d,%s", n, parent)
						sid := ntsd.MustSID(tr)
						var aces []ntsd.ACE
						if st.withDeny {
							aces = append(aces, ntsd.ACE{Type: ntsd.AccessDeniedObject, Mask: ntsd.RightWriteProperty, ObjectFlags: ntsd.ObjectTypePresent, ObjectType: guidOf(name), SID: sid})
						}
						o := &ad.Object{DN: dn, Found: true, DomainNC: nc, ObjectClass: []string{"top", st.class}, SD: sdOf(st.own, aces...)}
						if st.adminCount {
							o.AdminCount = ptr(int64(1))
						}
						snap.Objects[normalKey(dn)] = o
						diags = append(diags, &diagnosis{
							forest:  &ForestFacts{Account: `CONTOSO\MSOL_x`, Snapshot: snap},
							account: &ad.Account{Found: true, SID: sid},
							attr:    &ad.Attribute{Name: name, Found: name != "", SchemaIDGUID: guidOf(name)},
							dom:     dom, dns: []string{dn},
							d: schema.Diagnosis{Kind: kind, Attribute: name},
						})
					}
				}
			}
		}
	}
	p := BuildPlan(diags, HostRole{})
	byID := map[string]schema.Change{}
	aceRE := regexp.MustCompile(`^\(OA;CIIO;RPWP;([0-9a-f-]{36});([0-9a-f-]{36});(S-1-5-21-\d+-\d+-\d+-\d+)\)$`)
	ous := 0
	for _, c := range p.Changes {
		byID[c.ID] = c
		if c.Action != schema.ActionAddOUACE {
			continue
		}
		ous++
		sid, err := ntsd.ParseSIDString(c.TrusteeSID)
		m := aceRE.FindStringSubmatch(c.ACE)
		target := snap.Containers[normalKey(c.TargetDN)]
		switch {
		case err != nil || !ad.IsOrdinaryAccountSID(sid):
			t.Errorf("OU grant to a SID that is not an ordinary domain account: %+v", c)
		case !ad.Allowlisted(c.Attribute) || ad.IsPasswordAttribute(c.Attribute):
			t.Errorf("OU grant on an attribute outside the allowlist: %+v", c)
		case ouClasses[strings.ToLower(c.Class)] == "" || c.ClassGUID != classes[strings.ToLower(c.Class)].String():
			t.Errorf("OU grant for a class outside user/inetOrgPerson/group/contact: %+v", c)
		case target == nil || !OUTargetClass(target.StructuralClass()) || c.Right != OURight:
			t.Errorf("OU grant on something not an OU, container or domain head, or with other rights: %+v", c)
		case m == nil || m[1] != c.AttributeGUID || m[1] != guidOf(c.Attribute).String() || m[2] != c.ClassGUID || m[3] != c.TrusteeSID:
			t.Errorf("the ACE is not shape (b) for the change's fields: %q", c.ACE)
		}
	}
	planned := 0
	for _, g := range diags {
		o := snap.Objects[normalKey(g.dns[0])]
		for _, id := range g.d.Changes {
			if byID[id].Action != schema.ActionAddOUACE {
				continue
			}
			planned++
			switch {
			case g.d.Kind != schema.DiagOUPermissionMissing:
				t.Errorf("%s diagnosis led to an OU grant %s", g.d.Kind, byID[id].ACE)
			case o.AdminCount != nil:
				t.Errorf("OU grant for a protected account %s: %s", o.DN, byID[id].ACE)
			case o.SD.DACLProtected():
				t.Errorf("OU grant for %s, whose own inheritance is off: %s", o.DN, byID[id].ACE)
			case len(o.SD.DACL.ACEs) > 1:
				t.Errorf("OU grant over a deny on %s: %s", o.DN, byID[id].ACE)
			case !strings.HasSuffix(o.DN, ","+byID[id].TargetDN):
				t.Errorf("OU grant on %s does not reach %s", byID[id].TargetDN, o.DN)
			}
		}
	}
	// 4 allow-listed attributes x 1 ordinary SID x 4 classes x 3 parents
	// that are containers (one of them blocked).
	if want := 4 * 4 * 3; planned != want {
		t.Errorf("%d objects planned, want %d (OU changes: %d)", planned, want, ous)
	}
}
