package ad

import (
	"fmt"
	"strconv"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
)

// objects reads the failing objects of domain d, BatchSize per search, with
// their DACL (SD flags: DACL only, which Authenticated Users may read).
func (r *reader) objects(c ldap.Conn, d *Domain) {
	var batch []string
	flush := func() {
		if len(batch) == 0 {
			return
		}
		r.objectBatch(c, d, batch, r.s.Objects, false)
		batch = batch[:0]
	}
	seen := map[string]bool{}
	for _, dn := range r.req.Objects {
		key := normalDN(dn)
		if seen[key] {
			continue
		}
		seen[key] = true
		if strings.HasPrefix(key, "invalid:") {
			r.s.Objects[key] = &Object{DN: dn, Err: "not a valid DN"}
			continue
		}
		if got := r.domainOf([]*Domain{d}, dn); got == nil {
			continue
		}
		r.s.Objects[key] = &Object{DN: dn, DomainNC: d.NC}
		batch = append(batch, dn)
		if len(batch) == r.req.BatchSize {
			flush()
		}
	}
	flush()
	for _, o := range r.s.Objects {
		if o.DomainNC == d.NC && !o.Found && o.Err == "" {
			o.Err = fmt.Sprintf("not found in %s on %s (moved, renamed or deleted since the export was attempted)", d.DNSName, c.Server())
		}
	}
}

// objectBatch reads dns into into; containers also asks sDRightsEffective.
func (r *reader) objectBatch(c ldap.Conn, d *Domain, dns []string, into map[string]*Object, containers bool) {
	vals := make([]string, len(dns))
	for i, dn := range dns {
		vals[i] = escapeValue(dn)
	}
	attrs := objectAttrs
	if containers {
		attrs = append(append([]string{}, objectAttrs...), "sDRightsEffective")
	}
	es, err := r.search(c, d.NC, ldap.ScopeSubtree, anyOf("distinguishedName", vals), attrs, ldap.SDFlagsControl(ldap.SDDACL))
	if err != nil {
		msg := fmt.Sprintf("could not be read on %s: %v", c.Server(), err)
		r.warn("directory-objects-unreadable", d.NC, "%d objects in %s %s", len(dns), d.DNSName, msg)
		for _, dn := range dns {
			into[normalDN(dn)].Err = msg
		}
		return
	}
	for _, e := range es {
		o := into[normalDN(e.DN)]
		if o == nil {
			continue // the server answered with something we did not ask for
		}
		o.Found = true
		o.ObjectClass = strs(e.Values("objectClass"))
		o.AdminCount = intAttr(e, "adminCount")
		o.PrimaryGroupID = intAttr(e, "primaryGroupID")
		if containers {
			o.SDRightsEffective = intAttr(e, "sDRightsEffective")
		}
		if sid, _, err := ntsd.ParseSID(e.Value("objectSid")); err == nil {
			o.SID = sid
		}
		o.Raw = e.Value("nTSecurityDescriptor")
		if len(o.Raw) == 0 {
			o.Err = fmt.Sprintf("%s returned no security descriptor for it", c.Server())
		} else if sd, err := ntsd.Parse(o.Raw); err != nil {
			o.Err = fmt.Sprintf("its security descriptor does not parse: %v", err)
		} else {
			o.SD = sd
		}
	}
}

// containers reads the ancestors of domain d's failing objects, up to and
// including d's head, BatchSize per search, like the objects: whether an
// inheritable grant on one of them reaches an object depends on every
// DACL in between (a protected one blocks inheritance).
func (r *reader) containers(c ldap.Conn, d *Domain) {
	head, err := ldap.ParseDN(d.NC)
	if err != nil {
		return
	}
	var batch []string
	for _, o := range r.s.Objects {
		if o.DomainNC != d.NC || !o.Found {
			continue
		}
		p, err := ldap.ParseDN(o.DN)
		if err != nil {
			continue
		}
		for len(p) > len(head) {
			p = p.Parent()
			key := p.Normal()
			if _, seen := r.s.Containers[key]; seen {
				break // its ancestors are queued already
			}
			r.s.Containers[key] = &Object{DN: p.String(), DomainNC: d.NC}
			batch = append(batch, p.String())
		}
	}
	for len(batch) > 0 {
		n := min(len(batch), r.req.BatchSize)
		r.objectBatch(c, d, batch[:n], r.s.Containers, true)
		batch = batch[n:]
	}
	for _, o := range r.s.Containers {
		if o.DomainNC == d.NC && !o.Found && o.Err == "" {
			o.Err = fmt.Sprintf("not found in %s on %s", d.DNSName, c.Server())
		}
	}
}

func intAttr(e *ldap.Entry, name string) *int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(e.String(name)), 10, 64)
	if err != nil {
		return nil
	}
	return &v
}

func (r *reader) markObjects(d *Domain, msg string) {
	for _, dn := range r.req.Objects {
		if r.domainOf([]*Domain{d}, dn) == nil {
			continue
		}
		key := normalDN(dn)
		if _, ok := r.s.Objects[key]; !ok {
			r.s.Objects[key] = &Object{DN: dn, DomainNC: d.NC, Err: msg}
		}
	}
}

// groups reads, in one search, the groups that can confer protection in
// domain d: the well-known protected groups by SID, and every group with
// adminCount=1 (nested groups SDProp has reached). root asks for the forest
// root's groups (Schema, Enterprise and Enterprise Key Admins) only.
func (r *reader) groups(c ldap.Conn, d *Domain, root bool) {
	if d.SID.IsZero() {
		return
	}
	var sids []string
	rids := domainProtectedRIDs
	if root {
		rids = nil
	}
	if root || normalDN(d.NC) == normalDN(r.s.RootNC) {
		rids = append(append([]uint32{}, rids...), rootProtectedRIDs...)
	}
	for _, rid := range rids {
		sids = append(sids, escapeBytes(d.SID.WithRID(rid).Bytes()))
	}
	filter := "(&(objectClass=group)" + anyOf("objectSid", sids) + ")"
	if !root {
		for _, rid := range builtinProtected {
			sids = append(sids, escapeBytes(builtinDomain.WithRID(rid).Bytes()))
		}
		filter = "(&(objectClass=group)(|(adminCount=1)" + anyOf("objectSid", sids) + "))"
	}
	es, err := r.search(c, d.NC, ldap.ScopeSubtree, filter, []string{"objectSid", "member", "sAMAccountName"})
	if err != nil {
		r.warn("directory-groups-unreadable", d.NC, "the protected groups of %s could not be read on %s (%v): stale adminCount cannot be told from protection", d.DNSName, c.Server(), err)
		return
	}
	if !root {
		d.MembershipKnown = true
	}
	for _, e := range es {
		sid, _, err := ntsd.ParseSID(e.Value("objectSid"))
		if err != nil {
			continue
		}
		r.s.Groups[normalDN(e.DN)] = &Group{DN: e.DN, SID: sid, Name: e.String("sAMAccountName"), Members: r.members(c, e)}
	}
}

// maxRangeRounds bounds ranged retrieval of one group's members.
const maxRangeRounds = 200

// members returns all values of member. A Windows DC returns at most
// MaxValRange (1,500 or 5,000) values per request, as "member;range=0-1499";
// the rest is fetched with BASE reads of "member;range=<next>-*", so a big
// protected group is never mistaken for an empty one (which would call its
// members stale). Only groups that large cost extra operations.
func (r *reader) members(c ldap.Conn, e *ldap.Entry) []string {
	vals, next := rangedValues(e, "member")
	for round := 0; next >= 0; round++ {
		if round == maxRangeRounds {
			r.warn("directory-group-members-truncated", e.DN, "%s has more members than %d ranged reads return; membership through it may be incomplete", e.DN, maxRangeRounds)
			break
		}
		es, err := r.search(c, e.DN, ldap.ScopeBase, "(objectClass=*)", []string{fmt.Sprintf("member;range=%d-*", next)})
		if err != nil || len(es) != 1 {
			r.warn("directory-group-members-truncated", e.DN, "the members of %s beyond the first %d could not be read: %v", e.DN, next, err)
			break
		}
		more, n := rangedValues(es[0], "member")
		vals = append(vals, more...)
		if n >= 0 && n <= next {
			break // no progress: never loop on a confused server
		}
		next = n
	}
	return vals
}

// rangedValues returns the values of attr, plain or ranged
// ("attr;range=low-high"), and the next low bound to ask for (-1 when the
// range ended with "*" or the attribute was not ranged).
func rangedValues(e *ldap.Entry, attr string) ([]string, int) {
	if v := e.Values(attr); v != nil {
		return strs(v), -1
	}
	prefix := strings.ToLower(attr) + ";range="
	for _, a := range e.Attributes {
		name := strings.ToLower(a.Name)
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		_, high, ok := strings.Cut(name[len(prefix):], "-")
		if !ok || high == "*" {
			return strs(a.Values), -1
		}
		n, err := strconv.Atoi(high)
		if err != nil {
			return strs(a.Values), -1
		}
		return strs(a.Values), n + 1
	}
	return nil, -1
}

// rootGroups reads the forest root's protected groups when the root domain
// was not read itself but a child domain was (Enterprise Admins can make a
// child's user protected).
func (r *reader) rootGroups(all []*Domain) {
	root := domainByNC(all, r.s.RootNC)
	if root == nil {
		return
	}
	for _, d := range r.s.Domains {
		if d == root {
			return
		}
	}
	c, err := r.conn(root)
	if err != nil {
		r.warn("directory-root-unreachable", root.DNSName, "the forest root %s could not be reached (%v): membership in Enterprise or Schema Admins is unknown", root.DNSName, err)
		return
	}
	if err := r.head(c, root); err != nil {
		r.warn("directory-root-unreadable", root.NC, "%v", err)
		return
	}
	r.groups(c, root, true)
}
