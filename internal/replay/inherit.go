package replay

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
	"entra8344/internal/ntsd"
)

// propagateInheritance makes a replayed directory do what a DC does after
// a DACL write: explicit inheritable (container-inherit) ACEs added to the
// object are copied, as inherited ACEs, onto every descendant that inherits
// (no protected DACL on the way), and those removed are taken away again.
// SIMULATION: only the difference of the one write is propagated (the
// snapshot's other inherited ACEs stay as recorded), an ACE applies where
// its inherited object type is the descendant's structural class (else it
// is kept inherit-only, passing further down), and NO_PROPAGATE_INHERIT is
// not modelled. A real DC (Samba in internal/cli/sambatest) does it for real.
func propagateInheritance(dir *memdir.Dir) func(dn string, before, after []byte) error {
	return func(dn string, before, after []byte) error {
		old, err1 := ntsd.Parse(before)
		now, err2 := ntsd.Parse(after)
		if err1 != nil || err2 != nil {
			return nil // not a descriptor this simulation can read; nothing to propagate
		}
		added, removed := inheritableDiff(old, now), inheritableDiff(now, old)
		if len(added) == 0 && len(removed) == 0 {
			return nil
		}
		return propagate(context.Background(), dir, dn, added, removed)
	}
}

// inheritableDiff lists the explicit container-inherit ACEs of b missing from a.
func inheritableDiff(a, b *ntsd.SecurityDescriptor) []ntsd.ACE {
	if b == nil || b.DACL == nil {
		return nil
	}
	var out []ntsd.ACE
	for _, x := range b.DACL.ACEs {
		if x.IsInherited() || x.Flags&ntsd.ContainerInherit == 0 || !x.Known() {
			continue
		}
		if a == nil || a.DACL == nil || a.DACL.Index(x) < 0 {
			out = append(out, x)
		}
	}
	return out
}

func propagate(ctx context.Context, dir *memdir.Dir, dn string, added, removed []ntsd.ACE) error {
	base, err := ldap.ParseDN(dn)
	if err != nil {
		return nil
	}
	sdFlags := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	es, err := dir.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Scope: ldap.ScopeSubtree, Filter: "(objectClass=*)",
		Attributes: []string{"nTSecurityDescriptor", "objectClass"}, Controls: sdFlags})
	if err != nil {
		return fmt.Errorf("simulated inheritance below %s: %w", dn, err)
	}
	// Parents before children, so a protected container is known before
	// its descendants are visited.
	sort.Slice(es, func(i, j int) bool { return len(dnOf(es[i].DN)) < len(dnOf(es[j].DN)) })
	blocked := map[string]bool{}
	classes := map[string]ntsd.GUID{}
	for _, e := range es {
		p := dnOf(e.DN)
		if len(p) <= len(base) || blockedAbove(p, len(base), blocked) {
			continue
		}
		sd, err := ntsd.Parse(e.Value("nTSecurityDescriptor"))
		if err != nil || sd.DACL == nil {
			continue
		}
		if sd.DACLProtected() {
			blocked[p.Normal()] = true
			continue
		}
		oc := e.Values("objectClass")
		class := classGUID(ctx, dir, string(oc[len(oc)-1]), classes)
		changed := false
		for _, a := range removed {
			for _, applies := range []bool{true, false} {
				changed = sd.DACL.Remove(ntsd.InheritedCopy(a, applies)) || changed
			}
		}
		for _, a := range added {
			applies := a.ObjectFlags&ntsd.InheritedObjectTypePresent == 0 || (!class.IsZero() && a.InheritedObjectType == class)
			c := ntsd.InheritedCopy(a, applies)
			if sd.DACL.Index(c) < 0 {
				sd.DACL.Insert(c)
				changed = true
			}
		}
		if !changed {
			continue
		}
		// A descendant's write is not itself propagated again (its
		// inherited ACEs are not in the diff), so this cannot recurse.
		if err := dir.Modify(ctx, e.DN, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd.Marshal()}}}, sdFlags); err != nil {
			return fmt.Errorf("simulated inheritance: %s: %w", e.DN, err)
		}
	}
	return nil
}

func dnOf(dn string) ldap.DN {
	p, _ := ldap.ParseDN(dn)
	return p
}

// blockedAbove: a container between base (exclusive) and p (exclusive)
// blocks inheritance.
func blockedAbove(p ldap.DN, baseLen int, blocked map[string]bool) bool {
	for q := p.Parent(); len(q) > baseLen; q = q.Parent() {
		if blocked[q.Normal()] {
			return true
		}
	}
	return false
}

// classGUID is the schemaIDGUID of the class named name (zero if unknown).
func classGUID(ctx context.Context, dir *memdir.Dir, name string, cache map[string]ntsd.GUID) ntsd.GUID {
	k := strings.ToLower(name)
	if g, ok := cache[k]; ok {
		return g
	}
	var g ntsd.GUID
	root, err := dir.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"schemaNamingContext"}})
	if err == nil && len(root) == 1 {
		es, err := dir.Search(ctx, &ldap.SearchRequest{BaseDN: root[0].String("schemaNamingContext"), Scope: ldap.ScopeOneLevel,
			Filter: "(&(objectClass=classSchema)(lDAPDisplayName=" + escapeFilter(name) + "))", Attributes: []string{"schemaIDGUID"}})
		if err == nil && len(es) == 1 {
			g, _ = ntsd.GUIDFromBytes(es[0].Value("schemaIDGUID"))
		}
	}
	cache[k] = g
	return g
}

// escapeFilter escapes an assertion value (RFC 4515).
func escapeFilter(v string) string {
	var b strings.Builder
	for _, c := range []byte(v) {
		switch c {
		case '\\', '*', '(', ')', 0:
			fmt.Fprintf(&b, "\\%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
