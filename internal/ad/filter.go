package ad

import (
	"fmt"
	"strings"
)

// escapeValue escapes a string for an LDAP filter value (RFC 4515).
func escapeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '(', ')', '\\', 0:
			fmt.Fprintf(&b, "\\%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeBytes escapes every byte: binary values (SIDs, GUIDs).
func escapeBytes(v []byte) string {
	var b strings.Builder
	for _, c := range v {
		fmt.Fprintf(&b, "\\%02x", c)
	}
	return b.String()
}

// anyOf builds (|(attr=v1)(attr=v2)...) from already escaped values; one
// value needs no OR.
func anyOf(attr string, escaped []string) string {
	if len(escaped) == 1 {
		return "(" + attr + "=" + escaped[0] + ")"
	}
	var b strings.Builder
	b.WriteString("(|")
	for _, v := range escaped {
		b.WriteString("(" + attr + "=" + v + ")")
	}
	b.WriteString(")")
	return b.String()
}
