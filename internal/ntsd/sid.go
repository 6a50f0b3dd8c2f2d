package ntsd

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// maxSubAuthorities is SID_MAX_SUB_AUTHORITIES (MS-DTYP 2.4.2.2): Windows
// rejects longer SIDs, so anything longer is garbage, not a SID.
const maxSubAuthorities = 15

// SID is a security identifier (MS-DTYP 2.4.2.2).
type SID struct {
	Revision  byte
	Authority [6]byte // IdentifierAuthority, big-endian 48-bit
	Sub       []uint32
}

// Well-known SIDs (MS-DTYP 2.4.2.4). Treat them as constants: the Sub slices
// are shared.
var (
	Everyone                    = MustSID("S-1-1-0")
	CreatorOwner                = MustSID("S-1-3-0")
	EnterpriseDomainControllers = MustSID("S-1-5-9")
	PrincipalSelf               = MustSID("S-1-5-10")
	AuthenticatedUsers          = MustSID("S-1-5-11")
	LocalSystem                 = MustSID("S-1-5-18")
	BuiltinAdministrators       = MustSID("S-1-5-32-544")
	BuiltinPreWindows2000       = MustSID("S-1-5-32-554")
)

// ParseSID decodes a binary SID from the start of b and reports how many
// bytes it used; bytes after the SID are ignored.
func ParseSID(b []byte) (SID, int, error) {
	if len(b) < 8 {
		return SID{}, 0, malformed("SID needs at least 8 bytes, have %d", len(b))
	}
	if b[0] != 1 {
		return SID{}, 0, malformed("SID revision is %d, want 1", b[0])
	}
	n := int(b[1])
	if n > maxSubAuthorities {
		return SID{}, 0, malformed("SID claims %d sub-authorities, at most %d allowed", n, maxSubAuthorities)
	}
	size := 8 + 4*n
	if len(b) < size {
		return SID{}, 0, malformed("SID with %d sub-authorities needs %d bytes, have %d", n, size, len(b))
	}
	s := SID{Revision: b[0], Sub: make([]uint32, n)}
	copy(s.Authority[:], b[2:8])
	for i := range s.Sub {
		s.Sub[i] = binary.LittleEndian.Uint32(b[8+4*i:])
	}
	return s, size, nil
}

// ParseSIDString parses the string form "S-1-5-21-1-2-3-500" (MS-DTYP
// 2.4.2.1). The authority may also be written "0x" plus up to 12 hex digits,
// and, as Windows accepts, sub-authorities may be written in 0x hex.
func ParseSIDString(s string) (SID, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || (parts[0] != "S" && parts[0] != "s") {
		return SID{}, fmt.Errorf("ntsd: %q is not a SID string (want S-1-<authority>-<sub>...)", s)
	}
	if parts[1] != "1" {
		return SID{}, fmt.Errorf("ntsd: SID %q: revision must be 1", s)
	}
	auth, err := parseSIDNumber(parts[2], 48)
	if err != nil {
		return SID{}, fmt.Errorf("ntsd: SID %q: identifier authority: %v", s, err)
	}
	subs := parts[3:]
	if len(subs) > maxSubAuthorities {
		return SID{}, fmt.Errorf("ntsd: SID %q has %d sub-authorities, at most %d allowed", s, len(subs), maxSubAuthorities)
	}
	out := SID{Revision: 1, Sub: make([]uint32, len(subs))}
	for i := range out.Authority {
		out.Authority[i] = byte(auth >> (8 * (5 - i)))
	}
	for i, p := range subs {
		v, err := parseSIDNumber(p, 32)
		if err != nil {
			return SID{}, fmt.Errorf("ntsd: SID %q: sub-authority %d: %v", s, i+1, err)
		}
		out.Sub[i] = uint32(v)
	}
	return out, nil
}

// parseSIDNumber accepts plain decimal digits or 0x/0X plus hex digits;
// no signs, no spaces, nothing empty.
func parseSIDNumber(p string, bits int) (uint64, error) {
	digits, base := p, 10
	if len(p) > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
		digits, base = p[2:], 16
	}
	if digits == "" {
		return 0, fmt.Errorf("empty number")
	}
	for _, c := range digits {
		ok := c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
		if !ok {
			return 0, fmt.Errorf("%q is not a number", p)
		}
	}
	v, err := strconv.ParseUint(digits, base, bits)
	if err != nil {
		return 0, fmt.Errorf("%q does not fit in %d bits", p, bits)
	}
	return v, nil
}

// MustSID is ParseSIDString that panics; for tests and package constants.
func MustSID(s string) SID {
	sid, err := ParseSIDString(s)
	if err != nil {
		panic(err)
	}
	return sid
}

// authority returns the identifier authority as a number.
func (s SID) authority() uint64 {
	var v uint64
	for _, b := range s.Authority {
		v = v<<8 | uint64(b)
	}
	return v
}

// String renders the SID as MS-DTYP 2.4.2.1 does: the authority in decimal
// when it fits in 32 bits, else as 0x and 12 upper-case hex digits.
func (s SID) String() string {
	var sb strings.Builder
	sb.WriteString("S-")
	sb.WriteString(strconv.Itoa(int(s.Revision)))
	sb.WriteByte('-')
	if a := s.authority(); a>>32 == 0 {
		sb.WriteString(strconv.FormatUint(a, 10))
	} else {
		fmt.Fprintf(&sb, "0x%012X", a)
	}
	for _, v := range s.Sub {
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return sb.String()
}

// Bytes encodes the SID in its binary form (8 + 4*len(Sub) bytes). A SID
// built by hand with more than 255 sub-authorities cannot be encoded; the
// extra ones are dropped.
func (s SID) Bytes() []byte {
	return s.appendTo(nil)
}

func (s SID) appendTo(b []byte) []byte {
	subs := s.Sub
	if len(subs) > 255 {
		subs = subs[:255]
	}
	b = append(b, s.Revision, byte(len(subs)))
	b = append(b, s.Authority[:]...)
	for _, v := range subs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// size is the encoded length of the SID.
func (s SID) size() int { return 8 + 4*min(len(s.Sub), 255) }

// Equal reports whether both SIDs are the same identifier.
func (s SID) Equal(o SID) bool {
	if s.Revision != o.Revision || s.Authority != o.Authority || len(s.Sub) != len(o.Sub) {
		return false
	}
	for i := range s.Sub {
		if s.Sub[i] != o.Sub[i] {
			return false
		}
	}
	return true
}

// IsZero reports whether s is the zero value (no SID at all).
func (s SID) IsZero() bool {
	return s.Revision == 0 && s.Authority == [6]byte{} && len(s.Sub) == 0
}

// RID returns the last sub-authority (the relative identifier of an account).
func (s SID) RID() (uint32, bool) {
	if len(s.Sub) == 0 {
		return 0, false
	}
	return s.Sub[len(s.Sub)-1], true
}

// Domain returns the SID of the domain an account SID belongs to: the SID
// without its RID. For NT domain SIDs (S-1-5-21-a-b-c-rid) it insists on
// exactly that shape, so that a domain SID itself (S-1-5-21-a-b-c) is not
// mistaken for an account; for other SIDs (S-1-5-32-544 -> S-1-5-32) it
// needs at least two sub-authorities.
func (s SID) Domain() (SID, bool) {
	if s.authority() == 5 && len(s.Sub) > 0 && s.Sub[0] == 21 {
		if len(s.Sub) != 5 {
			return SID{}, false
		}
	} else if len(s.Sub) < 2 {
		return SID{}, false
	}
	d := SID{Revision: s.Revision, Authority: s.Authority}
	d.Sub = append([]uint32(nil), s.Sub[:len(s.Sub)-1]...)
	return d, true
}

// WithRID returns a new SID with rid appended (domain SID + RID = account
// SID). s is not modified.
func (s SID) WithRID(rid uint32) SID {
	out := SID{Revision: s.Revision, Authority: s.Authority}
	out.Sub = make([]uint32, len(s.Sub), len(s.Sub)+1)
	copy(out.Sub, s.Sub)
	out.Sub = append(out.Sub, rid)
	return out
}

// inDomain reports whether s is domain + exactly one RID, and returns it.
func (s SID) inDomain(domain SID) (uint32, bool) {
	if len(s.Sub) != len(domain.Sub)+1 || s.Revision != domain.Revision || s.Authority != domain.Authority {
		return 0, false
	}
	for i, v := range domain.Sub {
		if s.Sub[i] != v {
			return 0, false
		}
	}
	return s.Sub[len(s.Sub)-1], true
}
