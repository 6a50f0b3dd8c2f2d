package sambatest

import (
	"fmt"
	"testing"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
)

// TestSambaADSyncConfigHolderACE (issue 13 item 4): the ACE ADSyncConfig's
// -IncludeAdminSdHolders puts on AdminSDHolder, as the protection task
// copies it onto an admin (Read/Write Property on msDS-KeyCredentialLink,
// CIIO, for descendant user objects), on a protected-like object
// (adminCount=1, inheritance off): Samba refuses the write as a DC does
// with 8344, the evaluator agrees and names the ACE as ineffective; with
// the effective ACE added, the write succeeds and the evaluator agrees.
// For the account and for a group in its tokenGroups.
func TestSambaADSyncConfigHolderACE(t *testing.T) {
	d := needDC(t)
	ctx := bg(t, runTimeout)
	admin := d.dial(t, d.admin)
	tlsAdmin := d.raw(t, true)
	ou := d.newOU(t, tlsAdmin, "adsyncio")
	run := randHex(6)
	svcPass := password()
	svcAdd := userAdd(ou, "svc-"+run, svcPass)
	tgtAdd := userAdd(ou, "adm-"+run, "")
	tgtAdd.Attribute("adminCount", []string{"1"})
	grp := gl.NewAddRequest("CN=grp-"+run+","+ou, nil)
	grp.Attribute("objectClass", []string{"top", "group"})
	grp.Attribute("sAMAccountName", []string{"grp-" + run})
	grp.Attribute("member", []string{svcAdd.DN})
	for _, a := range []*gl.AddRequest{svcAdd, tgtAdd, grp} {
		if err := tlsAdmin.Add(a); err != nil {
			t.Fatalf("create %s: %v", a.DN, err)
		}
	}
	svc := d.dial(t, goldap.Options{BindDN: svcAdd.DN, Password: svcPass})
	w, sids := aclWorld(t, ctx, d, admin, svc, svcAdd.DN, grp.DN)
	q := ntsd.WriteCheck{SIDs: sids, Attribute: w.attr, PropertySet: w.propSet, Class: w.class}
	value := []byte("B:8:0102030A:" + tgtAdd.DN)
	base := dacl(w, aclCase{}).Marshal()
	for _, who := range []struct {
		name string
		sid  ntsd.SID
	}{{"account", w.account}, {"group", w.group}} {
		adsync := ntsd.ACE{Type: ntsd.AccessAllowedObject, Flags: ntsd.ContainerInherit | ntsd.InheritOnly,
			Mask: ntsd.RightReadProperty | ntsd.RightWriteProperty, ObjectFlags: ntsd.ObjectTypePresent | ntsd.InheritedObjectTypePresent,
			ObjectType: w.attr, InheritedObjectType: w.class, SID: who.sid}
		effective := ntsd.NewObjectAllow(ntsd.RightWriteProperty, w.attr, who.sid)
		for _, step := range []struct {
			name  string
			aces  []ntsd.ACE
			allow bool
		}{{"ineffective only", []ntsd.ACE{adsync}, false}, {"with the effective ACE", []ntsd.ACE{adsync, effective}, true}} {
			t.Run(fmt.Sprintf("%s/%s", who.name, step.name), func(t *testing.T) {
				sd := dacl(w, aclCase{})
				sd.DACL.ACEs = append(append([]ntsd.ACE{}, step.aces...), sd.DACL.ACEs...)
				if err := writeDACL(ctx, admin, tgtAdd.DN, sd.Marshal()); err != nil {
					t.Fatalf("write the DACL as Administrator: %v", err)
				}
				stored, err := readSD(ctx, admin, tgtAdd.DN)
				if err != nil {
					t.Fatal(err)
				}
				if stored.DACL.Index(adsync) < 0 {
					t.Fatalf("Samba did not store the CIIO ACE as written: %s", stored.SDDL(&d.domainSID))
				}
				dec := ntsd.CheckWriteProperty(stored, q)
				ok, err := tryWrite(ctx, svc, admin, tgtAdd.DN, value, base)
				if err != nil {
					t.Fatal(err)
				}
				if ok != step.allow || dec.Allowed != step.allow {
					t.Errorf("Samba %v, evaluator %v (%s), want %v", ok, dec.Allowed, dec.Reason, step.allow)
				}
				in := ntsd.IneffectiveGrants(stored, q)
				if len(in) != 1 || stored.DACL.ACEs[in[0].ACE].SDDL(nil) != adsync.SDDL(nil) || in[0].Why != ntsd.NotAppliedInheritOnly {
					t.Errorf("the CIIO ACE is not named as ineffective (inherit-only): %+v in %s", in, stored.SDDL(&d.domainSID))
				}
			})
		}
	}
}
