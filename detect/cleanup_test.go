package detect

import (
	"sort"
	"strings"
	"testing"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// TestCleanupOnlyRemovesStaleConnectorACEs: over an AdminSDHolder holding
// ACEs of every kind of trustee, the cleanup plan removes only explicit
// ACEs of stale connector accounts (ordinary SIDs that are not the
// configured account), adds nothing, and ends with the protection task.
func TestCleanupOnlyRemovesStaleConnectorACEs(t *testing.T) {
	const (
		configured = "S-1-5-21-1-2-3-1109" // MSOL_ of this server
		staleMSOL  = "S-1-5-21-1-2-3-1200" // MSOL_ of a former install, still resolves
		deleted    = "S-1-5-21-1-2-3-1300" // resolves to nothing, holds a WP grant
		deletedRO  = "S-1-5-21-1-2-3-1400" // resolves to nothing, read-only ACE
		admin      = "S-1-5-21-1-2-3-1500" // an ordinary admin, not a connector
	)
	kcl := ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063")
	wp := func(sid string) ntsd.ACE { return ntsd.NewObjectAllow(ntsd.RightWriteProperty, kcl, ntsd.MustSID(sid)) }
	inherited := wp(staleMSOL)
	inherited.Flags |= ntsd.Inherited
	aces := []ntsd.ACE{wp(configured), wp(staleMSOL), inherited, wp(deleted), wp(admin),
		{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.MustSID(deletedRO)},
		{Type: ntsd.AccessAllowed, Mask: ntsd.RightWriteProperty, SID: ntsd.Everyone},
		{Type: ntsd.AccessAllowed, Mask: 0xF01FF, SID: ntsd.MustSID("S-1-5-32-544")}}
	for _, well := range []string{"S-1-1-0", "S-1-5-11", "S-1-5-18", "S-1-5-10"} {
		aces = append(aces, wp(well))
	}
	dom := &ad.Domain{NC: "DC=contoso,DC=com", DNSName: "contoso.com", SID: ntsd.MustSID("S-1-5-21-1-2-3"), PDCEmulator: "dc01.contoso.com",
		AdminSDHolder: &ad.AdminSDHolder{SDRightsEffective: ptr(int64(15)), SD: &ntsd.SecurityDescriptor{Revision: 1, DACL: &ntsd.ACL{Revision: 4, ACEs: aces}}},
		Trustees: map[string]*ad.Principal{
			configured: {SID: ntsd.MustSID(configured), Found: true, SAM: "MSOL_2f4e1b7c9a3d"},
			staleMSOL:  {SID: ntsd.MustSID(staleMSOL), Found: true, SAM: "MSOL_0a1b2c3d4e5f"},
			deleted:    {SID: ntsd.MustSID(deleted)},
			deletedRO:  {SID: ntsd.MustSID(deletedRO)},
			admin:      {SID: ntsd.MustSID(admin), Found: true, SAM: "jane.admin"},
		}}
	f := &ForestFacts{Connector: "contoso.com", Account: `CONTOSO\MSOL_2f4e1b7c9a3d`}
	diags := staleACEs(f, dom, map[string]bool{configured: true})
	p := BuildCleanup(diags, HostRole{})
	removed := map[string]int{}
	for i, c := range p.Changes {
		switch c.Action {
		case schema.ActionRemoveACE:
			removed[c.TrusteeSID]++
			if c.TargetDN != ad.AdminSDHolderDN(dom.NC) || c.ACE == "" {
				t.Errorf("removal outside AdminSDHolder or without its ACE: %+v", c)
			}
		case schema.ActionRunProtectTask:
			if i != len(p.Changes)-1 {
				t.Errorf("the protection task is not last: %+v", p.Changes)
			}
		default:
			t.Errorf("the cleanup plans %s: %+v", c.Action, c)
		}
	}
	want := map[string]int{staleMSOL: 1, deleted: 1}
	if len(removed) != len(want) || removed[staleMSOL] != 1 || removed[deleted] != 1 {
		t.Errorf("removed %v, want %v (only explicit ACEs of stale connector accounts)", removed, want)
	}
	if !p.RemediableHere || len(p.RiskNotes) == 0 {
		t.Errorf("remediable %v, risk notes %d", p.RemediableHere, len(p.RiskNotes))
	}
}

// testCleanupNeverBroadens is the removal side of TestPlanNeverBroadensAccess:
// AdminSDHolder holds, for every trustee of a grid, an ACE of every type
// (allow, deny, object allow and deny, audit, object audit, alarm) with
// every relevant AceFlags, and every trustee is a stale connector account.
// The cleanup may remove only explicit allow ACEs of ordinary account SIDs,
// and after removing them no trustee may write any attribute it could not
// write before.
func testCleanupNeverBroadens(t *testing.T) {
	domSID := ntsd.MustSID("S-1-5-21-1-2-3")
	kcl, other := ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"), ntsd.MustGUID("bf967a86-0de6-11d0-a285-00aa003049e2")
	trustees := []string{"S-1-5-21-1-2-3-1200", "S-1-5-21-1-2-3-1300", "S-1-5-21-9-9-9-1109",
		"S-1-1-0", "S-1-5-11", "S-1-5-18", "S-1-3-4", "S-1-5-10", "S-1-5-32-544", "S-1-5-21-1-2-3-512"}
	types := []byte{ntsd.AccessDenied, ntsd.AccessDeniedObject, ntsd.AccessAllowed, ntsd.AccessAllowedObject,
		ntsd.SystemAudit, ntsd.SystemAlarm, ntsd.SystemAuditObject, ntsd.SystemAlarmObject}
	flags := []byte{0, ntsd.ContainerInherit, ntsd.InheritOnly | ntsd.ContainerInherit, ntsd.Inherited, ntsd.SuccessfulAccess | ntsd.FailedAccess}
	var aces []ntsd.ACE
	trusteeOf := map[string]*ad.Principal{}
	for _, tr := range trustees {
		sid := ntsd.MustSID(tr)
		trusteeOf[tr] = &ad.Principal{SID: sid, Found: true, SAM: "MSOL_" + strings.ReplaceAll(tr, "-", "")}
		for _, ty := range types {
			for _, fl := range flags {
				for _, mask := range []uint32{ntsd.RightWriteProperty, ntsd.GenericAll} {
					a := ntsd.ACE{Type: ty, Flags: fl, Mask: mask, SID: sid}
					if a.IsObject() {
						a.ObjectFlags, a.ObjectType = ntsd.ObjectTypePresent, kcl
					}
					aces = append(aces, a)
				}
			}
		}
	}
	// A group every trustee is in, allowed everything and denied nothing:
	// once a trustee's own deny is gone, this allow decides.
	users := ntsd.MustSID("S-1-5-32-545")
	aces = append(aces, ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.GenericAll, SID: users})
	// Canonical order (explicit denies, explicit allows, then inherited),
	// so a removed deny would let a kept allow decide.
	rank := func(a ntsd.ACE) int {
		r := 1
		if a.IsDeny() {
			r = 0
		}
		if a.IsInherited() {
			r += 2
		}
		return r
	}
	sort.SliceStable(aces, func(i, j int) bool { return rank(aces[i]) < rank(aces[j]) })
	sd := &ntsd.SecurityDescriptor{Revision: 1, Control: ntsd.ControlDACLPresent, DACL: &ntsd.ACL{Revision: 4, ACEs: aces}}
	dom := &ad.Domain{NC: "DC=contoso,DC=com", DNSName: "contoso.com", NetBIOS: "CONTOSO", SID: domSID, PDCEmulator: "dc01.contoso.com",
		AdminSDHolder: &ad.AdminSDHolder{SDRightsEffective: ptr(int64(15)), SD: sd}, Trustees: trusteeOf}
	var diags []*diagnosis
	for _, tr := range trustees { // every trustee stale, whatever staleACEs would say
		diags = append(diags, &diagnosis{key: diagKey{kind: schema.DiagStaleConnectorACE, domain: dom.DNSName, attribute: tr},
			dom: dom, forest: &ForestFacts{Account: `CONTOSO\MSOL_x`}, stale: trusteeOf[tr],
			d: schema.Diagnosis{Kind: schema.DiagStaleConnectorACE, Domain: dom.DNSName}})
	}
	p := BuildCleanup(diags, HostRole{})

	bySDDL := map[string][]ntsd.ACE{}
	for _, a := range aces {
		bySDDL[a.SDDL(&domSID)] = append(bySDDL[a.SDDL(&domSID)], a)
	}
	after := &ntsd.SecurityDescriptor{Revision: 1, Control: ntsd.ControlDACLPresent, DACL: &ntsd.ACL{Revision: 4, ACEs: append([]ntsd.ACE(nil), aces...)}}
	removed := map[byte]int{}
	for _, c := range p.Changes {
		if c.Action != schema.ActionRemoveACE {
			continue
		}
		matches := bySDDL[c.ACE]
		if len(matches) == 0 {
			t.Fatalf("change %s removes %s, which is not on AdminSDHolder", c.ID, c.ACE)
		}
		for _, a := range matches {
			sid, _ := ntsd.ParseSIDString(c.TrusteeSID)
			if a.Type != ntsd.AccessAllowed && a.Type != ntsd.AccessAllowedObject || a.IsInherited() || !ad.IsOrdinaryAccountSID(sid) || !a.SID.Equal(sid) {
				t.Errorf("change %s removes %s: only explicit allow ACEs of an ordinary account may be removed", c.ID, c.ACE)
			}
			removed[a.Type]++
			after.DACL.Remove(a)
		}
	}
	if removed[ntsd.AccessAllowed] == 0 || removed[ntsd.AccessAllowedObject] == 0 {
		t.Fatalf("the grid removed %v: the test would prove nothing", removed)
	}
	denied := 0
	for _, tr := range trustees {
		for _, attr := range []ntsd.GUID{kcl, other} {
			q := ntsd.WriteCheck{SIDs: []ntsd.SID{ntsd.MustSID(tr), users}, Attribute: attr}
			if was, now := ntsd.CheckWriteProperty(sd, q), ntsd.CheckWriteProperty(after, q); now.Allowed && !was.Allowed {
				t.Errorf("after the cleanup %s may write %s, which it could not before (%s)", tr, attr, now.Reason)
			} else if !was.Allowed {
				denied++
			}
		}
	}
	if denied == 0 {
		t.Fatal("no trustee was denied a write before the cleanup: the check would prove nothing")
	}
}

// TestStaleACERemovable: the one decision, over every ACE type and flag.
func TestStaleACERemovable(t *testing.T) {
	me, other := ntsd.MustSID("S-1-5-21-1-2-3-1200"), ntsd.MustSID("S-1-5-21-1-2-3-1300")
	obj := func(ty byte) ntsd.ACE {
		return ntsd.ACE{Type: ty, Mask: ntsd.RightWriteProperty, SID: me, ObjectFlags: ntsd.ObjectTypePresent, ObjectType: ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063")}
	}
	inherited := obj(ntsd.AccessAllowedObject)
	inherited.Flags = ntsd.Inherited
	for _, tc := range []struct {
		name    string
		ace     ntsd.ACE
		trustee ntsd.SID
		want    bool
	}{
		{"allow", ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.GenericAll, SID: me}, me, true},
		{"object allow", obj(ntsd.AccessAllowedObject), me, true},
		{"inheritable allow", ntsd.ACE{Type: ntsd.AccessAllowed, Flags: ntsd.ContainerInherit | ntsd.InheritOnly, Mask: ntsd.GenericAll, SID: me}, me, true},
		{"deny", ntsd.ACE{Type: ntsd.AccessDenied, Mask: ntsd.GenericAll, SID: me}, me, false},
		{"object deny", obj(ntsd.AccessDeniedObject), me, false},
		{"audit", ntsd.ACE{Type: ntsd.SystemAudit, Flags: ntsd.FailedAccess, Mask: ntsd.GenericAll, SID: me}, me, false},
		{"object audit", obj(ntsd.SystemAuditObject), me, false},
		{"alarm", ntsd.ACE{Type: ntsd.SystemAlarm, Mask: ntsd.GenericAll, SID: me}, me, false},
		{"object alarm", obj(ntsd.SystemAlarmObject), me, false},
		{"inherited allow", inherited, me, false},
		{"another trustee's allow", obj(ntsd.AccessAllowedObject), other, false},
		{"OWNER RIGHTS allow (restricts the owner)", ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.MustSID("S-1-3-4")}, ntsd.MustSID("S-1-3-4"), false},
		{"Everyone allow", ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.Everyone}, ntsd.Everyone, false},
	} {
		if got := StaleACERemovable(tc.ace, tc.trustee); got != tc.want {
			t.Errorf("%s: removable %v, want %v", tc.name, got, tc.want)
		}
	}
}
