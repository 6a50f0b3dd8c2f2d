package detect

import (
	"fmt"
	"strings"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
)

// Where the ACEs that decide (or fail to decide) a write sit: what makes a
// verdict explain itself. An ACE that would grant the write but does not
// apply (ntsd.IneffectiveGrants: inherit-only, another class) is named with
// why; a deny is named with where it sits (the object, a parent container,
// or AdminSDHolder, whose DACL the protection task copies onto every admin).

// whyNotApplied says why an ineffective ACE does not apply to self.
func whyNotApplied(why string, a ntsd.ACE, self string) string {
	switch why {
	case ntsd.NotAppliedInheritOnly:
		return "inherit-only: applies to child objects, not to " + self
	case ntsd.NotAppliedOtherClass:
		return fmt.Sprintf("restricted to objects of class %s, which %s is not", a.InheritedObjectType, self)
	}
	return "does not apply to " + self
}

// ineffectiveText describes sd's ineffective grants for q, "" when none.
func ineffectiveText(sd *ntsd.SecurityDescriptor, q ntsd.WriteCheck, dom *ntsd.SID, self string) string {
	var parts []string
	for _, in := range ntsd.IneffectiveGrants(sd, q) {
		a := sd.DACL.ACEs[in.ACE]
		parts = append(parts, fmt.Sprintf("ACE %d %s would allow Write-Property on the attribute but does not apply (%s)", in.ACE, a.SDDL(dom), whyNotApplied(in.Why, a, self)))
	}
	return strings.Join(parts, "; ")
}

// originOf says where ACE i of an object's DACL comes from: explicit on
// the object, inherited from which container (the nearest ancestor read
// whose DACL holds it as an explicit inheritable ACE), or (a protected
// object) copied from AdminSDHolder by the protection task.
func originOf(s *ad.Snapshot, o *ad.Object, i int, holder *ad.AdminSDHolder) string {
	a := o.SD.DACL.ACEs[i]
	switch {
	case a.IsInherited():
		if c := inheritedFrom(s, o, a); c != "" {
			return "inherited from " + c
		}
		return "inherited from a parent container the read did not reach"
	case o.SD.DACLProtected() && holder != nil && holder.SD != nil && holder.SD.DACL != nil && holder.SD.DACL.Index(a) >= 0:
		return "copied from AdminSDHolder by the protection task"
	}
	return "explicit on the object"
}

// inheritedFrom walks up from o's parent through the containers the read
// holds and returns the DN of the first one where an inheritable ACE that
// gives a is explicit; "" when none of those read has it. An ancestor that
// holds it only as an inherited copy passes the search on upward; one whose
// DACL is protected stops it (nothing above reaches below it).
func inheritedFrom(s *ad.Snapshot, o *ad.Object, a ntsd.ACE) string {
	if s == nil {
		return ""
	}
	p, err := ldap.ParseDN(o.DN)
	if err != nil {
		return ""
	}
	for q := p.Parent(); len(q) > 0; q = q.Parent() {
		c := s.Containers[q.Normal()]
		if c == nil || !c.Found || c.SD == nil || c.SD.DACL == nil {
			return ""
		}
		for _, b := range c.SD.DACL.ACEs {
			if b.Flags&(ntsd.ContainerInherit|ntsd.ObjectInherit) != 0 && sameGrant(a, b) && !b.IsInherited() {
				return c.DN
			}
		}
		if c.SD.DACLProtected() {
			return ""
		}
	}
	return ""
}

// sameGrant: b, inherited, gives what a gives: the same type, rights,
// trustee and object type (the flags and the inherited object type are
// what inheritance rewrites).
func sameGrant(a, b ntsd.ACE) bool {
	return a.Type == b.Type && a.Mask == b.Mask && a.SID.Equal(b.SID) &&
		a.ObjectFlags&ntsd.ObjectTypePresent == b.ObjectFlags&ntsd.ObjectTypePresent && a.ObjectType == b.ObjectType
}

// holderQuestion is the access question of a diagnosis asked of its
// domain's AdminSDHolder; false when it cannot be asked.
func holderQuestion(g *diagnosis) (ntsd.WriteCheck, *ntsd.SecurityDescriptor, bool) {
	if g.dom == nil || g.dom.AdminSDHolder == nil || g.dom.AdminSDHolder.SD == nil || g.dom.AdminSDHolder.SD.DACL == nil ||
		g.account == nil || !g.account.Found || g.attr == nil || !g.attr.Found {
		return ntsd.WriteCheck{}, nil, false
	}
	return ntsd.WriteCheck{SIDs: g.account.SIDs(), Attribute: g.attr.SchemaIDGUID, PropertySet: g.attr.PropertySet}, g.dom.AdminSDHolder.SD, true
}

// holderIneffective lists AdminSDHolder's ineffective grants for g.
func holderIneffective(g *diagnosis) []ntsd.ACE {
	q, sd, ok := holderQuestion(g)
	if !ok {
		return nil
	}
	var out []ntsd.ACE
	for _, in := range ntsd.IneffectiveGrants(sd, q) {
		out = append(out, sd.DACL.ACEs[in.ACE])
	}
	return out
}

// holderDeny is the deny ACE on AdminSDHolder that decides g's write, when
// g's objects are protected (the task copies it onto them); nil otherwise.
func holderDeny(g *diagnosis) *ntsd.ACE {
	q, sd, ok := holderQuestion(g)
	if !ok || !anyProtected(g) {
		return nil
	}
	if d := ntsd.CheckWriteProperty(sd, q); !d.Allowed && d.ACE >= 0 {
		a := sd.DACL.ACEs[d.ACE]
		return &a
	}
	return nil
}

func anyProtected(g *diagnosis) bool {
	for _, o := range g.d.Objects {
		if o.AdminCount != nil && *o.AdminCount != 0 {
			return true
		}
	}
	return false
}
