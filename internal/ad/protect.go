package ad

import (
	"fmt"
	"sort"

	"entra8344/internal/ntsd"
)

// Protection is what the directory says about an object's protection.
type Protection struct {
	// Known is false when the protected groups could not be read.
	Known bool
	// By names why the object is in the protected set ("" = it is not).
	By string
}

// ProtectionOf computes whether o is in the protected set of its domain
// (MS-ADTS 3.1.1.6.1.2): the built-in protected accounts, members (direct or
// nested, through groups read) of the protected groups, or a protected
// primary group; groups excluded by dwAdminSDExMask are not roots.
func (s *Snapshot) ProtectionOf(o *Object) Protection {
	d := s.domainOf(o.DomainNC)
	if d == nil || !d.MembershipKnown {
		return Protection{}
	}
	if rid, ok := o.SID.RID(); ok && selfProtectedRIDs[rid] && sameDomain(o.SID, d.SID) {
		return Protection{Known: true, By: fmt.Sprintf("built-in account (RID %d)", rid)}
	}
	roots := s.protectedRoots(d)
	if o.PrimaryGroupID != nil && sameDomain(o.SID, d.SID) {
		pg := d.SID.WithRID(uint32(*o.PrimaryGroupID))
		for _, g := range roots {
			if g.SID.Equal(pg) {
				return Protection{Known: true, By: "primary group " + g.Name}
			}
		}
	}
	if by := s.memberOf(roots, normalDN(o.DN)); by != "" {
		return Protection{Known: true, By: by}
	}
	return Protection{Known: true}
}

func sameDomain(sid, domain ntsd.SID) bool {
	d, ok := sid.Domain()
	return ok && d.Equal(domain)
}

func (s *Snapshot) domainOf(nc string) *Domain {
	n := normalDN(nc)
	for _, d := range s.Domains {
		if normalDN(d.NC) == n {
			return d
		}
	}
	return nil
}

// protectedRoots are the groups read that protect objects of domain d.
func (s *Snapshot) protectedRoots(d *Domain) []*Group {
	want := map[string]bool{}
	for _, rid := range domainProtectedRIDs {
		want[d.SID.WithRID(rid).String()] = true
	}
	if root := s.domainOf(s.RootNC); root != nil && !root.SID.IsZero() {
		for _, rid := range rootProtectedRIDs {
			want[root.SID.WithRID(rid).String()] = true
		}
	}
	for _, rid := range builtinProtected {
		if bit := exMaskBit[rid]; bit != 0 && s.AdminSDExMask&bit != 0 {
			continue
		}
		want[builtinDomain.WithRID(rid).String()] = true
	}
	var out []*Group
	for _, g := range s.Groups {
		if want[g.SID.String()] {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DN < out[j].DN })
	return out
}

// memberOf walks group membership breadth-first from the roots and names
// the root group through which dn is a member ("" = not a member).
func (s *Snapshot) memberOf(roots []*Group, dn string) string {
	type item struct {
		g    *Group
		root *Group
	}
	seen := map[string]bool{}
	var queue []item
	for _, g := range roots {
		queue = append(queue, item{g, g})
		seen[normalDN(g.DN)] = true
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, m := range it.g.Members {
			k := normalDN(m)
			if k == dn {
				if it.g == it.root {
					return "member of " + it.root.Name
				}
				return fmt.Sprintf("member of %s through %s", it.root.Name, it.g.Name)
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			if g := s.Groups[k]; g != nil {
				queue = append(queue, item{g, it.root})
			}
		}
	}
	return ""
}
