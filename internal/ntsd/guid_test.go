package ntsd

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestParseGUID(t *testing.T) {
	// reference §3.2: msDS-KeyCredentialLink schemaIDGUID as read from the
	// directory (base64 D9ZHW5BgskCfNypN6I8wYw==).
	packet, _ := base64.StdEncoding.DecodeString("D9ZHW5BgskCfNypN6I8wYw==")
	want := []byte{0x0f, 0xd6, 0x47, 0x5b, 0x90, 0x60, 0xb2, 0x40, 0x9f, 0x37, 0x2a, 0x4d, 0xe8, 0x8f, 0x30, 0x63}
	if !bytes.Equal(packet, want) {
		t.Fatalf("base64 sample decodes to %x", packet)
	}
	for _, in := range []string{
		"5b47d60f-6090-40b2-9f37-2a4de88f3063",
		"{5b47d60f-6090-40b2-9f37-2a4de88f3063}",
		"5B47D60F-6090-40B2-9F37-2A4DE88F3063",
	} {
		g, err := ParseGUID(in)
		if err != nil {
			t.Errorf("ParseGUID(%q): %v", in, err)
			continue
		}
		if !bytes.Equal(g[:], want) {
			t.Errorf("ParseGUID(%q) = % x, want % x", in, g[:], want)
		}
		if g.String() != "5b47d60f-6090-40b2-9f37-2a4de88f3063" {
			t.Errorf("String() = %s", g)
		}
	}
	g, err := GUIDFromBytes(packet)
	if err != nil || g != keyCredentialLink {
		t.Errorf("GUIDFromBytes = %s, %v", g, err)
	}
	for _, bad := range []string{"", "5b47d60f-6090-40b2-9f37-2a4de88f306", "5b47d60f-6090-40b2-9f37-2a4de88f30633",
		"5b47d60f6090-40b2-9f37-2a4de88f30633", "5b47d60g-6090-40b2-9f37-2a4de88f3063", "{5b47d60f-6090-40b2-9f37-2a4de88f3063",
		"5b47d60f-6090-40b2-9f37+2a4de88f3063"} {
		if _, err := ParseGUID(bad); err == nil {
			t.Errorf("ParseGUID(%q) accepted", bad)
		}
	}
	for _, n := range []int{0, 15, 17} {
		if _, err := GUIDFromBytes(make([]byte, n)); err == nil {
			t.Errorf("GUIDFromBytes(%d bytes) accepted", n)
		}
	}
	if !(GUID{}).IsZero() || keyCredentialLink.IsZero() {
		t.Error("IsZero")
	}
	if (GUID{}).String() != "00000000-0000-0000-0000-000000000000" {
		t.Errorf("zero GUID = %s", GUID{})
	}
}
