package detect

import (
	"fmt"
	"sort"
	"strings"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// The OU grant (shape (b) of "never broaden access"): for the failing
// objects of one ou-permission-missing diagnosis, one inheritable,
// attribute- and class-scoped ACE per target container. A target is the
// container whose blocked inheritance is why the objects do not inherit
// the grant, else the object's parent; a target below another target of
// the same class collapses into it when nothing between blocks
// inheritance. Objects it cannot reach stay manual, with the reason.

// ouClasses are the classes an OU grant may reach (what Entra Connect
// writes back to), by lower-case lDAPDisplayName.
var ouClasses = map[string]string{"user": "user", "inetorgperson": "inetOrgPerson", "group": "group", "contact": "contact"}

// ouTargetClasses are the containers an OU grant may be written on.
var ouTargetClasses = map[string]bool{"organizationalunit": true, "container": true, "domaindns": true}

// OUTargetClass: an OU grant may be written on (and so reverted from) an
// object of this structural class.
func OUTargetClass(class string) bool { return ouTargetClasses[strings.ToLower(class)] }

// ouRights is what the OU grant allows: Read and Write Property.
const ouRights = ntsd.RightReadProperty | ntsd.RightWriteProperty

// ouTarget is one planned OU change of a diagnosis.
type ouTarget struct {
	dn, class string
	classGUID ntsd.GUID
	blocked   bool // inheritance is blocked on the target itself
	head      bool // the target is the domain head
	objects   []string
}

// planOU decides the targets of diagnosis g, and for every object it
// leaves out, why.
func planOU(g *diagnosis) (targets []*ouTarget, left []string) {
	s := g.forest.Snapshot
	byKey := map[string]*ouTarget{}
	for _, dn := range g.dns {
		t, why := ouTargetOf(s, g, dn)
		if why != "" {
			left = append(left, dn+": "+why)
			continue
		}
		k := normalKey(t.dn) + "|" + strings.ToLower(t.class)
		if have := byKey[k]; have != nil {
			have.objects = append(have.objects, dn)
			continue
		}
		t.objects = []string{dn}
		byKey[k] = t
		targets = append(targets, t)
	}
	targets = collapse(s, targets)
	sort.Slice(targets, func(i, j int) bool {
		if targets[i].dn != targets[j].dn {
			return targets[i].dn < targets[j].dn
		}
		return targets[i].class < targets[j].class
	})
	return targets, left
}

// ouTargetOf is where the grant for one object goes, or why there is none.
func ouTargetOf(s *ad.Snapshot, g *diagnosis, dn string) (*ouTarget, string) {
	o := s.Objects[normalKey(dn)]
	switch {
	case o == nil || !o.Found || o.SD == nil:
		return nil, "the object could not be read"
	case o.AdminCount != nil && *o.AdminCount != 0:
		return nil, "adminCount=1 (a protected or formerly protected account): the protection task would replace an inherited grant; its plan stays AdminSDHolder"
	case o.SD.DACLProtected():
		return nil, "inheritance is disabled on the object itself: no inheritable grant reaches it"
	}
	class, ok := ouClasses[strings.ToLower(o.StructuralClass())]
	if !ok {
		return nil, fmt.Sprintf("its class %s is not one an OU grant reaches (user, inetOrgPerson, group, contact)", o.StructuralClass())
	}
	cg := s.Classes[strings.ToLower(class)]
	if cg.IsZero() {
		return nil, "the schema GUID of its class " + class + " was not read"
	}
	p, err := ldap.ParseDN(dn)
	head, err2 := ldap.ParseDN(o.DomainNC)
	if err != nil || err2 != nil || len(p) <= len(head) {
		return nil, "its DN is not below its domain's head"
	}
	// The nearest container with blocked inheritance is the cause when
	// there is one; otherwise the parent. Every container up to the target
	// must have been read.
	var parent *ad.Object
	for q := p.Parent(); len(q) >= len(head); q = q.Parent() {
		c := s.Containers[q.Normal()]
		if c == nil || !c.Found || c.SD == nil {
			return nil, "its parent container " + q.String() + " could not be read"
		}
		if parent == nil {
			parent = c
		}
		if c.SD.DACLProtected() {
			return &ouTarget{dn: c.DN, class: class, classGUID: cg, blocked: true, head: len(q) == len(head)}, reachWhy(s, g, o, cg)
		}
	}
	return &ouTarget{dn: parent.DN, class: class, classGUID: cg, head: len(p) == len(head)+1}, reachWhy(s, g, o, cg)
}

// reachWhy simulates the inherited copy of the grant on o and evaluates
// the write through the one access model: "" when it would be allowed.
func reachWhy(s *ad.Snapshot, g *diagnosis, o *ad.Object, class ntsd.GUID) string {
	if g.account == nil || !g.account.Found || g.attr == nil || !g.attr.Found {
		return "the connector account or the attribute was not resolved"
	}
	ace := ntsd.NewInheritableObjectAllow(ouRights, g.attr.SchemaIDGUID, class, g.account.SID)
	sd, err := ntsd.Parse(o.SD.Marshal())
	if err != nil || sd.DACL == nil {
		return "its descriptor could not be copied for the check"
	}
	sd.DACL.Insert(ntsd.InheritedCopy(ace, true))
	if dec := ntsd.CheckWriteProperty(sd, s.WriteCheck(g.account, o, g.attr)); !dec.Allowed {
		return "the grant would not make it writable: " + dec.Reason
	}
	return ""
}

// collapse merges a target into a target of the same class above it when
// no container from just below the upper one down to the lower one blocks
// inheritance: fewer ACEs, the same reach.
func collapse(s *ad.Snapshot, ts []*ouTarget) []*ouTarget {
	sort.Slice(ts, func(i, j int) bool { return len(dnOf(ts[i].dn)) < len(dnOf(ts[j].dn)) })
	var out []*ouTarget
next:
	for _, t := range ts {
		for _, up := range out {
			if up.class == t.class && inheritsFrom(s, t.dn, up.dn) {
				up.objects = append(up.objects, t.objects...)
				continue next
			}
		}
		out = append(out, t)
	}
	return out
}

func dnOf(dn string) ldap.DN {
	p, _ := ldap.ParseDN(dn)
	return p
}

// inheritsFrom: dn is strictly below up, and every container from dn up
// to (not including) up was read and does not block inheritance.
func inheritsFrom(s *ad.Snapshot, dn, up string) bool {
	p, u := dnOf(dn), dnOf(up)
	if len(p) <= len(u) || p[len(p)-len(u):].Normal() != u.Normal() {
		return false
	}
	for q := p; len(q) > len(u); q = q.Parent() {
		c := s.Containers[q.Normal()]
		if c == nil || !c.Found || c.SD == nil || c.SD.DACLProtected() {
			return false
		}
	}
	return true
}

// ouChange builds the change for one target of g.
func ouChange(g *diagnosis, t *ouTarget, id string, host HostRole) schema.Change {
	ace := ntsd.NewInheritableObjectAllow(ouRights, g.attr.SchemaIDGUID, t.classGUID, g.account.SID)
	c := g.forest.Snapshot.Containers[normalKey(t.dn)]
	return schema.Change{
		ID: id, Action: schema.ActionAddOUACE, Domain: g.dom.DNSName, DomainSID: g.dom.SID.String(),
		TargetDN: t.dn, Server: ouServer(g.dom, host),
		TrusteeSID: g.account.SID.String(), TrusteeName: g.forest.Account,
		Right: OURight, Attribute: g.attr.Name, AttributeGUID: g.attr.SchemaIDGUID.String(),
		Class: t.class, ClassGUID: t.classGUID.String(),
		ACE: ace.SDDL(&g.dom.SID), WritableHere: host.dcOf(g.dom) || (c != nil && c.SDRightsEffective != nil && *c.SDRightsEffective&sdRightWriteDAC != 0),
	}
}

// OURight names shape (b)'s rights in a change.
const OURight = "ReadProperty,WriteProperty"

// ouServer: an OU write goes to any writable DC of the domain (not PDC
// bound): this DC when the host is one of d, else the DC d was read from.
func ouServer(d *ad.Domain, host HostRole) string {
	if host.dcOf(d) && host.FQDN != "" {
		return host.FQDN
	}
	if d.Server != "" {
		return d.Server
	}
	return serverOf(d)
}

// ouSubject is what Grantable judges for one OU target of g.
func ouSubject(g *diagnosis, t *ouTarget) GrantSubject {
	s := GrantSubject{Named: g.d.Attribute, Class: t.class, ClassGUID: t.classGUID, Target: t.dn}
	if g.dom != nil {
		s.DomainSID, s.DomainNC = g.dom.SID, g.dom.NC
	}
	if c := g.forest.Snapshot.Containers[normalKey(t.dn)]; c != nil {
		s.TargetClass = c.StructuralClass()
	}
	if g.attr != nil && g.attr.Found {
		s.Attribute, s.AttributeGUID = g.attr.Name, g.attr.SchemaIDGUID
	}
	if g.account != nil && g.account.Found {
		s.Account, s.AccountFound = g.account.SID, true
	}
	return s
}

// grantableOU is shape (b)'s part of Grantable.
func grantableOU(s GrantSubject) error {
	t, terr := ldap.ParseDN(s.Target)
	nc, nerr := ldap.ParseDN(s.DomainNC)
	switch {
	case ouClasses[strings.ToLower(s.Class)] == "" || s.ClassGUID.IsZero():
		return fmt.Errorf("the class %q is not one an OU grant may reach (user, inetOrgPerson, group, contact), resolved from the schema", s.Class)
	case !ouTargetClasses[strings.ToLower(s.TargetClass)]:
		return fmt.Errorf("the target %s is a %q, not an OU, container or domain head", s.Target, s.TargetClass)
	case terr != nil || nerr != nil || len(t) < len(nc) || t[len(t)-len(nc):].Normal() != nc.Normal():
		return fmt.Errorf("the target %s is not in the domain %s", s.Target, s.DomainNC)
	case t.Normal() == dnOf(ad.AdminSDHolderDN(s.DomainNC)).Normal():
		return fmt.Errorf("an inheritable grant is never written on AdminSDHolder")
	}
	return nil
}

// ouNextStep says what the plan does for an OU diagnosis, and what not.
func ouNextStep(ts []*ouTarget, left []string) string {
	var parts []string
	for _, t := range ts {
		why := "the lowest container holding them"
		switch {
		case t.blocked && t.head:
			why = "the domain head"
		case t.blocked:
			why = "inheritance is blocked on it, so grants above it do not reach them"
		case t.head:
			why = "the domain head: they sit directly under it, so the grant reaches every " + t.class + " in the domain that inherits"
		}
		parts = append(parts, fmt.Sprintf("%d %s object(s) through an inheritable grant on %s (%s)", len(t.objects), t.class, t.dn, why))
	}
	out := ""
	if len(parts) > 0 {
		out = "Approve the plan: it reaches " + strings.Join(parts, "; ") + ". Read and Write Property on this attribute only, for that class only; then a sync cycle."
	}
	if len(left) > 0 {
		if out != "" {
			out += " "
		}
		shown := left
		if len(shown) > 3 {
			shown = append(append([]string{}, left[:3]...), fmt.Sprintf("and %d more", len(left)-3))
		}
		out += "Not planned, use the lines below: " + strings.Join(shown, "; ") + "."
	}
	return out
}

// ouManual is the manual equivalent of one OU change: dsacls on that
// container, inherit-only for that class.
func ouManual(c schema.Change) string {
	perm := permArg(c.TrusteeName, "RPWP", c.Attribute, c.Class)
	if perm == "" {
		return "# no dsacls line: the account's name holds a dsacls separator (: or ;); approve the plan instead"
	}
	target := c.TargetDN
	if hostRE.MatchString(c.Server) {
		target = `\\` + c.Server + `\` + c.TargetDN
	}
	return dsaclsLine("approve the plan instead: entra8344 writes exactly this ACE", target, sw("/G"), val(perm), sw("/I:S"))
}

// ouRiskNotes are what an approver must know about OU changes.
func ouRiskNotes(cs []schema.Change) []schema.RiskNote {
	var targets []string
	for _, c := range cs {
		if c.Action == schema.ActionAddOUACE {
			targets = append(targets, fmt.Sprintf("%s on %s (%s)", c.Attribute, c.TargetDN, c.Class))
		}
	}
	if len(targets) == 0 {
		return nil
	}
	return []schema.RiskNote{
		{ID: "ou-reach", Text: "Each OU change reaches every current and future object of its class below that container whose inheritance is on (" + strings.Join(targets, "; ") + "); it does not reach protected accounts (their inheritance is off) nor objects where inheritance is disabled."},
		{ID: "ou-scope", Text: "It lets the connector account read and write that one attribute on those objects, nothing else: no password reset, no group membership, no create or delete. Microsoft's ADSyncConfig cmdlets grant more (Set-ADSyncExchangeHybridPermissions: read and write all properties on users, groups, contacts and inetOrgPersons)."},
		{ID: "ou-visible", Text: "Defenders' tools show it as an inheritable ACE for the connector account on the OU (BloodHound: a WriteProperty edge for that attribute to each object below; Windows event 5136 on the OU). Tell the customer's security team."},
		{ID: "ou-reversible", Text: "Undo: entra8344 revert --journal <id> removes exactly that ACE, and AD removes its inherited copies from the objects below. By hand, remove only this entry (Active Directory Users and Computers > the OU > Security > Advanced); dsacls /R would remove every ACE of the account."},
	}
}
