// Package filter parses RFC 4515 search filters into a tree (for memdir to
// evaluate and the recorder to inspect) and escapes assertion values.
package filter

import (
	"fmt"
	"strings"
)

// Op is the kind of a filter node.
type Op int

const (
	And Op = iota
	Or
	Not
	Equal
	Substrings
	GreaterOrEqual
	LessOrEqual
	Approx
	Present
	Extensible
)

// Filter is one node. And/Or/Not use Children (Not has exactly one); the
// others use Attr and, except Present, Value (Equal, GreaterOrEqual,
// LessOrEqual, Approx, Extensible) or Initial/Any/Final (Substrings).
// Extensible also has Rule (matching rule OID, may be "") and DNAttrs.
type Filter struct {
	Op       Op
	Children []*Filter
	Attr     string
	Value    []byte
	Initial  []byte // nil: no initial part
	Any      [][]byte
	Final    []byte // nil: no final part
	Rule     string
	DNAttrs  bool
}

// maxDepth bounds nesting so hostile filters cannot exhaust the stack.
const maxDepth = 200

// Error is a malformed filter.
type Error struct {
	Filter string
	Pos    int
	Msg    string
}

func (e *Error) Error() string {
	f := e.Filter
	if len(f) > 200 {
		f = f[:200] + "..."
	}
	return fmt.Sprintf("bad search filter %q: %s at offset %d", f, e.Msg, e.Pos)
}

// Parse parses an RFC 4515 filter. Surrounding spaces are ignored and, as
// most tools allow, the outer parentheses may be left out ("cn=x").
// "(&)" is absolute true and "(|)" absolute false (RFC 4526).
func Parse(s string) (*Filter, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return nil, &Error{s, 0, "empty filter"}
	}
	if in[0] != '(' {
		in = "(" + in + ")"
	}
	p := &parser{s: in, orig: s}
	f, err := p.filter(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, p.errf("unexpected %q after the filter", p.s[p.i])
	}
	return f, nil
}

type parser struct {
	s, orig string
	i       int
}

func (p *parser) errf(format string, args ...any) error {
	return &Error{p.orig, p.i, fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *parser) filter(depth int) (*Filter, error) {
	if depth > maxDepth {
		return nil, p.errf("nested deeper than %d", maxDepth)
	}
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, p.errf("expected '('")
	}
	p.i++
	var f *Filter
	var err error
	if p.i < len(p.s) && strings.IndexByte("&|!", p.s[p.i]) >= 0 {
		f, err = p.composite(depth)
	} else {
		f, err = p.item()
	}
	if err != nil {
		return nil, err
	}
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		return nil, p.errf("expected ')'")
	}
	p.i++
	return f, nil
}

func (p *parser) composite(depth int) (*Filter, error) {
	op := map[byte]Op{'&': And, '|': Or, '!': Not}[p.s[p.i]]
	p.i++
	f := &Filter{Op: op}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			break
		}
		c, err := p.filter(depth + 1)
		if err != nil {
			return nil, err
		}
		f.Children = append(f.Children, c)
	}
	if op == Not && len(f.Children) != 1 {
		return nil, p.errf("'!' needs exactly one filter, got %d", len(f.Children))
	}
	return f, nil
}

func (p *parser) item() (*Filter, error) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("=~<>:()", p.s[p.i]) < 0 {
		p.i++
	}
	attr := strings.TrimSpace(p.s[start:p.i])
	if p.i >= len(p.s) || p.s[p.i] == '(' || p.s[p.i] == ')' {
		return nil, p.errf("missing filter type (=, ~=, >=, <=, :=)")
	}
	if p.s[p.i] == ':' {
		return p.extensible(attr)
	}
	if err := checkAttrDesc(attr); err != nil {
		return nil, &Error{p.orig, start, err.Error()}
	}
	var op Op
	switch p.s[p.i] {
	case '=':
		op = Equal
		p.i++
	case '~', '<', '>':
		if p.i+1 >= len(p.s) || p.s[p.i+1] != '=' {
			return nil, p.errf("expected '=' after %q", p.s[p.i])
		}
		op = map[byte]Op{'~': Approx, '<': LessOrEqual, '>': GreaterOrEqual}[p.s[p.i]]
		p.i += 2
	}
	if op != Equal {
		v, err := p.value(false)
		if err != nil {
			return nil, err
		}
		return &Filter{Op: op, Attr: attr, Value: v}, nil
	}
	return p.equalOrSubstrings(attr)
}

func (p *parser) equalOrSubstrings(attr string) (*Filter, error) {
	var parts [][]byte
	for {
		v, err := p.value(true)
		if err != nil {
			return nil, err
		}
		parts = append(parts, v)
		if p.i < len(p.s) && p.s[p.i] == '*' {
			p.i++
			continue
		}
		break
	}
	if len(parts) == 1 {
		return &Filter{Op: Equal, Attr: attr, Value: parts[0]}, nil
	}
	if len(parts) == 2 && len(parts[0]) == 0 && len(parts[1]) == 0 {
		return &Filter{Op: Present, Attr: attr}, nil
	}
	f := &Filter{Op: Substrings, Attr: attr}
	if len(parts[0]) > 0 {
		f.Initial = parts[0]
	}
	if last := parts[len(parts)-1]; len(last) > 0 {
		f.Final = last
	}
	for _, a := range parts[1 : len(parts)-1] {
		if len(a) == 0 {
			return nil, p.errf("empty substring between '*'s")
		}
		f.Any = append(f.Any, a)
	}
	return f, nil
}

// extensible parses attr[:dn][:rule]:=value or [:dn]:rule:=value; p.i is at
// the first ':'.
func (p *parser) extensible(attr string) (*Filter, error) {
	f := &Filter{Op: Extensible, Attr: attr}
	if attr != "" {
		if err := checkAttrDesc(attr); err != nil {
			return nil, p.errf("%v", err)
		}
	}
	for {
		// p.s[p.i] == ':'
		p.i++
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			break
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ':' && p.s[p.i] != ')' && p.s[p.i] != '(' {
			p.i++
		}
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("extensible match needs ':='")
		}
		tok := p.s[start:p.i]
		switch {
		case strings.EqualFold(tok, "dn") && !f.DNAttrs && f.Rule == "":
			f.DNAttrs = true
		case f.Rule == "" && checkType(tok) == nil:
			f.Rule = tok
		default:
			return nil, &Error{p.orig, start, fmt.Sprintf("unexpected %q in extensible match", tok)}
		}
	}
	if f.Attr == "" && f.Rule == "" {
		return nil, p.errf("extensible match needs an attribute or a matching rule")
	}
	v, err := p.value(false)
	if err != nil {
		return nil, err
	}
	f.Value = v
	return f, nil
}

// value reads an assertion value up to ')' (or '*' when star is true),
// resolving \XX escapes.
func (p *parser) value(star bool) ([]byte, error) {
	v := []byte{}
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ')':
			return v, nil
		case c == '*' && star:
			return v, nil
		case c == '*' || c == '(' || c == 0:
			return nil, p.errf("unescaped %q in value", c)
		case c == '\\':
			if p.i+2 >= len(p.s) || !isHex(p.s[p.i+1]) || !isHex(p.s[p.i+2]) {
				return nil, p.errf("'\\' must be followed by two hex digits")
			}
			v = append(v, unhex(p.s[p.i+1])<<4|unhex(p.s[p.i+2]))
			p.i += 3
			continue
		}
		v = append(v, c)
		p.i++
	}
	return nil, p.errf("missing ')'")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

func checkAttrDesc(s string) error {
	typ, opts, hasOpts := strings.Cut(s, ";")
	if err := checkType(typ); err != nil {
		return err
	}
	if hasOpts {
		for _, o := range strings.Split(opts, ";") {
			if o == "" || strings.Trim(o, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
				return fmt.Errorf("invalid attribute option %q", o)
			}
		}
	}
	return nil
}

func checkType(t string) error {
	if t == "" {
		return fmt.Errorf("empty attribute description")
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" {
				return fmt.Errorf("invalid attribute description %q", t)
			}
		}
		return nil
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		alpha := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return fmt.Errorf("invalid attribute description %q", t)
		}
	}
	return nil
}
