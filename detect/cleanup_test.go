package detect

import (
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
