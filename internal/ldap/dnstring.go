package ldap

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rendering, comparing and relating DNs.

// String renders the DN in RFC 4514 form, keeping the spelling of types and
// values.
func (dn DN) String() string {
	var b strings.Builder
	for i, rdn := range dn {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rdn.String())
	}
	return b.String()
}

// String renders the RDN in RFC 4514 form.
func (r RDN) String() string {
	var b strings.Builder
	for i, a := range r {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(a.Type)
		b.WriteByte('=')
		b.WriteString(a.escapedValue())
	}
	return b.String()
}

func (a AVA) escapedValue() string {
	if a.BER {
		return "#" + hex.EncodeToString([]byte(a.Value))
	}
	return EscapeDNValue(a.Value)
}

// EscapeDNValue escapes an attribute value for use in a string DN (RFC 4514
// section 2.4): the special characters, a leading space or '#', a trailing
// space, and control characters (as \XX).
func EscapeDNValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case strings.IndexByte("\"+,;<>\\", c) >= 0,
			i == 0 && (c == ' ' || c == '#'),
			i == len(v)-1 && c == ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Normal is a canonical key for the DN: attribute types lowercased, values
// case-folded (simple Unicode folding, as AD compares names without regard to
// case), the AVAs of a multi-valued RDN sorted, spaces around separators
// gone. Two DNs name the same entry exactly when their Normal() are equal.
func (dn DN) Normal() string {
	var b strings.Builder
	for i, rdn := range dn {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rdn.normal())
	}
	return b.String()
}

func (r RDN) normal() string {
	parts := make([]string, len(r))
	for i, a := range r {
		v := a.escapedValue()
		if !a.BER {
			v = EscapeDNValue(FoldCase(a.Value))
		}
		parts[i] = strings.ToLower(a.Type) + "=" + v
	}
	sort.Strings(parts)
	return strings.Join(parts, "+")
}

// FoldCase maps s to a case-insensitive comparison form (simple case
// folding: every rune to the lower case of its upper case, so that 'K',
// 'k' and KELVIN SIGN compare equal). Invalid UTF-8 bytes are kept.
func FoldCase(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[0])
		} else {
			b.WriteRune(unicode.ToLower(unicode.ToUpper(r)))
		}
		s = s[n:]
	}
	return b.String()
}

// Equal reports whether dn and other name the same entry.
func (dn DN) Equal(other DN) bool { return dn.Normal() == other.Normal() }

// Parent is the DN without its first RDN; the parent of the empty DN is empty.
func (dn DN) Parent() DN {
	if len(dn) == 0 {
		return DN{}
	}
	return dn[1:]
}

// IsDescendantOf reports whether dn is strictly below base (equal DNs are
// not descendants; use InSubtree for "base or below"). Every non-empty DN
// is a descendant of the empty DN.
func (dn DN) IsDescendantOf(base DN) bool {
	return len(dn) > len(base) && dn.hasSuffix(base)
}

// IsChildOf reports whether dn is immediately below parent.
func (dn DN) IsChildOf(parent DN) bool {
	return len(dn) == len(parent)+1 && dn.hasSuffix(parent)
}

// InSubtree reports whether dn is base or below it (subtree search scope).
func (dn DN) InSubtree(base DN) bool {
	return len(dn) >= len(base) && dn.hasSuffix(base)
}

func (dn DN) hasSuffix(base DN) bool {
	off := len(dn) - len(base)
	for i := range base {
		if dn[off+i].normal() != base[i].normal() {
			return false
		}
	}
	return true
}

// domainSuffix is the trailing run of single-valued DC= RDNs.
func (dn DN) domainSuffix() DN {
	i := len(dn)
	for i > 0 && len(dn[i-1]) == 1 && strings.EqualFold(dn[i-1][0].Type, "dc") && !dn[i-1][0].BER {
		i--
	}
	return dn[i:]
}

// DomainOfDN returns the DC= suffix of dn ("CN=x,OU=y,DC=contoso,DC=com" ->
// "DC=contoso,DC=com"), "" when dn has none or does not parse.
func DomainOfDN(dn string) string {
	d, err := ParseDN(dn)
	if err != nil {
		return ""
	}
	suffix := d.domainSuffix()
	parts := make([]string, len(suffix))
	for i, rdn := range suffix {
		parts[i] = "DC=" + EscapeDNValue(rdn[0].Value)
	}
	return strings.Join(parts, ",")
}

// DNSNameOfDN returns the DNS name of dn's DC= suffix ("DC=contoso,DC=com"
// -> "contoso.com"; also for a DN below the domain), "" when there is none.
func DNSNameOfDN(dn string) string {
	d, err := ParseDN(dn)
	if err != nil {
		return ""
	}
	suffix := d.domainSuffix()
	labels := make([]string, len(suffix))
	for i, rdn := range suffix {
		labels[i] = rdn[0].Value
	}
	return strings.Join(labels, ".")
}

// DNOfDNSName returns the domain DN of a DNS name ("contoso.com" ->
// "DC=contoso,DC=com"); "" for an empty name.
func DNOfDNSName(name string) string {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" {
		return ""
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		labels[i] = "DC=" + EscapeDNValue(l)
	}
	return strings.Join(labels, ",")
}

// NormalizeDN parses s and returns its Normal() form.
func NormalizeDN(s string) (string, error) {
	dn, err := ParseDN(s)
	if err != nil {
		return "", err
	}
	return dn.Normal(), nil
}

// EqualDN reports whether a and b parse and name the same entry.
func EqualDN(a, b string) bool {
	na, err := NormalizeDN(a)
	if err != nil {
		return false
	}
	nb, err := NormalizeDN(b)
	return err == nil && na == nb
}
