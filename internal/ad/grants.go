package ad

import (
	"fmt"

	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
)

// Grant is one explicit allow ACE, anywhere in a domain naming context,
// whose trustee is a requested account or one of its groups (tokenGroups).
// Inherited copies are not grants of their own: each comes from an explicit
// ACE on an ancestor in the same naming context, which is listed.
type Grant struct {
	DN, DomainNC string
	Account      AccountRef
	Trustee      ntsd.SID
	ACE          ntsd.ACE
	AdminSD      bool // on the domain's AdminSDHolder (stamped onto protected objects)
}

// GrantScan is what scanning one domain naming context read.
type GrantScan struct {
	NC, Server string
	Objects    int // entries returned
	NoSD       int // entries whose DACL this identity could not read
	Unparsable int
	Inherited  int // inherited ACEs for the trustees (not listed)
	Err        string
}

// scanGrants reads, in every domain naming context of the forest, the DACL
// of every object with one paged subtree search (SD flags: DACL only), and
// keeps the explicit allow ACEs of the resolved accounts' SIDs and groups.
// The operations grow with the number of domains, not of objects.
func (r *reader) scanGrants(domains []*Domain) {
	trustees := map[string][]*Account{}
	for _, a := range r.s.Accounts {
		if !a.Found {
			continue
		}
		for _, sid := range append([]ntsd.SID{a.SID}, a.Groups...) {
			trustees[sid.String()] = append(trustees[sid.String()], a)
		}
	}
	if len(trustees) == 0 {
		return
	}
	for _, d := range domains {
		scan := GrantScan{NC: d.NC}
		r.scanDomain(d, trustees, &scan)
		if scan.Err != "" {
			r.warn("directory-grants-unreadable", d.NC, "%s", scan.Err)
		}
		r.s.GrantScans = append(r.s.GrantScans, scan)
	}
}

func (r *reader) scanDomain(d *Domain, trustees map[string][]*Account, scan *GrantScan) {
	c, err := r.conn(d)
	if err != nil {
		scan.Err = fmt.Sprintf("no domain controller of %s could be reached, so its ACEs were not read: %v", d.DNSName, err)
		return
	}
	scan.Server = c.Server()
	es, err := r.search(c, d.NC, ldap.ScopeSubtree, "(objectClass=*)", []string{"nTSecurityDescriptor"}, ldap.SDFlagsControl(ldap.SDDACL))
	if err != nil {
		scan.Err = fmt.Sprintf("read the ACEs of %s on %s: %v", d.NC, c.Server(), err)
		return
	}
	holder := normalDN(AdminSDHolderDN(d.NC))
	for _, e := range es {
		// A directory that returns another naming context's entries under
		// this one (a child domain, the configuration) is read there.
		if domainOfDN(r.s.domainsAll, e.DN) != d || under(e.DN, r.s.ConfigNC) {
			continue
		}
		scan.Objects++
		raw := e.Value("nTSecurityDescriptor")
		if len(raw) == 0 {
			scan.NoSD++
			continue
		}
		sd, err := ntsd.Parse(raw)
		if err != nil {
			scan.Unparsable++
			r.warn("directory-sd-unparsable", e.DN, "the security descriptor of %s does not parse (%v): its ACEs are not listed", e.DN, err)
			continue
		}
		if sd.DACL == nil {
			continue
		}
		for _, ace := range sd.DACL.ACEs {
			if !ace.Known() || !ace.IsAllow() {
				continue
			}
			accts := trustees[ace.SID.String()]
			if len(accts) == 0 {
				continue
			}
			if ace.IsInherited() {
				scan.Inherited++
				continue
			}
			for _, a := range accts {
				r.s.Grants = append(r.s.Grants, Grant{DN: e.DN, DomainNC: d.NC, Account: a.Ref, Trustee: ace.SID, ACE: ace, AdminSD: normalDN(e.DN) == holder})
			}
		}
	}
}

// under reports whether dn is nc or below it ("" nc: never).
func under(dn, nc string) bool {
	if nc == "" {
		return false
	}
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return false
	}
	n, err := ldap.ParseDN(nc)
	return err == nil && (p.Equal(n) || p.IsDescendantOf(n))
}
