package ntsd

import (
	"bytes"
	"testing"
)

const (
	msol    = testDomain + "-1109" // the connector account in table tests
	aceMSOL = "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;" + msol + ")"
)

func TestInsertPosition(t *testing.T) {
	x := NewObjectAllow(RightWriteProperty, keyCredentialLink, MustSID(msol))
	deny := ACE{Type: AccessDeniedObject, Mask: RightWriteProperty, ObjectFlags: ObjectTypePresent, ObjectType: keyCredentialLink, SID: MustSID(msol)}
	inherited := ACE{Type: AccessAllowed, Flags: Inherited | ContainerInherit, Mask: RightReadProperty, SID: MustSID(msol)}
	audit := ACE{Type: SystemAudit, Flags: SuccessfulAccess, Mask: RightWriteProperty, SID: MustSID(msol)}
	tests := []struct {
		name string
		dacl string // SDDL of the DACL
		ace  ACE
		want int
	}{
		{"empty DACL, allow", "D:", x, 0},
		{"empty DACL, deny", "D:", deny, 0},
		{"empty DACL, inherited", "D:", inherited, 0},
		{"deny+allows, allow goes last", "D:(D;;WP;;;AN)(A;;RP;;;AU)(A;;RP;;;BA)", x, 3},
		{"before the first inherited", "D:(D;;WP;;;AN)(A;;RP;;;AU)(A;CIID;RP;;;BA)", x, 2},
		{"deny after the last deny", "D:(D;;WP;;;AN)(D;;WP;;;BU)(A;;RP;;;AU)(A;CIID;RP;;;BA)", deny, 2},
		{"deny with no deny present goes first", "D:(A;;RP;;;AU)(A;CIID;RP;;;BA)", deny, 0},
		{"only inherited ACEs, allow first", "D:(A;CIID;RP;;;AU)(A;CIID;RP;;;BA)", x, 0},
		{"only inherited ACEs, deny first", "D:(A;CIID;RP;;;AU)(D;CIID;RP;;;BA)", deny, 0},
		{"inherited ACE goes to the end", "D:(D;;WP;;;AN)(A;;RP;;;AU)(A;CIID;RP;;;BA)", inherited, 3},
		{"non-canonical: allow stays behind a later explicit deny", "D:(A;;RP;;;AU)(D;;WP;;;AN)(A;CIID;RP;;;BA)", x, 2},
		{"non-canonical: deny after the last explicit deny", "D:(A;;RP;;;AU)(D;;WP;;;AN)(A;;RP;;;BA)", deny, 2},
		{"non-canonical: explicit after inherited", "D:(A;CIID;RP;;;BA)(A;;RP;;;AU)", x, 2},
		{"revision 2 DACL", "D:(D;;WP;;;AN)(A;;RP;;;AU)(A;CIID;RP;;;BA)", x, 2},
		{"WS2022 AdminSDHolder: after the 23 explicit ACEs", ws2022SDDL[len("O:DAG:DA"):], x, 23},
		{"audit ACE in a SACL-like list", "D:(A;;RP;;;AU)(A;CIID;RP;;;BA)", audit, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := mustSD(t, tt.dacl)
			if got := sd.DACL.Insert(tt.ace); got != tt.want {
				t.Fatalf("Insert = %d, want %d; DACL now %s", got, tt.want, sd.SDDL(nil))
			}
			if !sd.DACL.ACEs[tt.want].Equal(tt.ace) {
				t.Errorf("ACE at %d is %s", tt.want, sd.DACL.ACEs[tt.want].SDDL(nil))
			}
			if tt.ace.IsObject() && sd.DACL.Revision != ACLRevisionDS {
				t.Errorf("object ACE inserted, revision still %d", sd.DACL.Revision)
			}
		})
	}
}

func TestRemoveExactOnly(t *testing.T) {
	sid := MustSID(msol)
	x := NewObjectAllow(RightWriteProperty, keyCredentialLink, sid)
	near := map[string]ACE{
		"other mask":                 NewObjectAllow(RightWriteProperty|RightReadProperty, keyCredentialLink, sid),
		"other GUID":                 NewObjectAllow(RightWriteProperty, consistencyGUID, sid),
		"other SID":                  NewObjectAllow(RightWriteProperty, keyCredentialLink, testDomainSID.WithRID(1110)),
		"other flags":                {Type: AccessAllowedObject, Flags: ContainerInherit, Mask: RightWriteProperty, ObjectFlags: ObjectTypePresent, ObjectType: keyCredentialLink, SID: sid},
		"deny type":                  {Type: AccessDeniedObject, Mask: RightWriteProperty, ObjectFlags: ObjectTypePresent, ObjectType: keyCredentialLink, SID: sid},
		"non-object":                 {Type: AccessAllowed, Mask: RightWriteProperty, SID: sid},
		"with inherited object type": {Type: AccessAllowedObject, Mask: RightWriteProperty, ObjectFlags: ObjectTypePresent | InheritedObjectTypePresent, ObjectType: keyCredentialLink, InheritedObjectType: userClass, SID: sid},
	}
	sd := mustSD(t, ws2022SDDL)
	sd.DACL.Insert(x)
	withX := sd.Marshal()
	for name, a := range near {
		if sd.DACL.Index(a) >= 0 {
			t.Errorf("%s: Index found a near-equal ACE", name)
		}
		if sd.DACL.Remove(a) {
			t.Errorf("%s: Remove removed a near-equal ACE", name)
		}
		if !bytes.Equal(sd.Marshal(), withX) {
			t.Fatalf("%s: failed Remove changed the descriptor", name)
		}
	}
	if i := sd.DACL.Index(x); i != 23 {
		t.Errorf("Index(x) = %d, want 23", i)
	}
	if !sd.DACL.Remove(x) || sd.DACL.Index(x) != -1 || sd.DACL.Remove(x) {
		t.Error("exact ACE: Remove should succeed once")
	}
}

// An equal ACE already present: Remove takes the copy Insert added, so the
// bytes come back exactly.
func TestInsertRemoveWithDuplicate(t *testing.T) {
	sd := mustSD(t, "D:"+aceMSOL+"(D;;WP;;;AN)(A;;RP;;;AU)(A;CIID;RP;;;BA)")
	orig := sd.Marshal()
	x := sd.DACL.ACEs[0]
	if got := sd.DACL.Insert(x); got != 3 {
		t.Fatalf("Insert = %d", got)
	}
	if sd.DACL.Index(x) != 0 {
		t.Error("Index should report the first copy")
	}
	sd.DACL.Remove(x)
	if got := sd.Marshal(); !bytes.Equal(got, orig) {
		t.Errorf("not restored: %s", firstDiff(got, orig))
	}
}

func TestInsertRaisesAndRemoveRestoresRevision(t *testing.T) {
	sd := mustSD(t, "D:(D;;WP;;;AN)(A;;RP;;;AU)")
	orig := sd.Marshal()
	if sd.DACL.Revision != ACLRevision {
		t.Fatalf("revision %d, want 2", sd.DACL.Revision)
	}
	x := NewObjectAllow(RightWriteProperty, keyCredentialLink, MustSID(msol))
	y := NewObjectAllow(RightWriteProperty, consistencyGUID, MustSID(msol))
	sd.DACL.Insert(x)
	sd.DACL.Insert(y)
	if b := sd.Marshal(); b[20] != 4 {
		t.Errorf("marshalled ACL revision %d, want 4", b[20])
	}
	sd.DACL.Remove(x)
	if sd.DACL.Revision != 4 {
		t.Error("revision lowered while an object ACE remains")
	}
	sd.DACL.Remove(y)
	if got := sd.Marshal(); !bytes.Equal(got, orig) {
		t.Errorf("not restored: %s", firstDiff(got, orig))
	}
	// A non-object ACE never changes the revision.
	sd.DACL.Insert(ACE{Type: AccessAllowed, Mask: RightReadProperty, SID: Everyone})
	if sd.DACL.Revision != ACLRevision {
		t.Error("non-object ACE raised the revision")
	}
}

func TestInsertRefusesOversizedACL(t *testing.T) {
	x := NewObjectAllow(RightWriteProperty, keyCredentialLink, MustSID(msol))
	l := &ACL{Revision: 4}
	for l.Len()+56 <= maxACLSize {
		l.ACEs = append(l.ACEs, x)
	}
	before := l.Bytes()
	if got := l.Insert(x); got != -1 {
		t.Fatalf("Insert into a full ACL = %d, want -1", got)
	}
	if !bytes.Equal(l.Bytes(), before) {
		t.Error("refused Insert changed the ACL")
	}
}
