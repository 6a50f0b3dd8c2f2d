package ntsd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// sdBytes assembles a descriptor: header with the given control and offsets,
// then body appended at offset 20.
func sdBytes(control uint16, owner, group, sacl, dacl uint32, body ...[]byte) []byte {
	b := []byte{1, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[2:], control)
	for _, o := range []uint32{owner, group, sacl, dacl} {
		b = binary.LittleEndian.AppendUint32(b, o)
	}
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

func TestParseErrors(t *testing.T) {
	okACL := []byte{4, 0, 8, 0, 0, 0, 0, 0}
	everyoneWP := []byte{0, 0, 20, 0, 0x20, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}
	aclWith := func(size, count uint16, aces ...[]byte) []byte {
		b := []byte{4, 0, 0, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint16(b[2:], size)
		binary.LittleEndian.PutUint16(b[4:], count)
		for _, a := range aces {
			b = append(b, a...)
		}
		return b
	}
	tests := []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "needs a 20-byte header, have 0 bytes"},
		{"short header", make([]byte, 19), "needs a 20-byte header"},
		{"revision 0", make([]byte, 20), "revision is 0, want 1"},
		{"not self-relative", sdBytes(0x0004, 0, 0, 0, 20, okACL), "lacks SE_SELF_RELATIVE"},
		{"DACL offset inside header", sdBytes(0x8004, 0, 0, 0, 8, okACL), "DACL offset 8 is outside"},
		{"DACL offset past end", sdBytes(0x8004, 0, 0, 0, 28, okACL), "DACL offset 28 is outside"},
		{"huge offset", sdBytes(0x8004, 0, 0, 0, 0xFFFFFFFF, okACL), "DACL offset 4294967295 is outside"},
		{"owner SID cut", sdBytes(0x8000, 20, 0, 0, 0, []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0}), "owner SID at offset 20: SID with 5 sub-authorities needs 28 bytes, have 12"},
		{"group garbage", sdBytes(0x8000, 0, 20, 0, 0, []byte{7, 7, 7, 7, 7, 7, 7, 7}), "group SID at offset 20: SID revision is 7"},
		{"ACL header cut", sdBytes(0x8004, 0, 0, 0, 20, []byte{4, 0, 8, 0}), "DACL at offset 20: ACL header needs 8 bytes, only 4 remain"},
		{"ACL revision", sdBytes(0x8004, 0, 0, 0, 20, []byte{9, 0, 8, 0, 0, 0, 0, 0}), "ACL revision 9 is not 2, 3 or 4"},
		{"AclSize too small", sdBytes(0x8004, 0, 0, 0, 20, []byte{4, 0, 4, 0, 0, 0, 0, 0}), "AclSize 4 is smaller"},
		{"AclSize past end", sdBytes(0x8010, 0, 0, 20, 0, []byte{4, 0, 200, 0, 0, 0, 0, 0}), "SACL at offset 20: AclSize 200 but only 8 bytes remain"},
		{"too many ACEs", sdBytes(0x8004, 0, 0, 0, 20, aclWith(28, 6, everyoneWP)), "6 ACEs cannot fit in AclSize 28"},
		{"ACE size past ACL", sdBytes(0x8004, 0, 0, 0, 20, aclWith(28, 1, append([]byte{0, 0, 200, 0}, everyoneWP[4:]...))),
			"DACL at offset 20: ACE 0 at offset 28 claims size 200 but only 20 bytes remain in the ACL"},
		{"ACE size below header", sdBytes(0x8004, 0, 0, 0, 20, aclWith(28, 1, append([]byte{0, 0, 2, 0}, everyoneWP[4:]...))), "claims size 2, smaller than its 4-byte header"},
		{"second ACE missing", sdBytes(0x8004, 0, 0, 0, 20, aclWith(32, 2, everyoneWP, []byte{0, 0, 4, 0})),
			"DACL at offset 20: ACE 1 at offset 48 (type 0x00, size 4): access mask needs 4 bytes at offset 52 but only 0 remain in the ACE"},
		{"ACE SID bad", sdBytes(0x8004, 0, 0, 0, 20, aclWith(28, 1, append(everyoneWP[:8:8], 1, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0))),
			"DACL at offset 20: ACE 0 at offset 28 (type 0x00, size 20): trustee at offset 36: SID with 9 sub-authorities needs 44 bytes, have 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd, err := Parse(tt.b)
			if err == nil {
				t.Fatalf("Parse accepted it: %s", sd.SDDL(nil))
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error does not wrap ErrMalformed: %v", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "ntsd: ") || strings.Count(err.Error(), "ntsd:") != 1 {
				t.Errorf("error should read as one sentence with one prefix: %q", err)
			}
		})
	}
}

// After a change, Marshal keeps part order, gaps and trailing bytes and only
// moves offsets.
func TestMarshalKeepsLayoutAfterChange(t *testing.T) {
	orig := readHex(t, "testdata/odd-layout.hex")
	sd, err := Parse(orig)
	if err != nil {
		t.Fatal(err)
	}
	x := NewObjectAllow(RightWriteProperty, keyCredentialLink, MustSID(msol))
	if i := sd.DACL.Insert(x); i != 4 {
		t.Fatalf("Insert = %d, want 4 (after the last explicit ACE)", i)
	}
	got := sd.Marshal()
	off := func(b []byte, part int) int { return int(binary.LittleEndian.Uint32(b[4+4*part:])) }
	if len(got) != len(orig)+56 {
		t.Fatalf("length %d, want %d", len(got), len(orig)+56)
	}
	// Header up to the DACL is untouched except for the moved offsets.
	if !bytes.Equal(got[20:40], orig[20:40]) {
		t.Errorf("gap or group moved: %x", got[20:40])
	}
	if off(got, partGroup) != 24 || off(got, partDACL) != 40 {
		t.Errorf("group at %d, DACL at %d", off(got, partGroup), off(got, partDACL))
	}
	if off(got, partSACL) != off(orig, partSACL)+56 || off(got, partOwner) != off(orig, partOwner)+56 {
		t.Errorf("SACL/owner offsets did not move by 56: %d %d", off(got, partSACL), off(got, partOwner))
	}
	// The 2-byte gap, the SACL, the owner and the trailer are byte-identical.
	so := off(orig, partSACL) - 2
	if !bytes.Equal(got[so+56:], orig[so:]) {
		t.Error("bytes after the DACL changed")
	}
	// DACL slack is still at the end of the DACL.
	dEnd := 40 + int(binary.LittleEndian.Uint16(got[42:]))
	if !bytes.Equal(got[dEnd-8:dEnd], make([]byte, 8)) || !bytes.Equal(got[dEnd-8-56:dEnd-8], x.Bytes()) {
		t.Error("new ACE or slack misplaced")
	}
	// The unknown ACE types kept their bytes.
	re, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if re.DACL.ACEs[0].Known() || !bytes.Equal(re.DACL.ACEs[0].Bytes(), sd.DACL.ACEs[0].Bytes()) {
		t.Error("opaque ACE changed")
	}
}

func TestMarshalPartChanges(t *testing.T) {
	orig := readHex(t, "testdata/dacl-only.hex")
	t.Run("add owner appends it", func(t *testing.T) {
		sd, _ := Parse(orig)
		da := testDomainSID.WithRID(512)
		sd.Owner = &da
		got := sd.Marshal()
		if !bytes.Equal(got[20:len(orig)], orig[20:]) || binary.LittleEndian.Uint32(got[4:]) != uint32(len(orig)) {
			t.Errorf("owner not appended after the DACL: %x", got)
		}
		re, err := Parse(got)
		if err != nil || !re.Owner.Equal(da) {
			t.Errorf("re-parse: %v", err)
		}
	})
	t.Run("drop DACL", func(t *testing.T) {
		sd, _ := Parse(orig)
		sd.DACL = nil
		sd.Control &^= ControlDACLPresent
		got := sd.Marshal()
		if len(got) != 20 || binary.LittleEndian.Uint32(got[16:]) != 0 {
			t.Errorf("got %x", got)
		}
	})
	t.Run("control change only", func(t *testing.T) {
		sd, _ := Parse(orig)
		sd.Control |= ControlDACLProtected
		got := sd.Marshal()
		if binary.LittleEndian.Uint16(got[2:]) != 0x9404 || !bytes.Equal(got[4:], orig[4:]) {
			t.Errorf("got %x", got)
		}
	})
	t.Run("edit SID in place", func(t *testing.T) {
		sd, _ := Parse(readHex(t, "testdata/ws2022-adminsdholder.hex"))
		sd.Owner.Sub[len(sd.Owner.Sub)-1] = 500
		got := sd.Marshal()
		re, err := Parse(got)
		if err != nil || re.Owner.String() != testDomain+"-500" || len(got) != len(sd.orig) {
			t.Errorf("re-parse: %v %v", err, re.Owner)
		}
	})
}

// Owner and group sharing one SID is legal; unchanged it round-trips, and a
// change falls back to Windows' layout.
func TestMarshalOverlappingParts(t *testing.T) {
	ba := BuiltinAdministrators.Bytes()
	b := sdBytes(0x8004, 20, 20, 0, 36, ba, []byte{2, 0, 8, 0, 0, 0, 0, 0})
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.Marshal(), b) {
		t.Error("unchanged overlapping descriptor not byte-exact")
	}
	sd.DACL.Insert(ACE{Type: AccessAllowed, Mask: RightReadProperty, SID: Everyone})
	got := sd.Marshal()
	want := sdBytes(0x8004, 48, 64, 0, 20, []byte{2, 0, 28, 0, 1, 0, 0, 0}, []byte{0, 0, 20, 0, 0x10, 0, 0, 0}, Everyone.Bytes(), ba, ba)
	if !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
}

func TestMarshalHandBuilt(t *testing.T) {
	sy, da := LocalSystem, testDomainSID.WithRID(512)
	sd := &SecurityDescriptor{
		Revision: 1,
		Control:  ControlSelfRelative | ControlDACLPresent | ControlSACLPresent,
		Owner:    &da, Group: &sy,
		DACL: &ACL{Revision: 2, ACEs: []ACE{{Type: AccessAllowed, Mask: RightReadProperty, SID: Everyone}}},
		SACL: &ACL{Revision: 2},
	}
	got := sd.Marshal()
	re, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	// Windows layout: SACL, DACL, owner, group.
	if o := re.parts; o[partSACL].off != 20 || o[partDACL].off != 28 || o[partOwner].off != 56 || o[partGroup].off != 84 {
		t.Errorf("layout %+v", o)
	}
	if s := re.SDDL(&testDomainSID); s != "O:DAG:SYD:(A;;RP;;;WD)S:" {
		t.Errorf("SDDL %s", s)
	}
}
