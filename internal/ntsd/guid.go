package ntsd

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// GUID is a GUID in MS-DTYP 2.3.4.2 packet representation: Data1 (uint32),
// Data2 and Data3 (uint16) little-endian, Data4 as is. That is how AD
// stores schemaIDGUID and how object ACEs carry ObjectType, so bytes read
// from the directory compare directly with GUIDs in ACEs.
type GUID [16]byte

// ParseGUID parses the canonical text form
// "5b47d60f-6090-40b2-9f37-2a4de88f3063", with or without braces, in either
// case.
func ParseGUID(s string) (GUID, error) {
	t := s
	if len(t) == 38 && t[0] == '{' && t[37] == '}' {
		t = t[1:37]
	}
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return GUID{}, fmt.Errorf("ntsd: %q is not a GUID (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	}
	raw, err := hex.DecodeString(t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:36])
	if err != nil {
		return GUID{}, fmt.Errorf("ntsd: %q is not a GUID: %v", s, err)
	}
	// raw is in text (big-endian) order; the first three fields are swapped
	// to get the packet order.
	var g GUID
	binary.LittleEndian.PutUint32(g[0:], binary.BigEndian.Uint32(raw[0:]))
	binary.LittleEndian.PutUint16(g[4:], binary.BigEndian.Uint16(raw[4:]))
	binary.LittleEndian.PutUint16(g[6:], binary.BigEndian.Uint16(raw[6:]))
	copy(g[8:], raw[8:])
	return g, nil
}

// GUIDFromBytes takes exactly 16 bytes in packet order, as read from an
// attribute such as schemaIDGUID or objectGUID.
func GUIDFromBytes(b []byte) (GUID, error) {
	var g GUID
	if len(b) != len(g) {
		return g, malformed("GUID needs exactly 16 bytes, have %d", len(b))
	}
	copy(g[:], b)
	return g, nil
}

// MustGUID is ParseGUID that panics; for tests and package constants.
func MustGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// String renders the canonical lower-case text form without braces, as
// Windows prints GUIDs in SDDL.
func (g GUID) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(g[0:]),
		binary.LittleEndian.Uint16(g[4:]),
		binary.LittleEndian.Uint16(g[6:]),
		g[8:10], g[10:16])
	return sb.String()
}

// IsZero reports whether g is the all-zero GUID.
func (g GUID) IsZero() bool { return g == GUID{} }
