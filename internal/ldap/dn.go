package ldap

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AVA is one attribute type and value of an RDN. Value holds the decoded
// value (escapes resolved). BER is set when the value was given as #hex and
// is not a BER string type: Value then holds the raw BER bytes.
type AVA struct {
	Type  string
	Value string
	BER   bool
}

// RDN is a relative distinguished name: one or more AVAs joined by "+".
type RDN []AVA

// DN is a distinguished name, most specific RDN first. The empty DN (no
// RDNs) names the rootDSE.
type DN []RDN

// maxDNLen bounds the input ParseDN accepts; AD's own limit is far lower.
const maxDNLen = 64 << 10

// ParseDN parses an RFC 4514 string DN. It also accepts what Windows and
// older RFCs accept: spaces around separators and "=", ";" as an RDN
// separator, quoted values and an "OID." prefix on numeric types. Unescaped
// leading and trailing spaces of a value are not part of it.
func ParseDN(s string) (DN, error) {
	if len(s) > maxDNLen {
		return nil, fmt.Errorf("dn: longer than %d bytes", maxDNLen)
	}
	p := &dnParser{s: s}
	p.skipSpace()
	if p.eof() {
		return DN{}, nil
	}
	var dn DN
	for {
		rdn, err := p.rdn()
		if err != nil {
			return nil, fmt.Errorf("dn %q: %w", truncate(s, 200), err)
		}
		dn = append(dn, rdn)
		if p.eof() {
			return dn, nil
		}
		p.i++ // ',' or ';'
		p.skipSpace()
		if p.eof() {
			return nil, fmt.Errorf("dn %q: empty RDN at end", truncate(s, 200))
		}
	}
}

// MustParseDN is ParseDN for constants in tests and tables; it panics on error.
func MustParseDN(s string) DN {
	dn, err := ParseDN(s)
	if err != nil {
		panic(err)
	}
	return dn
}

type dnParser struct {
	s string
	i int
}

func (p *dnParser) eof() bool { return p.i >= len(p.s) }

func (p *dnParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// rdn parses AVAs up to the next unescaped ',' or ';' (left unconsumed) or the end.
func (p *dnParser) rdn() (RDN, error) {
	var rdn RDN
	for {
		ava, err := p.ava()
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, ava)
		if p.eof() || p.s[p.i] == ',' || p.s[p.i] == ';' {
			return rdn, nil
		}
		// p.s[p.i] == '+'
		p.i++
		p.skipSpace()
	}
}

func (p *dnParser) ava() (AVA, error) {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '=' && p.s[p.i] != ',' && p.s[p.i] != '+' && p.s[p.i] != ';' {
		p.i++
	}
	if p.eof() || p.s[p.i] != '=' {
		return AVA{}, fmt.Errorf("missing '=' after attribute type at offset %d", start)
	}
	typ := strings.TrimRight(p.s[start:p.i], " ")
	if err := checkAttrType(typ); err != nil {
		return AVA{}, fmt.Errorf("offset %d: %w", start, err)
	}
	if len(typ) > 4 && strings.EqualFold(typ[:4], "oid.") {
		typ = typ[4:]
	}
	p.i++ // '='
	p.skipSpace()
	if !p.eof() && p.s[p.i] == '#' {
		v, ber, err := p.hexValue()
		return AVA{Type: typ, Value: v, BER: ber}, err
	}
	if !p.eof() && p.s[p.i] == '"' {
		v, err := p.quotedValue()
		return AVA{Type: typ, Value: v}, err
	}
	v, err := p.stringValue()
	return AVA{Type: typ, Value: v}, err
}

// checkAttrType accepts a descr (ALPHA *(ALPHA / DIGIT / "-")) or a numeric OID.
func checkAttrType(t string) error {
	if t == "" {
		return fmt.Errorf("empty attribute type")
	}
	if len(t) > 4 && strings.EqualFold(t[:4], "oid.") {
		t = t[4:]
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" || (len(part) > 1 && part[0] == '0') {
				return fmt.Errorf("invalid numeric OID attribute type %q", t)
			}
		}
		return nil
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isAlpha(c) && (i == 0 || (!isDigit(c) && c != '-')) {
			return fmt.Errorf("invalid attribute type %q", truncate(t, 64))
		}
	}
	return nil
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// stringValue reads up to an unescaped ',', '+' or ';', dropping unescaped
// trailing spaces.
func (p *dnParser) stringValue() (string, error) {
	var b []byte
	keep := 0 // length of b up to the last escaped or non-space byte
	for !p.eof() {
		c := p.s[p.i]
		switch c {
		case ',', '+', ';':
			return p.finishValue(b[:keep])
		case '\\':
			d, err := p.escape()
			if err != nil {
				return "", err
			}
			b = append(b, d)
			keep = len(b)
			continue
		case 0:
			return "", fmt.Errorf("NUL byte in value at offset %d", p.i)
		}
		b = append(b, c)
		if c != ' ' {
			keep = len(b)
		}
		p.i++
	}
	return p.finishValue(b[:keep])
}

func (p *dnParser) finishValue(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", fmt.Errorf("value before offset %d is not valid UTF-8", p.i)
	}
	return string(b), nil
}

// escape decodes "\X" (a special character) or "\XX" (a hex byte) at p.i.
func (p *dnParser) escape() (byte, error) {
	at := p.i
	if p.i+1 >= len(p.s) {
		return 0, fmt.Errorf("dangling backslash at offset %d", at)
	}
	c := p.s[p.i+1]
	if isHex(c) {
		if p.i+2 >= len(p.s) || !isHex(p.s[p.i+2]) {
			return 0, fmt.Errorf("invalid hex escape at offset %d", at)
		}
		p.i += 3
		return unhex(c)<<4 | unhex(p.s[at+2]), nil
	}
	if strings.IndexByte(" \"#+,;<=>\\", c) < 0 {
		return 0, fmt.Errorf("invalid escape %q at offset %d", "\\"+string(rune(c)), at)
	}
	p.i += 2
	return c, nil
}

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// quotedValue reads an RFC 2253 quoted value: "..." with backslash escapes.
func (p *dnParser) quotedValue() (string, error) {
	at := p.i
	p.i++
	var b []byte
	for {
		if p.eof() {
			return "", fmt.Errorf("unterminated quoted value at offset %d", at)
		}
		c := p.s[p.i]
		if c == '"' {
			p.i++
			break
		}
		if c == 0 {
			return "", fmt.Errorf("NUL byte in value at offset %d", p.i)
		}
		if c == '\\' {
			d, err := p.escape()
			if err != nil {
				return "", err
			}
			b = append(b, d)
			continue
		}
		b = append(b, c)
		p.i++
	}
	p.skipSpace()
	if !p.eof() && strings.IndexByte(",+;", p.s[p.i]) < 0 {
		return "", fmt.Errorf("unexpected %q after quoted value at offset %d", p.s[p.i], p.i)
	}
	return p.finishValue(b)
}

// hexValue reads "#" hexstring. A BER-encoded string type (UTF8String,
// PrintableString, IA5String, or an OCTET STRING holding UTF-8) yields its
// content, so it compares equal to the same value in string form; anything
// else is kept as raw BER.
func (p *dnParser) hexValue() (string, bool, error) {
	at := p.i
	p.i++
	start := p.i
	for !p.eof() && isHex(p.s[p.i]) {
		p.i++
	}
	h := p.s[start:p.i]
	p.skipSpace()
	if !p.eof() && strings.IndexByte(",+;", p.s[p.i]) < 0 {
		return "", false, fmt.Errorf("invalid character %q in #hex value at offset %d", p.s[p.i], p.i)
	}
	if h == "" || len(h)%2 != 0 {
		return "", false, fmt.Errorf("#hex value at offset %d needs an even, non-zero number of hex digits", at)
	}
	raw, _ := hex.DecodeString(h)
	if s, ok := berString(raw); ok {
		return s, false, nil
	}
	return string(raw), true, nil
}

// berString returns the content of a primitive BER string with a definite length.
func berString(b []byte) (string, bool) {
	if len(b) < 2 {
		return "", false
	}
	switch b[0] {
	case 0x04, 0x0c, 0x13, 0x16:
	default:
		return "", false
	}
	n, hdr := int(b[1]), 2
	if b[1]&0x80 != 0 {
		k := int(b[1] & 0x7f)
		if k == 0 || k > 3 || len(b) < 2+k {
			return "", false
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hdr = 2 + k
	}
	content := b[hdr:]
	if len(content) != n || !utf8.Valid(content) || strings.IndexByte(string(content), 0) >= 0 {
		return "", false
	}
	return string(content), true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
