package detect

import (
	"math/rand"
	"testing"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// TestAccessModelsAgree (issue 13 item 7): over random DACLs (allow/deny,
// object/non-object, inherit-only, inherited object types, property sets,
// grants to groups of the account's tokenGroups), remediate's question
// (HolderGrants, from the verdict) gets the evaluator's answer as detect
// asks it (the snapshot's account), and every ACE IneffectiveGrants names
// would decide the write for the account if it applied.
func TestAccessModelsAgree(t *testing.T) {
	dom := ntsd.MustSID("S-1-5-21-1-2-3")
	acct := &ad.Account{Found: true, SID: dom.WithRID(1109), Groups: []ntsd.SID{dom.WithRID(513), dom.WithRID(1160), dom.WithRID(1161)}}
	attr, ps := ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"), ntsd.MustGUID("9b026da6-0d3c-465c-8bee-5199d7165cba")
	other, user := ntsd.MustGUID("bf967950-0de6-11d0-a285-00aa003049e2"), ntsd.MustGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	psText := ps.String()
	v := &schema.Verdict{Directory: schema.Directory{
		ConnectorAccounts: []schema.ConnectorAccount{{Connector: "c", Account: `D\u`, Found: true, SID: acct.SID.String(), Groups: []string{dom.WithRID(513).String(), dom.WithRID(1160).String(), dom.WithRID(1161).String()}}},
		Attributes:        []schema.AttributeInfo{{Name: "msDS-KeyCredentialLink", Found: true, SchemaIDGUID: attr.String(), PropertySet: &psText}},
	}}
	q := ntsd.WriteCheck{SIDs: acct.SIDs(), Attribute: attr, PropertySet: ps}
	trustees := []ntsd.SID{acct.SID, dom.WithRID(1160), dom.WithRID(1161), dom.WithRID(1300), ntsd.Everyone, ntsd.AuthenticatedUsers}
	objects := []ntsd.GUID{attr, ps, other, {}}
	rng := rand.New(rand.NewSource(13))
	allowed, ineffective := 0, 0
	for i := 0; i < 5000; i++ {
		var aces []ntsd.ACE
		for n := rng.Intn(6); n > 0; n-- {
			a := ntsd.ACE{SID: trustees[rng.Intn(len(trustees))], Mask: []uint32{ntsd.RightWriteProperty, ntsd.RightReadProperty, ntsd.RightReadProperty | ntsd.RightWriteProperty, ntsd.GenericWrite}[rng.Intn(4)]}
			deny := rng.Intn(4) == 0
			if rng.Intn(3) > 0 {
				a.Type = map[bool]byte{false: ntsd.AccessAllowedObject, true: ntsd.AccessDeniedObject}[deny]
				if g := objects[rng.Intn(len(objects))]; !g.IsZero() {
					a.ObjectFlags, a.ObjectType = ntsd.ObjectTypePresent, g
				}
				if rng.Intn(2) == 0 {
					a.ObjectFlags |= ntsd.InheritedObjectTypePresent
					a.InheritedObjectType = []ntsd.GUID{user, other}[rng.Intn(2)]
				}
			} else {
				a.Type = map[bool]byte{false: ntsd.AccessAllowed, true: ntsd.AccessDenied}[deny]
			}
			a.Flags = []byte{0, ntsd.ContainerInherit, ntsd.ContainerInherit | ntsd.InheritOnly, ntsd.Inherited}[rng.Intn(4)]
			aces = append(aces, a)
		}
		sd := &ntsd.SecurityDescriptor{Revision: 1, Control: ntsd.ControlSelfRelative | ntsd.ControlDACLPresent, DACL: &ntsd.ACL{Revision: 4, ACEs: aces}}
		want := ntsd.CheckWriteProperty(sd, q)
		got, err := HolderGrants(v, "c", "msDS-KeyCredentialLink", sd)
		if err != nil || got.Allowed != want.Allowed || got.ACE != want.ACE {
			t.Fatalf("case %d %s: remediate's question %+v (%v), detect's %+v", i, sd.SDDL(nil), got, err, want)
		}
		if want.Allowed {
			allowed++
		}
		for _, in := range ntsd.IneffectiveGrants(sd, q) {
			ineffective++
			a := sd.DACL.ACEs[in.ACE]
			a.Flags &^= ntsd.InheritOnly
			if d := ntsd.CheckWriteProperty(&ntsd.SecurityDescriptor{Revision: 1, Control: sd.Control, DACL: &ntsd.ACL{Revision: 4, ACEs: []ntsd.ACE{a}}}, q); !d.Allowed {
				t.Fatalf("case %d: ACE %d %s is named ineffective (%s) but would not grant the write if it applied", i, in.ACE, a.SDDL(nil), in.Why)
			}
		}
	}
	if allowed < 500 || ineffective < 500 {
		t.Errorf("the generator asks too little: %d allowed, %d ineffective ACEs", allowed, ineffective)
	}
}
