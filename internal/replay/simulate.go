package replay

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
	"entra8344/internal/ntsd"
	"entra8344/internal/winhost"
)

// SimulateProtectionTask makes the replayed directories answer a rootDSE
// modify of runProtectAdminGroupsTask the way a Windows PDC emulator does:
// AdminSDHolder's DACL is copied onto every protected object. SIMULATION:
// the protected set is approximated as the members (direct and nested) of
// groups with adminCount=1 plus the built-in Administrator; Samba has no
// such task, so this is what the replayed remediate and its golden tests
// see, never a claim about a real DC. It also simulates inheritance
// propagation after a DACL write (propagateInheritance), which an OU grant
// relies on.
func (d *Directory) SimulateProtectionTask() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.simulate = true
	for _, sn := range d.dirs {
		sn.dir.RootDSEModifyAt = protectionTask(sn.dir)
		sn.dir.AfterSDWrite = propagateInheritance(sn.dir)
	}
}

// protectionTask runs the task for the domain of the server the trigger
// was sent to: the domain it is PDC emulator of, or whose DNS name was
// dialled; otherwise the snapshot's default domain.
func protectionTask(dir *memdir.Dir) func(string, []ldap.Mod) error {
	return func(server string, mods []ldap.Mod) error {
		for _, m := range mods {
			if !strings.EqualFold(m.Attr, "runProtectAdminGroupsTask") {
				return &ldap.Error{Op: "modify", Code: ldap.ResultUnwillingToPerform, Message: "00002035: rootdse_modify: unknown attribute to change!"}
			}
		}
		return runProtectionTask(context.Background(), dir, server)
	}
}

// domainOfServer is the NC of the domain server is PDC emulator of (or
// the DNS name of); "" when none.
func domainOfServer(ctx context.Context, c ldap.Conn, server string) string {
	root, err := c.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"configurationNamingContext"}})
	if err != nil || len(root) != 1 {
		return ""
	}
	refs, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=Partitions," + root[0].String("configurationNamingContext"), Scope: ldap.ScopeOneLevel,
		Filter: "(objectClass=crossRef)", Attributes: []string{"nCName", "dnsRoot"}})
	if err != nil {
		return ""
	}
	for _, r := range refs {
		h, _ := roleOwnerHost(ctx, c, r.String("nCName"))
		if strings.EqualFold(h, server) || strings.EqualFold(r.String("dnsRoot"), server) {
			return r.String("nCName")
		}
	}
	return ""
}

func runProtectionTask(ctx context.Context, dir *memdir.Dir, server string) error {
	root, err := dir.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext"}})
	if err != nil || len(root) != 1 {
		return fmt.Errorf("simulated protection task: rootDSE: %v", err)
	}
	nc := root[0].String("defaultNamingContext")
	if c, err := dir.Dial(ctx, server); err == nil {
		if own := domainOfServer(ctx, c, server); own != "" {
			nc = own
		}
		c.Close()
	}
	sdFlags := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	holder, err := dir.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=AdminSDHolder,CN=System," + nc, Scope: ldap.ScopeBase,
		Filter: "(objectClass=*)", Attributes: []string{"nTSecurityDescriptor"}, Controls: sdFlags})
	if err != nil || len(holder) != 1 {
		return fmt.Errorf("simulated protection task: AdminSDHolder: %v", err)
	}
	template := holder[0].Value("nTSecurityDescriptor")
	groups, err := dir.Search(ctx, &ldap.SearchRequest{BaseDN: nc, Scope: ldap.ScopeSubtree,
		Filter: "(&(objectClass=group)(adminCount=1))", Attributes: []string{"member"}})
	if err != nil {
		return err
	}
	members := map[string]bool{}
	for _, g := range groups {
		for _, m := range g.Values("member") {
			members[strings.ToLower(string(m))] = true
		}
	}
	objs, err := dir.Search(ctx, &ldap.SearchRequest{BaseDN: nc, Scope: ldap.ScopeSubtree, Filter: "(adminCount=1)",
		Attributes: []string{"nTSecurityDescriptor", "objectSid"}, Controls: sdFlags})
	if err != nil {
		return err
	}
	below := childNCs(ctx, dir, nc)
	for _, o := range objs {
		if inNC(o.DN, below) {
			continue // a child domain's object: its own PDC's task protects it (a subtree search of a real domain NC stops at the child NC)
		}
		sid, _, _ := ntsd.ParseSID(o.Value("objectSid"))
		rid, _ := sid.RID()
		if !members[strings.ToLower(o.DN)] && rid != 500 {
			continue // not in the protected set (a stale adminCount): the task leaves it alone
		}
		if string(o.Value("nTSecurityDescriptor")) == string(template) {
			continue
		}
		if err := dir.Modify(ctx, o.DN, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{template}}}, sdFlags); err != nil {
			return fmt.Errorf("simulated protection task: %s: %w", o.DN, err)
		}
	}
	return nil
}

// childNCs are the domain NCs below nc (its child domains), lower case.
func childNCs(ctx context.Context, dir *memdir.Dir, nc string) []string {
	root, err := dir.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"configurationNamingContext"}})
	if err != nil || len(root) != 1 {
		return nil
	}
	refs, err := dir.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=Partitions," + root[0].String("configurationNamingContext"), Scope: ldap.ScopeOneLevel,
		Filter: "(objectClass=crossRef)", Attributes: []string{"nCName"}})
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range refs {
		n := strings.ToLower(r.String("nCName"))
		if n != "" && !strings.EqualFold(n, nc) && strings.HasSuffix(n, ","+strings.ToLower(nc)) {
			out = append(out, n)
		}
	}
	return out
}

func inNC(dn string, ncs []string) bool {
	dn = strings.ToLower(dn)
	for _, n := range ncs {
		if dn == n || strings.HasSuffix(dn, ","+n) {
			return true
		}
	}
	return false
}

// AsDomainController replays the scenario as one of its domain
// controllers instead of its own host, for `remediate --replay --plan` (the
// DC path of a member server's approved plan): the first DC of the
// snapshot for which runOn is true (the DC that approval.run_on names: the
// caller asks the token), else the default domain's PDC emulator.
// SIMULATION: the host facts become those of that DC (no sync engine
// there), and AdminSDHolder's sDRightsEffective becomes 15, what SYSTEM on
// a DC holds. It returns the DC's DNS name.
func (s *Scenario) AsDomainController(ctx context.Context, runOn func(fqdn string) bool) (string, error) {
	d, err := s.Directory().Dialer("")
	if err != nil {
		return "", err
	}
	c, err := d.Dial(ctx, "")
	if err != nil {
		return "", err
	}
	defer c.Close()
	pdcs, err := pdcEmulators(ctx, c)
	if err != nil {
		return "", fmt.Errorf("replay %s: the PDC emulators: %w", s.Name, err)
	}
	fqdn, err := pdcEmulator(ctx, c)
	if err != nil {
		return "", fmt.Errorf("replay %s: the PDC emulator: %w", s.Name, err)
	}
	if runOn != nil {
		dcs, err := domainControllers(ctx, c)
		if err != nil {
			return "", fmt.Errorf("replay %s: the domain controllers: %w", s.Name, err)
		}
		for _, dc := range dcs {
			if runOn(dc) {
				fqdn = dc
				break
			}
		}
	}
	host, domain, _ := strings.Cut(fqdn, ".")
	yes, pdc := true, pdcs[fqdn]
	s.Facts = winhost.Facts{ComputerName: strings.ToUpper(host), DNSDomain: domain, IsDC: &yes, IsPDCEmulator: &pdc,
		ADSyncService: winhost.ServiceAbsent, PowerShellPath: s.Facts.PowerShellPath}
	s.systemOnDC = true
	return fqdn, nil
}

// domainControllers lists the DNS names of the forest's server objects.
func domainControllers(ctx context.Context, c ldap.Conn) ([]string, error) {
	root, err := c.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"configurationNamingContext"}})
	if err != nil || len(root) != 1 {
		return nil, fmt.Errorf("rootDSE: %v", err)
	}
	srvs, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=Sites," + root[0].String("configurationNamingContext"), Scope: ldap.ScopeSubtree,
		Filter: "(objectClass=server)", Attributes: []string{"dNSHostName"}})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range srvs {
		if h := strings.ToLower(e.String("dNSHostName")); h != "" {
			out = append(out, h)
		}
	}
	return out, nil
}

// pdcEmulators is the set of every domain's PDC emulator (DNS names).
func pdcEmulators(ctx context.Context, c ldap.Conn) (map[string]bool, error) {
	root, err := c.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"configurationNamingContext"}})
	if err != nil || len(root) != 1 {
		return nil, fmt.Errorf("rootDSE: %v", err)
	}
	refs, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=Partitions," + root[0].String("configurationNamingContext"), Scope: ldap.ScopeOneLevel,
		Filter: "(objectClass=crossRef)", Attributes: []string{"nCName"}})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range refs {
		if h, err := roleOwnerHost(ctx, c, r.String("nCName")); err == nil {
			out[h] = true
		}
	}
	return out, nil
}

// pdcEmulator follows the domain's fSMORoleOwner to its server's DNS name.
func pdcEmulator(ctx context.Context, c ldap.Conn) (string, error) {
	root, err := c.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext"}})
	if err != nil || len(root) != 1 {
		return "", fmt.Errorf("rootDSE: %v", err)
	}
	return roleOwnerHost(ctx, c, root[0].String("defaultNamingContext"))
}

// roleOwnerHost follows domain nc's fSMORoleOwner to its server's DNS name.
func roleOwnerHost(ctx context.Context, c ldap.Conn, nc string) (string, error) {
	dom, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: nc, Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"fSMORoleOwner"}})
	if err != nil || len(dom) != 1 {
		return "", fmt.Errorf("domain object: %v", err)
	}
	owner, err := ldap.ParseDN(dom[0].String("fSMORoleOwner"))
	if err != nil || len(owner) < 2 {
		return "", fmt.Errorf("fSMORoleOwner %q", dom[0].String("fSMORoleOwner"))
	}
	srv, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: owner[1:].String(), Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"dNSHostName"}})
	if err != nil || len(srv) != 1 || srv[0].String("dNSHostName") == "" {
		return "", fmt.Errorf("server object of %s: %v", owner, err)
	}
	return strings.ToLower(srv[0].String("dNSHostName")), nil
}

// sdRights is the sDRightsEffective line of a snapshot.
var sdRights = regexp.MustCompile(`(?mi)^sDRightsEffective: \d+\r?$`)

// asSystemOnDC rewrites a snapshot as SYSTEM on a DC reads it.
func asSystemOnDC(ldif []byte) []byte {
	return sdRights.ReplaceAll(ldif, []byte("sDRightsEffective: 15"))
}
