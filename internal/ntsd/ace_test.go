package ntsd

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestTargetACEBytes checks the ACE entra8344 adds against the layout in
// reference §3.2, field by field.
func TestTargetACEBytes(t *testing.T) {
	sid := MustSID("S-1-5-21-1004336348-1177238915-682003330-1109")
	a := NewObjectAllow(RightWriteProperty, keyCredentialLink, sid)
	b := a.Bytes()
	fields := []struct {
		name     string
		from, to int
		want     []byte
	}{
		{"AceType ACCESS_ALLOWED_OBJECT", 0, 1, []byte{0x05}},
		{"AceFlags", 1, 2, []byte{0x00}},
		{"AceSize 56", 2, 4, []byte{0x38, 0x00}},
		{"Mask WRITE_PROP", 4, 8, []byte{0x20, 0, 0, 0}},
		{"Flags ACE_OBJECT_TYPE_PRESENT", 8, 12, []byte{0x01, 0, 0, 0}},
		{"ObjectType", 12, 28, []byte{0x0f, 0xd6, 0x47, 0x5b, 0x90, 0x60, 0xb2, 0x40, 0x9f, 0x37, 0x2a, 0x4d, 0xe8, 0x8f, 0x30, 0x63}},
		{"SID revision, count", 28, 30, []byte{0x01, 0x05}},
		{"SID authority (big-endian 5)", 30, 36, []byte{0, 0, 0, 0, 0, 5}},
		{"SID sub 21", 36, 40, []byte{0x15, 0, 0, 0}},
		{"SID sub a", 40, 44, le32(1004336348)},
		{"SID sub b", 44, 48, le32(1177238915)},
		{"SID sub c", 48, 52, le32(682003330)},
		{"SID RID", 52, 56, le32(1109)},
	}
	if len(b) != 56 {
		t.Fatalf("ACE is %d bytes, want 56: %x", len(b), b)
	}
	for _, f := range fields {
		if got := b[f.from:f.to]; !bytes.Equal(got, f.want) {
			t.Errorf("%s: % x, want % x", f.name, got, f.want)
		}
	}
	if got, want := a.SDDL(nil), "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)"; got != want {
		t.Errorf("SDDL %s, want %s", got, want)
	}
	if !a.IsObject() || !a.IsAllow() || a.IsDeny() || a.IsInherited() || a.IsInheritOnly() || !a.Known() {
		t.Error("predicates of the target ACE are wrong")
	}
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func TestACEBytesKeepPaddingUntilChanged(t *testing.T) {
	// (A;;WP;;;WD) with 4 padding bytes after the SID.
	raw := []byte{0, 0, 24, 0, 0x20, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd}
	a, err := parseACE(raw, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), raw) {
		t.Errorf("unchanged ACE: %x", a.Bytes())
	}
	plain := ACE{Type: AccessAllowed, Mask: RightWriteProperty, SID: Everyone}
	if a.Equal(plain) {
		t.Error("an ACE with padding is not byte-equal to one without")
	}
	a.Mask = RightReadProperty
	want := []byte{0, 0, 20, 0, 0x10, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}
	if !bytes.Equal(a.Bytes(), want) {
		t.Errorf("changed ACE: %x, want fresh encoding %x", a.Bytes(), want)
	}
	a.Mask = RightWriteProperty // back to what was parsed: the raw bytes return
	if !bytes.Equal(a.Bytes(), raw) {
		t.Errorf("restored ACE: %x", a.Bytes())
	}
	a.Flags = ContainerInherit
	if got := a.Bytes(); got[1] != ContainerInherit || len(got) != 20 {
		t.Errorf("flag change: %x", got)
	}
}

func TestOpaqueACE(t *testing.T) {
	raw := []byte{0x42, 0x10, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	a, err := parseACE(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Known() || !a.IsInherited() || a.IsAllow() || a.IsDeny() || a.IsObject() {
		t.Errorf("predicates of opaque ACE: known %v", a.Known())
	}
	if !bytes.Equal(a.Bytes(), raw) {
		t.Errorf("Bytes %x", a.Bytes())
	}
	if got := a.SDDL(nil); got != "(0x42;ID;raw:0102030405060708)" {
		t.Errorf("SDDL %s", got)
	}
	a.Flags = 0
	if got := a.Bytes(); got[1] != 0 || !bytes.Equal(got[2:], raw[2:]) {
		t.Errorf("header edit of opaque ACE: %x", got)
	}
	// Callback object allow: known by name, still opaque.
	cb, err := parseACE([]byte{0x0b, 0, 8, 0, 0x20, 0, 0, 0}, 0)
	if err != nil || cb.Known() || !cb.IsAllow() || !cb.IsObject() {
		t.Errorf("callback ACE: %+v %v", cb, err)
	}
}

func TestParseACEErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		msg  string
	}{
		{"no mask", []byte{0, 0, 4, 0}, "access mask needs 4 bytes at offset 44"},
		{"no object flags", []byte{5, 0, 8, 0, 0x20, 0, 0, 0}, "object flags needs 4 bytes"},
		{"GUID cut", append([]byte{5, 0, 20, 0, 0x20, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 8)...), "object type GUID needs 16 bytes"},
		{"inherited GUID cut", append([]byte{5, 0, 20, 0, 0x20, 0, 0, 0, 2, 0, 0, 0}, make([]byte, 8)...), "inherited object type GUID needs 16 bytes"},
		{"SID cut", []byte{0, 0, 16, 0, 0x20, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1}, "trustee at offset 48: SID with 1 sub-authorities needs 12 bytes, have 8"},
		{"SID revision", []byte{0, 0, 20, 0, 0x20, 0, 0, 0, 9, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, "SID revision is 9"},
	}
	for _, tt := range tests {
		_, err := parseACE(tt.b, 40)
		if err == nil || !bytesContains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want mention of %q", tt.name, err, tt.msg)
		}
	}
}

func bytesContains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }
