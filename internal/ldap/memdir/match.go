package memdir

import (
	"bytes"
	"strconv"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/filter"
)

// matcher evaluates filters against entries while d.mu is held.
type matcher struct {
	d    *Dir
	cats map[string]string // objectCategory shorthand -> Normal() DN or "cn:<name>"
}

func (d *Dir) newMatcher() *matcher { return &matcher{d: d, cats: map[string]string{}} }

// match evaluates f on e. Comparison follows the attribute tables: binary
// attributes byte for byte, DN attributes as DNs, integer attributes as
// numbers, everything else case-insensitively. distinguishedName is the
// entry's DN even when not stored; (objectClass=*) is true for every entry.
func (m *matcher) match(e *entry, f *filter.Filter) bool {
	switch f.Op {
	case filter.And:
		for _, c := range f.Children {
			if !m.match(e, c) {
				return false
			}
		}
		return true
	case filter.Or:
		for _, c := range f.Children {
			if m.match(e, c) {
				return true
			}
		}
		return false
	case filter.Not:
		return !m.match(e, f.Children[0])
	}
	if strings.EqualFold(f.Attr, "distinguishedName") {
		return matchOwnDN(e, f)
	}
	if f.Op == filter.Present && strings.EqualFold(f.Attr, "objectClass") {
		return true
	}
	vals := e.values(f.Attr)
	if f.Op == filter.Extensible {
		return m.extensible(e, f, vals)
	}
	if (f.Op == filter.Equal || f.Op == filter.Approx) && strings.EqualFold(f.Attr, "objectCategory") && !bytes.ContainsRune(f.Value, '=') {
		return m.categoryShorthand(vals, string(f.Value))
	}
	if f.Op == filter.Present {
		return len(vals) > 0
	}
	for _, v := range vals {
		switch f.Op {
		case filter.Equal, filter.Approx:
			if valueEqual(f.Attr, v, f.Value) {
				return true
			}
		case filter.GreaterOrEqual:
			if compareValues(f.Attr, v, f.Value) >= 0 {
				return true
			}
		case filter.LessOrEqual:
			if compareValues(f.Attr, v, f.Value) <= 0 {
				return true
			}
		case filter.Substrings:
			if substrings(attrIn(binaryAttrs, f.Attr), v, f) {
				return true
			}
		}
	}
	return false
}

func matchOwnDN(e *entry, f *filter.Filter) bool {
	switch f.Op {
	case filter.Present:
		return true
	case filter.Equal, filter.Approx:
		n, err := ldap.NormalizeDN(string(f.Value))
		return err == nil && n == e.key
	case filter.Extensible:
		if f.Rule == "" {
			n, err := ldap.NormalizeDN(string(f.Value))
			return err == nil && n == e.key
		}
	case filter.Substrings:
		return substrings(false, []byte(e.dn), f)
	}
	return false
}

func (m *matcher) extensible(e *entry, f *filter.Filter, vals [][]byte) bool {
	switch f.Rule {
	case "":
		for _, v := range vals {
			if valueEqual(f.Attr, v, f.Value) {
				return true
			}
		}
	case RuleBitAnd, RuleBitOr:
		n, ok := parseInt(f.Value)
		if !ok {
			return false
		}
		for _, v := range vals {
			x, ok := parseInt(v)
			if ok && (f.Rule == RuleBitAnd && x&n == n || f.Rule == RuleBitOr && x&n != 0) {
				return true
			}
		}
	case RuleInChain:
		target, err := ldap.NormalizeDN(string(f.Value))
		if err != nil {
			return false
		}
		return m.inChain(e, f.Attr, target)
	}
	return false
}

// inChain follows the DN values of attr transitively from e, looking for target.
func (m *matcher) inChain(e *entry, attr, target string) bool {
	seen := map[string]bool{e.key: true}
	queue := [][][]byte{e.values(attr)}
	for len(queue) > 0 {
		vals := queue[0]
		queue = queue[1:]
		for _, v := range vals {
			key, err := ldap.NormalizeDN(string(v))
			if err != nil || seen[key] {
				continue
			}
			if key == target {
				return true
			}
			seen[key] = true
			if next, ok := m.d.entries[key]; ok {
				queue = append(queue, next.values(attr))
			}
		}
	}
	return false
}

// categoryShorthand is AD's (objectCategory=user): the class's
// defaultObjectCategory from the schema held in the directory, else the
// built-in table, compared with the first RDN of the stored category.
func (m *matcher) categoryShorthand(vals [][]byte, class string) bool {
	want, ok := m.cats[strings.ToLower(class)]
	if !ok {
		want = m.lookupCategory(class)
		m.cats[strings.ToLower(class)] = want
	}
	for _, v := range vals {
		dn, err := ldap.ParseDN(string(v))
		if err != nil || len(dn) == 0 {
			continue
		}
		if cn, ok := strings.CutPrefix(want, "cn:"); ok {
			if ldap.FoldCase(dn[0][0].Value) == cn {
				return true
			}
		} else if dn.Normal() == want {
			return true
		}
	}
	return false
}

func (m *matcher) lookupCategory(class string) string {
	for _, e := range m.d.order {
		if !hasValue(e, "objectClass", "classSchema") || !hasValue(e, "lDAPDisplayName", class) {
			continue
		}
		if v := e.values("defaultObjectCategory"); len(v) > 0 {
			if n, err := ldap.NormalizeDN(string(v[0])); err == nil {
				return n
			}
		}
	}
	cn := strings.ToLower(class)
	if c, ok := defaultCategories[cn]; ok {
		cn = c
	}
	return "cn:" + ldap.FoldCase(cn)
}

func hasValue(e *entry, attr, want string) bool {
	for _, v := range e.values(attr) {
		if strings.EqualFold(string(v), want) {
			return true
		}
	}
	return false
}

// valueEqual is the equality of attr's matching rule, as memdir models it.
func valueEqual(attr string, a, b []byte) bool {
	switch {
	case attrIn(binaryAttrs, attr):
		return bytes.Equal(a, b)
	case attrIn(dnAttrs, attr):
		na, err1 := ldap.NormalizeDN(string(a))
		nb, err2 := ldap.NormalizeDN(string(b))
		if err1 == nil && err2 == nil {
			return na == nb
		}
	case attrIn(intAttrs, attr):
		x, ok1 := parseInt(a)
		y, ok2 := parseInt(b)
		if ok1 && ok2 {
			return x == y
		}
	}
	return ldap.FoldCase(string(a)) == ldap.FoldCase(string(b))
}

// compareValues orders a against b: bytes for binary attributes, numbers
// when both are integers, else case-folded strings.
func compareValues(attr string, a, b []byte) int {
	if attrIn(binaryAttrs, attr) {
		return bytes.Compare(a, b)
	}
	if x, ok := parseInt(a); ok {
		if y, ok := parseInt(b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(ldap.FoldCase(string(a)), ldap.FoldCase(string(b)))
}

func parseInt(b []byte) (int64, bool) {
	s := string(b)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return int64(n), true
	}
	return 0, false
}

func substrings(binary bool, v []byte, f *filter.Filter) bool {
	fold := func(b []byte) string {
		if binary {
			return string(b)
		}
		return ldap.FoldCase(string(b))
	}
	s := fold(v)
	pos := 0
	if f.Initial != nil {
		ini := fold(f.Initial)
		if !strings.HasPrefix(s, ini) {
			return false
		}
		pos = len(ini)
	}
	for _, a := range f.Any {
		sub := fold(a)
		i := strings.Index(s[pos:], sub)
		if i < 0 {
			return false
		}
		pos += i + len(sub)
	}
	if f.Final != nil {
		fin := fold(f.Final)
		return len(s)-pos >= len(fin) && strings.HasSuffix(s, fin)
	}
	return true
}
