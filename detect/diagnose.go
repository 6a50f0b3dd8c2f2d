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

// Failing is one permission-8344 object of an AD connector.
type Failing struct {
	DN         string
	Attributes []string
}

// ForestFacts is what the directory said for one AD connector.
type ForestFacts struct {
	Connector string
	Account   string // DOMAIN\user as configured
	Snapshot  *ad.Snapshot
	Err       string // the directory could not be read at all
	Failing   []Failing
}

// maxEvidence caps the objects listed per diagnosis (all are counted).
const maxEvidence = 20

type diagKey struct {
	kind                         schema.DiagnosisKind
	connector, domain, attribute string
}

// diagnosis accumulates one schema.Diagnosis.
type diagnosis struct {
	key     diagKey
	d       schema.Diagnosis
	forest  *ForestFacts
	account *ad.Account
	attr    *ad.Attribute
	dom     *ad.Domain
	dns     []string // every object DN, for the manual lines
	stale   *ad.Principal
	// ineffective: AdminSDHolder's allow ACEs for the account that would
	// grant the attribute but do not apply (inherit-only, another class).
	ineffective []ntsd.ACE
	// deny: the deny on AdminSDHolder that the task copies onto the objects.
	deny *ntsd.ACE
}

// Diagnose classifies every failing object of every AD connector with the
// evidence read from the directory. It is pure: the same facts give the
// same diagnoses. objKinds maps connector -> normalized DN -> kinds.
func Diagnose(forests []*ForestFacts) (diags []*diagnosis, objKinds map[string]map[string][]schema.DiagnosisKind) {
	byKey := map[diagKey]*diagnosis{}
	objKinds = map[string]map[string][]schema.DiagnosisKind{}
	configured := configuredSIDs(forests)
	staleSeen := map[string]bool{}
	for _, f := range forests {
		if f.Snapshot == nil {
			continue
		}
		acct := accountOf(f)
		kinds := map[string][]schema.DiagnosisKind{}
		objKinds[f.Connector] = kinds
		for _, fo := range f.Failing {
			attrs := fo.Attributes
			if len(attrs) == 0 {
				attrs = []string{""}
			}
			o := f.Snapshot.Objects[normalKey(fo.DN)]
			for _, name := range attrs {
				ev, kind, reason := classifyOne(f.Snapshot, acct, o, fo.DN, name)
				dom := ""
				var d *ad.Domain
				if o != nil {
					d = domainByNC(f.Snapshot, o.DomainNC)
					if d != nil {
						dom = d.DNSName
					}
				}
				k := diagKey{kind, f.Connector, dom, name}
				g := byKey[k]
				if g == nil {
					g = &diagnosis{key: k, forest: f, account: acct, dom: d, attr: f.Snapshot.Attributes[strings.ToLower(name)],
						d: schema.Diagnosis{Kind: kind, Connector: f.Connector, Domain: dom, Attribute: name,
							Objects: []schema.ObjectEvidence{}, AdminSDHolderACEs: []string{}, Manual: []string{}, Changes: []string{}}}
					if reason != "" {
						g.d.Explanation = reason
					}
					byKey[k] = g
				}
				g.d.ObjectCount++
				g.dns = append(g.dns, fo.DN)
				if len(g.d.Objects) < maxEvidence {
					g.d.Objects = append(g.d.Objects, ev)
				} else {
					g.d.ObjectsOmitted++
				}
				nk := normalKey(fo.DN)
				if !hasKind(kinds[nk], kind) {
					kinds[nk] = append(kinds[nk], kind)
				}
			}
		}
		for _, d := range f.Snapshot.Domains {
			for _, g := range staleACEs(f, d, configured) {
				if id := d.NC + "|" + g.key.attribute; !staleSeen[id] {
					staleSeen[id] = true
					byKey[g.key] = g
				}
			}
		}
	}
	for _, g := range byKey {
		diags = append(diags, g)
	}
	sort.Slice(diags, func(i, j int) bool { return lessKey(diags[i].key, diags[j].key) })
	for i, g := range diags {
		g.d.ID = fmt.Sprintf("D%d", i+1)
		g.d.AdminSDHolderACEs = holderACEs(g)
		if g.d.Kind != schema.DiagStaleConnectorACE {
			g.ineffective = holderIneffective(g)
			for _, a := range g.ineffective {
				g.d.AdminSDHolderACEs = append(g.d.AdminSDHolderACEs, a.SDDL(&g.dom.SID))
			}
		}
		if g.d.Kind == schema.DiagExplicitDeny {
			g.deny = holderDeny(g)
		}
		describe(g)
	}
	return diags, objKinds
}

func hasKind(ks []schema.DiagnosisKind, k schema.DiagnosisKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

var diagOrder = func() map[schema.DiagnosisKind]int {
	m := map[schema.DiagnosisKind]int{}
	for i, k := range schema.DiagnosisKinds {
		m[k] = i
	}
	return m
}()

func lessKey(a, b diagKey) bool {
	if a.kind != b.kind {
		return diagOrder[a.kind] < diagOrder[b.kind]
	}
	if a.connector != b.connector {
		return a.connector < b.connector
	}
	if a.domain != b.domain {
		return a.domain < b.domain
	}
	return a.attribute < b.attribute
}

func normalKey(dn string) string {
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return "invalid:" + strings.ToLower(dn)
	}
	return p.Normal()
}

func domainByNC(s *ad.Snapshot, nc string) *ad.Domain {
	k := normalKey(nc)
	for _, d := range s.Domains {
		if normalKey(d.NC) == k {
			return d
		}
	}
	return nil
}

func accountOf(f *ForestFacts) *ad.Account {
	for _, a := range f.Snapshot.Accounts {
		if a.Ref.Connector == f.Connector {
			return a
		}
	}
	return nil
}

func configuredSIDs(forests []*ForestFacts) map[string]bool {
	out := map[string]bool{}
	for _, f := range forests {
		if f.Snapshot == nil {
			continue
		}
		for _, a := range f.Snapshot.Accounts {
			if a.Found {
				out[a.SID.String()] = true
			}
		}
	}
	return out
}

// classifyOne decides why the connector account cannot write attribute name
// on the object. The order matters: what the object's own DACL says first
// (a grant or an explicit deny decides), then protection.
func classifyOne(s *ad.Snapshot, acct *ad.Account, o *ad.Object, dn, name string) (schema.ObjectEvidence, schema.DiagnosisKind, string) {
	ev := schema.ObjectEvidence{DN: dn, ACEs: []string{}}
	switch {
	case acct == nil || !acct.Found:
		why := "the connector account could not be resolved in the directory"
		if acct != nil && acct.Err != "" {
			why = "the connector account could not be resolved: " + acct.Err
		}
		ev.Decision = why
		return ev, schema.DiagNotEvaluated, ""
	case o == nil:
		ev.Decision = "no domain of this forest holds the object"
		return ev, schema.DiagNotEvaluated, ""
	case !o.Found || o.SD == nil:
		ev.Decision = "the object could not be read: " + o.Err
		return ev, schema.DiagNotEvaluated, ""
	case name == "":
		ev.Decision = "csexport names no attribute for this export"
		return ev, schema.DiagNotEvaluated, ""
	}
	a := s.Attributes[strings.ToLower(name)]
	if a == nil || !a.Found {
		ev.Decision = fmt.Sprintf("the attribute %s is not in the schema (or the schema could not be read)", name)
		return ev, schema.DiagNotEvaluated, ""
	}
	d := domainByNC(s, o.DomainNC)
	var dsid *ntsd.SID
	if d != nil {
		dsid = &d.SID
	}
	ev.AdminCount = o.AdminCount
	ev.DACLProtected = o.SD.DACLProtected()
	var holder *ad.AdminSDHolder
	if d != nil {
		holder = d.AdminSDHolder
	}
	ev.MatchesAdminSDHolder = holder != nil && holder.SD != nil && sameACEs(o.SD.DACL, holder.SD.DACL)
	prot := s.ProtectionOf(o)
	if prot.Known {
		by := prot.By
		if by == "" {
			by = "not a member of any protected group"
		}
		ev.ProtectedBy = &by
	}
	q := s.WriteCheck(acct, o, a)
	dec := ntsd.CheckWriteProperty(o.SD, q)
	ev.Decision = dec.Reason
	if n := len(dec.Unevaluated); n > 0 {
		// Callback or conditional ACEs: a DC may decide differently.
		ev.Decision += fmt.Sprintf(" (%d ACEs of a kind this tool cannot evaluate may change that on a DC)", n)
	}
	if dec.ACE >= 0 {
		ev.Decision += " (" + originOf(s, o, dec.ACE, holder) + ")"
	}
	self := "the object itself"
	if c := strings.ToLower(o.StructuralClass()); c == "user" || c == "inetorgperson" || c == "computer" {
		self = "the account itself"
	}
	if t := ineffectiveText(o.SD, q, dsid, self); t != "" && !dec.Allowed {
		ev.Decision += "; " + t
	}
	ev.ACEs = evidenceACEs(o.SD, acct, a, dsid)
	if dec.Allowed {
		return ev, schema.DiagAccessGrantedNow, ""
	}
	if dec.ACE >= 0 {
		return ev, schema.DiagExplicitDeny, ""
	}
	adminCount := o.AdminCount != nil && *o.AdminCount != 0
	switch {
	case adminCount && ev.DACLProtected:
		if prot.Known && prot.By == "" {
			return ev, schema.DiagStaleAdminCount, ""
		}
		if ad.IsPasswordAttribute(name) {
			return ev, schema.DiagPasswordWritebackProtected, ""
		}
		if holder == nil || holder.SD == nil {
			ev.Decision += "; AdminSDHolder could not be read, so the fix cannot be planned"
			return ev, schema.DiagNotEvaluated, ""
		}
		// AdminSDHolder's DACL is what the task stamps onto this object.
		hd := ntsd.CheckWriteProperty(holder.SD, q)
		if t := ineffectiveText(holder.SD, q, dsid, "AdminSDHolder itself, and so, copied verbatim, not to any admin account"); t != "" && !hd.Allowed {
			ev.Decision += "; on AdminSDHolder: " + t
		}
		switch {
		case hd.Allowed:
			ev.Decision += "; on AdminSDHolder: " + hd.Reason
			return ev, schema.DiagProtectTaskPending, ""
		case hd.ACE >= 0:
			ev.Decision += "; on AdminSDHolder: " + hd.Reason
			return ev, schema.DiagExplicitDeny, ""
		case !ad.Allowlisted(name):
			return ev, schema.DiagAttributeNotAllowlisted, ""
		}
		return ev, schema.DiagAdminSDHolderWritebackDenied, ""
	case ev.DACLProtected:
		return ev, schema.DiagInheritanceDisabled, ""
	}
	return ev, schema.DiagOUPermissionMissing, ""
}

// sameACEs compares two DACLs as multisets of ACEs: the protection task
// copies AdminSDHolder's DACL verbatim, but a DC may re-sort it.
func sameACEs(a, b *ntsd.ACL) bool {
	if a == nil || b == nil {
		return a == b
	}
	if len(a.ACEs) != len(b.ACEs) {
		return false
	}
	count := map[string]int{}
	for _, x := range a.ACEs {
		count[string(x.Bytes())]++
	}
	for _, x := range b.ACEs {
		k := string(x.Bytes())
		if count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}

// relevantACEs are the ACEs of sd that can grant or deny Write-Property on
// attribute a to one of sids (SDDL), in DACL order.
func relevantACEs(sd *ntsd.SecurityDescriptor, sids []ntsd.SID, a *ad.Attribute, dom *ntsd.SID) []string {
	out := []string{}
	if sd == nil || sd.DACL == nil {
		return out
	}
	for _, ace := range sd.DACL.ACEs {
		if !ace.Known() || ace.IsInheritOnly() || !(ace.IsAllow() || ace.IsDeny()) || !sidIn(ace.SID, sids) {
			continue
		}
		if ace.Mask&(ntsd.RightWriteProperty|ntsd.GenericAll|ntsd.GenericWrite) == 0 {
			continue
		}
		if ace.IsObject() && ace.ObjectFlags&ntsd.ObjectTypePresent != 0 &&
			ace.ObjectType != a.SchemaIDGUID && (a.PropertySet.IsZero() || ace.ObjectType != a.PropertySet) {
			continue
		}
		out = append(out, ace.SDDL(dom))
	}
	return out
}

// maxEvidenceACEs caps the ACEs listed per object.
const maxEvidenceACEs = 12

// evidenceACEs shows what the object's DACL holds for the account: every ACE
// whose trustee is the account or one of its groups (grants for other
// attributes included: they show the OU grants did arrive), and any ACE for
// Everyone or Authenticated Users that can decide this write.
func evidenceACEs(sd *ntsd.SecurityDescriptor, acct *ad.Account, a *ad.Attribute, dom *ntsd.SID) []string {
	out := []string{}
	if sd == nil || sd.DACL == nil {
		return out
	}
	own := append([]ntsd.SID{acct.SID}, acct.Groups...)
	relevant := map[string]bool{}
	for _, s := range relevantACEs(sd, acct.SIDs(), a, dom) {
		relevant[s] = true
	}
	for _, ace := range sd.DACL.ACEs {
		if !ace.Known() {
			continue
		}
		s := ace.SDDL(dom)
		if (sidIn(ace.SID, own) || relevant[s]) && len(out) < maxEvidenceACEs {
			out = append(out, s)
		}
	}
	return out
}

func sidIn(s ntsd.SID, set []ntsd.SID) bool {
	for _, x := range set {
		if x.Equal(s) {
			return true
		}
	}
	return false
}

// holderACEs: the AdminSDHolder ACEs that concern a diagnosis's trustee and attribute.
func holderACEs(g *diagnosis) []string {
	if g.d.Kind == schema.DiagStaleConnectorACE {
		return g.d.AdminSDHolderACEs
	}
	if g.dom == nil || g.dom.AdminSDHolder == nil || g.dom.AdminSDHolder.SD == nil || g.account == nil || !g.account.Found || g.attr == nil || !g.attr.Found {
		return []string{}
	}
	return relevantACEs(g.dom.AdminSDHolder.SD, g.account.SIDs(), g.attr, &g.dom.SID)
}
