package ad

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
)

// Read reads one forest. It returns an error only when the first server
// cannot be read at all; everything later degrades into warnings and
// per-domain or per-object errors, so a partial directory still yields a
// partial diagnosis.
func Read(ctx context.Context, dialer ldap.Dialer, req Request) (*Snapshot, error) {
	r := &reader{ctx: ctx, dialer: dialer, req: req, conns: map[string]ldap.Conn{},
		s: &Snapshot{Attributes: map[string]*Attribute{}, Classes: map[string]ntsd.GUID{}, Objects: map[string]*Object{}, Containers: map[string]*Object{}, Groups: map[string]*Group{}}}
	defer r.closeAll()
	if r.req.BatchSize <= 0 {
		r.req.BatchSize = 500
	}
	c, err := dialer.Dial(ctx, req.Host)
	if err != nil {
		return nil, fmt.Errorf("connect to a domain controller%s: %w", forHost(req.Host), err)
	}
	r.first = c
	r.s.Server = c.Server()
	if err := r.rootDSE(); err != nil {
		return nil, err
	}
	domains := r.partitions()
	if err := r.confine(domains); err != nil {
		return nil, err
	}
	r.dsHeuristics()
	for _, d := range r.domainsToRead(domains) {
		r.readDomain(d)
	}
	r.rootGroups(domains)
	if r.req.ScanGrants {
		r.s.domainsAll = domains
		r.scanGrants(domains)
	}
	// The schema last: one search for the failing attributes and the
	// objects' structural classes, which are known only now.
	r.schema()
	return r.s, nil
}

// confine checks the request against the forest's own domain list, read
// from the first server, before any other server is dialled.
func (r *reader) confine(domains []*Domain) error {
	if len(r.req.ExpectNCs) > 0 {
		found := false
		for _, nc := range r.req.ExpectNCs {
			found = found || domainByNC(domains, nc) != nil
		}
		if !found {
			return &ForestError{"forest-mismatch", fmt.Sprintf("%s belongs to the forest of %s, which has none of the domains the sync engine's connector is configured for (%s): the connector's configuration and the directory disagree, so nothing was read; check the connector's partitions in the Synchronization Service Manager",
				r.s.Server, r.s.RootNC, strings.Join(r.req.ExpectNCs, "; "))}
		}
	}
	if !r.req.Confine {
		return nil
	}
	for _, dn := range r.req.Objects {
		if r.domainOf(domains, dn) == nil {
			return &ForestError{"outside-forest", fmt.Sprintf("object %q is in none of the domains of this forest (%s): only this forest's objects are read", dn, r.s.RootNC)}
		}
	}
	for _, a := range r.req.Accounts {
		if domainByName(domains, a.Domain) == nil {
			return &ForestError{"outside-forest", fmt.Sprintf("the account %s\\%s belongs to none of the domains of this forest (%s): only this forest's accounts are read", a.Domain, a.User, r.s.RootNC)}
		}
	}
	return nil
}

func forHost(h string) string {
	if h == "" {
		return ""
	}
	return " (" + h + ")"
}

type reader struct {
	ctx    context.Context
	dialer ldap.Dialer
	req    Request
	first  ldap.Conn
	conns  map[string]ldap.Conn // by domain NC (normalized)
	s      *Snapshot
}

func (r *reader) closeAll() {
	if r.first != nil {
		r.first.Close()
	}
	for _, c := range r.conns {
		if c != r.first {
			c.Close()
		}
	}
}

func (r *reader) warn(code, obj string, format string, a ...any) {
	r.s.Warnings = append(r.s.Warnings, Warning{Code: code, Message: fmt.Sprintf(format, a...), Object: obj})
}

func (r *reader) search(c ldap.Conn, base string, scope ldap.Scope, filter string, attrs []string, ctrls ...ldap.Control) ([]*ldap.Entry, error) {
	return c.Search(r.ctx, &ldap.SearchRequest{BaseDN: base, Scope: scope, Filter: filter, Attributes: attrs, Controls: ctrls})
}

func (r *reader) rootDSE() error {
	es, err := r.search(r.first, "", ldap.ScopeBase, "(objectClass=*)",
		[]string{"defaultNamingContext", "rootDomainNamingContext", "configurationNamingContext", "schemaNamingContext", "dnsHostName"})
	if err != nil {
		return fmt.Errorf("read the rootDSE of %s: %w", r.first.Server(), err)
	}
	if len(es) != 1 {
		return fmt.Errorf("read the rootDSE of %s: %d entries returned, want 1", r.first.Server(), len(es))
	}
	e := es[0]
	r.s.DefaultNC, r.s.RootNC = e.String("defaultNamingContext"), e.String("rootDomainNamingContext")
	r.s.ConfigNC, r.s.SchemaNC = e.String("configurationNamingContext"), e.String("schemaNamingContext")
	if h := e.String("dnsHostName"); h != "" {
		r.s.Server = h
	}
	if r.s.DefaultNC == "" || r.s.ConfigNC == "" || r.s.SchemaNC == "" {
		return fmt.Errorf("the rootDSE of %s names no default, configuration or schema naming context: is it an Active Directory domain controller?", r.first.Server())
	}
	if r.s.RootNC == "" {
		r.s.RootNC = r.s.DefaultNC
	}
	return nil
}

// partitions lists the forest's domains from the crossRef objects.
func (r *reader) partitions() []*Domain {
	es, err := r.search(r.first, "CN=Partitions,"+r.s.ConfigNC, ldap.ScopeOneLevel,
		"(&(objectClass=crossRef)(systemFlags:1.2.840.113556.1.4.803:=2))", []string{"nCName", "dnsRoot", "nETBIOSName"})
	var out []*Domain
	for _, e := range es {
		if nc := e.String("nCName"); nc != "" {
			out = append(out, &Domain{NC: nc, DNSName: strings.ToLower(e.String("dnsRoot")), NetBIOS: e.String("nETBIOSName")})
		}
	}
	if err != nil || len(out) == 0 {
		r.warn("directory-partitions-unreadable", "CN=Partitions,"+r.s.ConfigNC,
			"the forest's domain list could not be read (%v); only the default domain %s is known", errText(err), r.s.DefaultNC)
		out = []*Domain{{NC: r.s.DefaultNC, DNSName: ldap.DNSNameOfDN(r.s.DefaultNC)}}
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "no domain crossRef objects"
	}
	return err.Error()
}

// dsHeuristics reads dwAdminSDExMask: groups excluded from protection.
func (r *reader) dsHeuristics() {
	dn := "CN=Directory Service,CN=Windows NT,CN=Services," + r.s.ConfigNC
	es, err := r.search(r.first, dn, ldap.ScopeBase, "(objectClass=*)", []string{"dSHeuristics"})
	if err != nil {
		if !ldap.IsCode(err, ldap.ResultNoSuchObject) {
			r.warn("directory-dsheuristics-unreadable", dn, "dSHeuristics could not be read: %v", err)
		}
		return
	}
	if len(es) == 1 {
		r.s.DSHeuristics = es[0].String("dSHeuristics")
		if len(r.s.DSHeuristics) >= 16 {
			if v, err := strconv.ParseUint(r.s.DSHeuristics[15:16], 16, 8); err == nil {
				r.s.AdminSDExMask = byte(v)
			}
		}
	}
}

// schema resolves, in one search, every failing attribute (schemaIDGUID,
// attributeSecurityGUID) and the structural class of every object read (an
// object ACE for the class covers all its properties).
func (r *reader) schema() {
	var attrs, classes []string
	for _, a := range r.req.Attributes {
		key := strings.ToLower(a)
		if _, dup := r.s.Attributes[key]; dup || a == "" {
			continue
		}
		r.s.Attributes[key] = &Attribute{Name: a}
		attrs = append(attrs, escapeValue(a))
	}
	seen := map[string]bool{}
	for _, o := range r.s.Objects {
		if c := o.StructuralClass(); c != "" && !seen[strings.ToLower(c)] {
			seen[strings.ToLower(c)] = true
			classes = append(classes, escapeValue(c))
		}
	}
	var terms []string
	if len(attrs) > 0 {
		terms = append(terms, "(&(objectClass=attributeSchema)"+anyOf("lDAPDisplayName", attrs)+")")
	}
	if len(classes) > 0 {
		terms = append(terms, "(&(objectClass=classSchema)"+anyOf("lDAPDisplayName", classes)+")")
	}
	if len(terms) == 0 {
		return
	}
	filter := terms[0]
	if len(terms) > 1 {
		filter = "(|" + strings.Join(terms, "") + ")"
	}
	es, err := r.search(r.first, r.s.SchemaNC, ldap.ScopeOneLevel, filter,
		[]string{"lDAPDisplayName", "schemaIDGUID", "attributeSecurityGUID", "objectClass"})
	if err != nil {
		r.warn("directory-schema-unreadable", r.s.SchemaNC, "the schema GUIDs of %s could not be read: %v", strings.Join(r.req.Attributes, ", "), err)
		return
	}
	for _, e := range es {
		name := e.String("lDAPDisplayName")
		g, err := ntsd.GUIDFromBytes(e.Value("schemaIDGUID"))
		if err != nil {
			r.warn("directory-schema-invalid", e.DN, "schemaIDGUID of %s: %v", name, err)
			continue
		}
		if hasValue(e.Values("objectClass"), "classSchema") {
			r.s.Classes[strings.ToLower(name)] = g
			continue
		}
		a := r.s.Attributes[strings.ToLower(name)]
		if a == nil {
			continue
		}
		a.Found, a.SchemaIDGUID = true, g
		if ps := e.Value("attributeSecurityGUID"); len(ps) > 0 {
			if g, err := ntsd.GUIDFromBytes(ps); err == nil {
				a.PropertySet = g
			}
		}
	}
}

func hasValue(vs [][]byte, want string) bool {
	for _, v := range vs {
		if strings.EqualFold(string(v), want) {
			return true
		}
	}
	return false
}

// domainsToRead: the domains of the failing objects and of the connector
// accounts, and the default domain (its AdminSDHolder is checked for stale
// connector ACEs even when nothing fails there).
func (r *reader) domainsToRead(all []*Domain) []*Domain {
	want := map[*Domain]bool{}
	if d := domainByNC(all, r.s.DefaultNC); d != nil {
		want[d] = true
	}
	for _, dn := range r.req.Objects {
		if d := r.domainOf(all, dn); d != nil {
			want[d] = true
		}
	}
	for _, a := range r.req.Accounts {
		if d := domainByName(all, a.Domain); d != nil {
			want[d] = true
		}
	}
	var out []*Domain
	for _, d := range all { // forest order, stable
		if want[d] {
			out = append(out, d)
		}
	}
	return out
}

func domainByNC(all []*Domain, nc string) *Domain {
	n := normalDN(nc)
	for _, d := range all {
		if normalDN(d.NC) == n {
			return d
		}
	}
	return nil
}

// domainOf is domainOfDN for the forest being read: a DN in the
// configuration or schema naming context ends in the root domain's DC=
// components but belongs to no domain, so it is never a domain's object.
func (r *reader) domainOf(all []*Domain, dn string) *Domain {
	if under(dn, r.s.ConfigNC) || under(dn, r.s.SchemaNC) {
		return nil
	}
	return domainOfDN(all, dn)
}

// domainOfDN picks the domain whose NC is the longest suffix of dn.
func domainOfDN(all []*Domain, dn string) *Domain {
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return nil
	}
	var best *Domain
	bestLen := -1
	for _, d := range all {
		nc, err := ldap.ParseDN(d.NC)
		if err != nil {
			continue
		}
		if (p.Equal(nc) || p.IsDescendantOf(nc)) && len(nc) > bestLen {
			best, bestLen = d, len(nc)
		}
	}
	return best
}

func domainByName(all []*Domain, name string) *Domain {
	for _, d := range all {
		if strings.EqualFold(d.NetBIOS, name) || strings.EqualFold(d.DNSName, name) {
			return d
		}
	}
	return nil
}

// normalDN is the comparison key of a DN; unparsable DNs compare as
// lower-cased text, so they never match a real entry by accident.
func normalDN(dn string) string {
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return "invalid:" + strings.ToLower(dn)
	}
	return p.Normal()
}

// conn returns a connection to a DC of domain d: the first connection for
// the default domain, else a new one dialled by the domain's DNS name.
func (r *reader) conn(d *Domain) (ldap.Conn, error) {
	key := normalDN(d.NC)
	if c, ok := r.conns[key]; ok {
		return c, nil
	}
	if key == normalDN(r.s.DefaultNC) {
		r.conns[key] = r.first
		return r.first, nil
	}
	c, err := r.dialer.Dial(r.ctx, d.DNSName)
	if err != nil {
		return nil, err
	}
	r.conns[key] = c
	return c, nil
}
