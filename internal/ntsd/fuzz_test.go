package ntsd

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParse checks the promises of the package on arbitrary bytes: no
// panic; every accepted descriptor marshals back to exactly its bytes and
// re-parses; SDDL and CanWriteProperty do not panic; Insert of a new ACE
// and Remove of it give the original bytes back.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hex")
	for _, p := range files {
		f.Add(readHex(f, p))
	}
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if got := sd.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("Marshal not byte-exact: %s", firstDiff(got, b))
		}
		re, err := Parse(sd.Marshal())
		if err != nil {
			t.Fatalf("Parse(Marshal()) failed: %v", err)
		}
		if !bytes.Equal(re.Marshal(), b) {
			t.Fatal("Parse(Marshal()).Marshal() differs")
		}
		_ = sd.SDDL(nil)
		_ = sd.SDDL(domainHint(sd))
		sids := []SID{Everyone, AuthenticatedUsers}
		if sd.DACL != nil {
			for _, a := range sd.DACL.ACEs {
				sids = append(sids, a.SID)
			}
		}
		_ = CanWriteProperty(sd, sids, keyCredentialLink, publicInformation)
		_ = CheckWriteProperty(sd, WriteCheck{SIDs: sids, Attribute: proxyAddresses, Class: userClass, Self: Everyone})

		probe := NewObjectAllow(RightWriteProperty, keyCredentialLink, MustSID("S-1-5-21-4000000001-4000000002-4000000003-77777"))
		for _, acl := range []*ACL{sd.DACL, sd.SACL} {
			if acl == nil {
				continue
			}
			if acl.Insert(probe) < 0 {
				continue
			}
			changed := sd.Marshal()
			if _, err := Parse(changed); err != nil {
				t.Fatalf("descriptor with an inserted ACE does not parse: %v", err)
			}
			if !acl.Remove(probe) {
				t.Fatal("Remove did not find the inserted ACE")
			}
			if got := sd.Marshal(); !bytes.Equal(got, b) {
				t.Fatalf("Insert+Remove not byte-exact: %s", firstDiff(got, b))
			}
		}
	})
}

// FuzzInsertRemove drives Insert/Remove with arbitrary ACE fields on the
// WS2022 descriptor: the result must re-parse with the ACE where Insert put
// it, evaluate and render without panics, and Remove must restore the bytes.
func FuzzInsertRemove(f *testing.F) {
	f.Add(byte(AccessAllowedObject), byte(0), RightWriteProperty, ObjectTypePresent, uint32(1109), []byte(nil))
	f.Add(byte(AccessDenied), byte(Inherited), GenericAll, uint32(0), uint32(512), []byte{1, 2})
	f.Add(byte(0x42), byte(InheritOnly), uint32(0), uint32(3), uint32(0), []byte{})
	raw := readHex(f, "testdata/ws2022-adminsdholder.hex")
	f.Fuzz(func(t *testing.T, typ, flags byte, mask, objFlags, rid uint32, guid []byte) {
		sd, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		a := ACE{Type: typ, Flags: flags, Mask: mask, ObjectFlags: objFlags, SID: testDomainSID.WithRID(rid)}
		copy(a.ObjectType[:], guid)
		copy(a.InheritedObjectType[:], guid)
		idx := sd.DACL.Insert(a)
		if idx < 0 {
			t.Fatal("Insert refused a small ACE")
		}
		changed := sd.Marshal()
		re, err := Parse(changed)
		if err != nil {
			t.Fatalf("inserted %x: %v", a.Bytes(), err)
		}
		if !re.DACL.ACEs[idx].Equal(a) {
			t.Fatalf("re-parsed ACE %x, inserted %x", re.DACL.ACEs[idx].Bytes(), a.Bytes())
		}
		_ = re.SDDL(&testDomainSID)
		_ = CanWriteProperty(re, []SID{a.SID}, keyCredentialLink, publicInformation)
		if !sd.DACL.Remove(a) {
			t.Fatal("Remove found nothing")
		}
		if got := sd.Marshal(); !bytes.Equal(got, raw) {
			t.Fatalf("not restored: %s", firstDiff(got, raw))
		}
	})
}
