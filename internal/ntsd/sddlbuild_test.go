package ntsd

// A TEST-ONLY SDDL -> binary builder. Production code renders SDDL and never
// parses it. This builder encodes with its own few lines of
// encoding/binary, not with the package's encoder, so that a test comparing
// Parse/Marshal output with its bytes checks two independent
// implementations against each other.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

var (
	sddlTypes = map[string]byte{"A": 0, "D": 1, "AU": 2, "AL": 3, "OA": 5, "OD": 6, "OU": 7, "OL": 8}
	sddlFlags = map[string]byte{"OI": 1, "CI": 2, "NP": 4, "IO": 8, "ID": 0x10, "SA": 0x40, "FA": 0x80}
	sddlMask  = map[string]uint32{
		"CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "RP": 0x10, "WP": 0x20, "DT": 0x40, "LO": 0x80,
		"CR": 0x100, "SD": 0x10000, "RC": 0x20000, "WD": 0x40000, "WO": 0x80000,
		"GA": 0x10000000, "GX": 0x20000000, "GW": 0x40000000, "GR": 0x80000000,
		"FA": 0x1F01FF, "FR": 0x120089, "FW": 0x120116, "FX": 0x1200A0,
	}
	// The few aliases the test vectors use, written out independently of
	// the production table.
	sddlFixedSIDs = map[string]string{
		"WD": "S-1-1-0", "CO": "S-1-3-0", "ED": "S-1-5-9", "PS": "S-1-5-10", "AU": "S-1-5-11",
		"SY": "S-1-5-18", "BA": "S-1-5-32-544", "BU": "S-1-5-32-545", "AO": "S-1-5-32-548",
		"RU": "S-1-5-32-554", "AN": "S-1-5-7", "NS": "S-1-5-20",
	}
	sddlDomainRIDs = map[string]uint32{"LA": 500, "DA": 512, "DU": 513, "DC": 515, "DD": 516, "CA": 517,
		"SA": 518, "EA": 519, "PA": 520, "KA": 526, "EK": 527}
)

// sddlSIDBytes encodes a SID written as S-1-... or as an alias.
func sddlSIDBytes(tok string, domain string) ([]byte, error) {
	str := tok
	if s, ok := sddlFixedSIDs[tok]; ok {
		str = s
	} else if rid, ok := sddlDomainRIDs[tok]; ok {
		if domain == "" {
			return nil, fmt.Errorf("alias %s needs a domain", tok)
		}
		str = fmt.Sprintf("%s-%d", domain, rid)
	}
	parts := strings.Split(str, "-")
	if len(parts) < 3 || parts[0] != "S" || parts[1] != "1" {
		return nil, fmt.Errorf("bad SID %q", tok)
	}
	auth, err := strconv.ParseUint(parts[2], 10, 48)
	if err != nil {
		return nil, fmt.Errorf("bad SID authority in %q", tok)
	}
	b := []byte{1, byte(len(parts) - 3), 0, 0, 0, 0, 0, 0}
	for i := 0; i < 6; i++ {
		b[2+i] = byte(auth >> (8 * (5 - i)))
	}
	for _, p := range parts[3:] {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad sub-authority in %q", tok)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b, nil
}

func sddlGUIDBytes(s string) ([]byte, error) {
	h := strings.ReplaceAll(s, "-", "")
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != 16 || len(s) != 36 {
		return nil, fmt.Errorf("bad GUID %q", s)
	}
	out := []byte{raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6]}
	return append(out, raw[8:]...), nil
}

// sddlACE encodes "(T;F;R;G;IG;SID)" (without the parentheses).
func sddlACE(s string, domain string) (b []byte, object bool, err error) {
	f := strings.Split(s, ";")
	if len(f) != 6 {
		return nil, false, fmt.Errorf("ACE %q: want 6 fields", s)
	}
	t, ok := sddlTypes[f[0]]
	if !ok {
		return nil, false, fmt.Errorf("ACE %q: type %q", s, f[0])
	}
	var flags byte
	for i := 0; i < len(f[1]); i += 2 {
		v, ok := sddlFlags[f[1][i:min(i+2, len(f[1]))]]
		if !ok {
			return nil, false, fmt.Errorf("ACE %q: flags %q", s, f[1])
		}
		flags |= v
	}
	var mask uint32
	if strings.HasPrefix(f[2], "0x") {
		v, err := strconv.ParseUint(f[2][2:], 16, 32)
		if err != nil {
			return nil, false, fmt.Errorf("ACE %q: mask: %v", s, err)
		}
		mask = uint32(v)
	} else {
		for i := 0; i < len(f[2]); i += 2 {
			v, ok := sddlMask[f[2][i:min(i+2, len(f[2]))]]
			if !ok {
				return nil, false, fmt.Errorf("ACE %q: rights %q", s, f[2])
			}
			mask |= v
		}
	}
	object = t >= 5
	body := binary.LittleEndian.AppendUint32(nil, mask)
	if object {
		var of uint32
		var guids []byte
		for i, g := range f[3:5] {
			if g == "" {
				continue
			}
			gb, err := sddlGUIDBytes(g)
			if err != nil {
				return nil, false, err
			}
			of |= 1 << i
			guids = append(guids, gb...)
		}
		body = binary.LittleEndian.AppendUint32(body, of)
		body = append(body, guids...)
	} else if f[3] != "" || f[4] != "" {
		return nil, false, fmt.Errorf("ACE %q: GUIDs on a non-object ACE", s)
	}
	sid, err := sddlSIDBytes(f[5], domain)
	if err != nil {
		return nil, false, err
	}
	body = append(body, sid...)
	hdr := []byte{t, flags, 0, 0}
	binary.LittleEndian.PutUint16(hdr[2:], uint16(4+len(body)))
	return append(hdr, body...), object, nil
}

// sddlACL parses "[P][AR][AI](ace)(ace)..." or NO_ACCESS_CONTROL and returns
// the ACL bytes (nil for a NULL ACL) and the control bits it sets (in DACL
// positions).
func sddlACL(s string, domain string) ([]byte, uint16, error) {
	var ctrl uint16
	for {
		switch {
		case strings.HasPrefix(s, "P"):
			ctrl |= 0x1000
			s = s[1:]
			continue
		case strings.HasPrefix(s, "AR"):
			ctrl |= 0x0100
			s = s[2:]
			continue
		case strings.HasPrefix(s, "AI"):
			ctrl |= 0x0400
			s = s[2:]
			continue
		}
		break
	}
	if s == "NO_ACCESS_CONTROL" {
		return nil, ctrl, nil
	}
	var aces []byte
	count, rev := 0, byte(2)
	for s != "" {
		if s[0] != '(' {
			return nil, 0, fmt.Errorf("ACL: expected '(' at %q", s)
		}
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return nil, 0, fmt.Errorf("ACL: unterminated ACE %q", s)
		}
		b, obj, err := sddlACE(s[1:end], domain)
		if err != nil {
			return nil, 0, err
		}
		if obj {
			rev = 4
		}
		aces = append(aces, b...)
		count++
		s = s[end+1:]
	}
	hdr := []byte{rev, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(hdr[2:], uint16(8+len(aces)))
	binary.LittleEndian.PutUint16(hdr[4:], uint16(count))
	return append(hdr, aces...), ctrl, nil
}

// sddlToBytes builds a self-relative descriptor from SDDL, laid out as
// Windows does (header, SACL, DACL, owner, group). domain resolves DA and
// friends ("" = none).
func sddlToBytes(sddl string, domain string) ([]byte, error) {
	sections := map[byte]string{}
	var order []byte
	rest := sddl
	for rest != "" {
		if len(rest) < 2 || rest[1] != ':' || !strings.ContainsRune("OGDS", rune(rest[0])) {
			return nil, fmt.Errorf("expected O:, G:, D: or S: at %q", rest)
		}
		key := rest[0]
		rest = rest[2:]
		// The section runs to the next "X:" outside parentheses; SIDs,
		// ACL flags and ACEs never contain one.
		end, depth := len(rest), 0
		for i := 0; i < len(rest) && end == len(rest); i++ {
			switch rest[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 && i+1 < len(rest) && rest[i+1] == ':' && strings.IndexByte("OGDS", rest[i]) >= 0 {
				end = i
			}
		}
		sections[key] = rest[:end]
		order = append(order, key)
		rest = rest[end:]
	}
	ctrl := uint16(0x8000)
	out := make([]byte, 20)
	offs := map[byte]int{}
	for _, k := range []byte{'S', 'D'} {
		s, ok := sections[k]
		if !ok {
			continue
		}
		acl, c, err := sddlACL(s, domain)
		if err != nil {
			return nil, err
		}
		if k == 'S' {
			ctrl |= 0x10 | c<<1
		} else {
			ctrl |= 0x04 | c
		}
		if acl != nil {
			offs[k] = len(out)
			out = append(out, acl...)
		}
	}
	for _, k := range []byte{'O', 'G'} {
		s, ok := sections[k]
		if !ok {
			continue
		}
		sid, err := sddlSIDBytes(s, domain)
		if err != nil {
			return nil, err
		}
		offs[k] = len(out)
		out = append(out, sid...)
	}
	out[0] = 1
	binary.LittleEndian.PutUint16(out[2:], ctrl)
	for i, k := range []byte{'O', 'G', 'S', 'D'} {
		binary.LittleEndian.PutUint32(out[4+4*i:], uint32(offs[k]))
	}
	return out, nil
}

// mustSD builds and parses an SDDL string for table tests.
func mustSD(t testing.TB, sddl string) *SecurityDescriptor {
	t.Helper()
	b, err := sddlToBytes(sddl, testDomain)
	if err != nil {
		t.Fatalf("building %q: %v", sddl, err)
	}
	sd, err := Parse(b)
	if err != nil {
		t.Fatalf("parsing built %q: %v", sddl, err)
	}
	return sd
}

// readHex reads a testdata hex file: whitespace is ignored and '#' starts a
// comment that runs to the end of the line.
func readHex(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeHexText(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func decodeHexText(s string) ([]byte, error) {
	var sb strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	return hex.DecodeString(sb.String())
}

// formatHex writes b as 16 bytes per line, grouped by 4.
func formatHex(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 16 {
		line := b[i:min(i+16, len(b))]
		for j := 0; j < len(line); j += 4 {
			if j > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(hex.EncodeToString(line[j:min(j+4, len(line))]))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

func TestSDDLBuilderSelfCheck(t *testing.T) {
	// The builder must reject what it cannot encode, or the vectors built
	// with it would silently be wrong.
	for _, bad := range []string{"X:DA", "O:ZZ", "D:(A;;QQ;;;WD)", "D:(A;;WP;;;WD", "D:(OA;;WP;not-a-guid;;WD)", "D:(A;;WP;;;DA)x"} {
		if _, err := sddlToBytes(bad, testDomain); err == nil {
			t.Errorf("builder accepted %q", bad)
		}
	}
}
