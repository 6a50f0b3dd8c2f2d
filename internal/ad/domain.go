package ad

import (
	"fmt"
	"strconv"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
)

// AdminSDHolderDN is where a domain keeps its protected-object template.
func AdminSDHolderDN(domainNC string) string { return "CN=AdminSDHolder,CN=System," + domainNC }

var (
	objectAttrs  = []string{"nTSecurityDescriptor", "adminCount", "objectClass", "objectSid", "primaryGroupID"}
	accountAttrs = []string{"objectSid", "sAMAccountName", "description", "objectClass"}
)

// readDomain reads one domain: head (SID, PDC role owner), the PDC
// emulator's host name, AdminSDHolder, the connector accounts and every
// trustee of AdminSDHolder's ACEs, the accounts' tokenGroups, the failing
// objects in batches, and the groups that may protect them.
func (r *reader) readDomain(d *Domain) {
	r.s.Domains = append(r.s.Domains, d)
	c, err := r.conn(d)
	if err != nil {
		d.Err = fmt.Sprintf("no domain controller of %s could be reached: %v", d.DNSName, err)
		r.warn("directory-domain-unreachable", d.DNSName, "%s", d.Err)
		r.markObjects(d, d.Err)
		r.markAccounts(d, d.Err)
		return
	}
	d.Server = c.Server()
	if err := r.head(c, d); err != nil {
		d.Err = err.Error()
		r.warn("directory-domain-unreadable", d.NC, "%s", d.Err)
		r.markObjects(d, d.Err)
		r.markAccounts(d, d.Err)
		return
	}
	r.adminSDHolder(c, d)
	r.principals(c, d)
	r.objects(c, d)
	r.containers(c, d)
	r.groups(c, d, false)
}

func (r *reader) head(c ldap.Conn, d *Domain) error {
	es, err := r.search(c, d.NC, ldap.ScopeBase, "(objectClass=*)", []string{"objectSid", "fSMORoleOwner"})
	if err != nil {
		return fmt.Errorf("read the domain object %s on %s: %w", d.NC, c.Server(), err)
	}
	if len(es) != 1 {
		return fmt.Errorf("read the domain object %s on %s: %d entries, want 1", d.NC, c.Server(), len(es))
	}
	sid, _, err := ntsd.ParseSID(es[0].Value("objectSid"))
	if err != nil {
		return fmt.Errorf("objectSid of %s: %w", d.NC, err)
	}
	d.SID = sid
	owner := es[0].String("fSMORoleOwner")
	if owner == "" {
		r.warn("directory-pdc-unknown", d.NC, "fSMORoleOwner of %s is empty: the PDC emulator is unknown", d.NC)
		return nil
	}
	// fSMORoleOwner names the PDC's "NTDS Settings" object; its parent is
	// the server object, which carries the host name.
	p, err := ldap.ParseDN(owner)
	if err != nil {
		r.warn("directory-pdc-unknown", d.NC, "fSMORoleOwner of %s is not a DN (%q): %v", d.NC, owner, err)
		return nil
	}
	server := p.Parent().String()
	es, err = r.search(c, server, ldap.ScopeBase, "(objectClass=*)", []string{"dNSHostName"})
	if err != nil || len(es) != 1 || es[0].String("dNSHostName") == "" {
		r.warn("directory-pdc-unknown", server, "the PDC emulator's host name could not be read from %s: %v", server, err)
		return nil
	}
	d.PDCEmulator = strings.ToLower(es[0].String("dNSHostName"))
	return nil
}

func (r *reader) adminSDHolder(c ldap.Conn, d *Domain) {
	dn := AdminSDHolderDN(d.NC)
	es, err := r.search(c, dn, ldap.ScopeBase, "(objectClass=*)",
		[]string{"nTSecurityDescriptor", "sDRightsEffective", "uSNChanged"}, ldap.SDFlagsControl(ldap.SDDACL))
	if err != nil || len(es) != 1 {
		r.warn("directory-adminsdholder-unreadable", dn, "AdminSDHolder of %s could not be read on %s: %v", d.DNSName, c.Server(), err)
		return
	}
	e := es[0]
	h := &AdminSDHolder{DN: dn, Raw: e.Value("nTSecurityDescriptor"), USNChanged: e.String("uSNChanged")}
	if v, err := strconv.ParseInt(e.String("sDRightsEffective"), 10, 64); err == nil {
		h.SDRightsEffective = &v
	}
	if len(h.Raw) == 0 {
		r.warn("directory-adminsdholder-unreadable", dn, "%s returned no nTSecurityDescriptor for AdminSDHolder of %s (the identity may not read its DACL)", c.Server(), d.DNSName)
	} else if sd, err := ntsd.Parse(h.Raw); err != nil {
		r.warn("directory-adminsdholder-invalid", dn, "AdminSDHolder's security descriptor from %s does not parse: %v", c.Server(), err)
	} else {
		h.SD = sd
	}
	d.AdminSDHolder = h
}

// principals resolves, in one search, the connector accounts of this domain
// and every non-well-known trustee of AdminSDHolder's ACEs; then reads each
// found account's tokenGroups (a BASE read, as AD requires).
func (r *reader) principals(c ldap.Conn, d *Domain) {
	var terms []string
	var mine []*Account
	for _, ref := range r.req.Accounts {
		if !strings.EqualFold(ref.Domain, d.NetBIOS) && !strings.EqualFold(ref.Domain, d.DNSName) {
			continue
		}
		a := &Account{Ref: ref, DomainNC: d.NC}
		r.s.Accounts = append(r.s.Accounts, a)
		mine = append(mine, a)
		terms = append(terms, "(sAMAccountName="+escapeValue(ref.User)+")")
	}
	d.Trustees = map[string]*Principal{}
	if h := d.AdminSDHolder; h != nil && h.SD != nil && h.SD.DACL != nil {
		for _, ace := range h.SD.DACL.ACEs {
			if !ace.Known() || !isDomainAccountSID(ace.SID) {
				continue
			}
			k := ace.SID.String()
			if _, ok := d.Trustees[k]; ok {
				continue
			}
			d.Trustees[k] = &Principal{SID: ace.SID}
			terms = append(terms, "(objectSid="+escapeBytes(ace.SID.Bytes())+")")
		}
	}
	if len(terms) == 0 {
		return
	}
	filter := terms[0]
	if len(terms) > 1 {
		filter = "(|" + strings.Join(terms, "") + ")"
	}
	es, err := r.search(c, d.NC, ldap.ScopeSubtree, filter, accountAttrs)
	if err != nil {
		msg := fmt.Sprintf("the connector accounts and AdminSDHolder's trustees in %s could not be read on %s: %v", d.DNSName, c.Server(), err)
		r.warn("directory-accounts-unreadable", d.NC, "%s", msg)
		for _, a := range mine {
			a.Err = msg
		}
		return
	}
	for _, e := range es {
		sid, _, err := ntsd.ParseSID(e.Value("objectSid"))
		if err != nil {
			continue
		}
		sam := e.String("sAMAccountName")
		if p := d.Trustees[sid.String()]; p != nil {
			p.Found, p.DN, p.SAM, p.Description = true, e.DN, sam, e.String("description")
			p.ObjectClass = strs(e.Values("objectClass"))
		}
		for _, a := range mine {
			if strings.EqualFold(a.Ref.User, sam) {
				a.Found, a.DN, a.SID, a.Description = true, e.DN, sid, e.String("description")
			}
		}
	}
	for _, a := range mine {
		if !a.Found {
			if a.Err == "" {
				a.Err = fmt.Sprintf("no account %s\\%s in %s (renamed or deleted? check the AD DS connector's account in the Synchronization Service Manager)", a.Ref.Domain, a.Ref.User, d.NC)
			}
			continue
		}
		r.tokenGroups(c, a)
	}
}

func (r *reader) tokenGroups(c ldap.Conn, a *Account) {
	es, err := r.search(c, a.DN, ldap.ScopeBase, "(objectClass=*)", []string{"tokenGroups"})
	if err != nil || len(es) != 1 {
		r.warn("directory-tokengroups-unreadable", a.DN, "the groups of %s could not be read (%v): access is evaluated with its own SID only", a.DN, err)
		return
	}
	for _, v := range es[0].Values("tokenGroups") {
		if sid, _, err := ntsd.ParseSID(v); err == nil {
			a.Groups = append(a.Groups, sid)
		}
	}
}

// isDomainAccountSID: S-1-5-21-a-b-c-rid with rid >= 1000 (built-in
// accounts and groups of a domain have smaller RIDs).
func isDomainAccountSID(s ntsd.SID) bool {
	rid, ok := s.RID()
	return ok && len(s.Sub) == 5 && s.Sub[0] == 21 && s.Authority == [6]byte{0, 0, 0, 0, 0, 5} && rid >= 1000
}

func strs(vs [][]byte) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, string(v))
	}
	return out
}

func (r *reader) markAccounts(d *Domain, msg string) {
	for _, ref := range r.req.Accounts {
		if strings.EqualFold(ref.Domain, d.NetBIOS) || strings.EqualFold(ref.Domain, d.DNSName) {
			r.s.Accounts = append(r.s.Accounts, &Account{Ref: ref, DomainNC: d.NC, Err: msg})
		}
	}
}
