package filter

import (
	"strings"
)

// Escape escapes an assertion value for a filter string (RFC 4515): '*',
// '(', ')', '\\', NUL, control characters and every byte outside printable
// ASCII become \XX, so binary values such as SIDs and GUIDs are safe.
func Escape(v []byte) string {
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range v {
		if c < 0x20 || c >= 0x7f || c == '*' || c == '(' || c == ')' || c == '\\' {
			b.WriteByte('\\')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// EscapeString is Escape for a string value.
func EscapeString(s string) string { return Escape([]byte(s)) }

// String renders the filter in RFC 4515 form; Parse(f.String()) gives an
// equal tree.
func (f *Filter) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f *Filter) write(b *strings.Builder) {
	b.WriteByte('(')
	switch f.Op {
	case And, Or, Not:
		b.WriteByte("&|!"[f.Op])
		for _, c := range f.Children {
			c.write(b)
		}
	case Equal:
		b.WriteString(f.Attr + "=" + Escape(f.Value))
	case GreaterOrEqual:
		b.WriteString(f.Attr + ">=" + Escape(f.Value))
	case LessOrEqual:
		b.WriteString(f.Attr + "<=" + Escape(f.Value))
	case Approx:
		b.WriteString(f.Attr + "~=" + Escape(f.Value))
	case Present:
		b.WriteString(f.Attr + "=*")
	case Substrings:
		b.WriteString(f.Attr + "=" + Escape(f.Initial) + "*")
		for _, a := range f.Any {
			b.WriteString(Escape(a) + "*")
		}
		b.WriteString(Escape(f.Final))
	case Extensible:
		b.WriteString(f.Attr)
		if f.DNAttrs {
			b.WriteString(":dn")
		}
		if f.Rule != "" {
			b.WriteString(":" + f.Rule)
		}
		b.WriteString(":=" + Escape(f.Value))
	}
	b.WriteByte(')')
}

// Attributes lists the attribute descriptions the filter tests, each once
// (case-insensitive), in first-seen order.
func (f *Filter) Attributes() []string {
	var out []string
	var walk func(*Filter)
	walk = func(f *Filter) {
		for _, c := range f.Children {
			walk(c)
		}
		if f.Attr == "" {
			return
		}
		for _, a := range out {
			if strings.EqualFold(a, f.Attr) {
				return
			}
		}
		out = append(out, f.Attr)
	}
	walk(f)
	return out
}
