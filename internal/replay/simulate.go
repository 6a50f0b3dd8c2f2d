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
// see, never a claim about a real DC.
func (d *Directory) SimulateProtectionTask() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.simulate = true
	for _, sn := range d.dirs {
		sn.dir.RootDSEModify = protectionTask(sn.dir)
	}
}

func protectionTask(dir *memdir.Dir) func([]ldap.Mod) error {
	return func(mods []ldap.Mod) error {
		for _, m := range mods {
			if !strings.EqualFold(m.Attr, "runProtectAdminGroupsTask") {
				return &ldap.Error{Op: "modify", Code: ldap.ResultUnwillingToPerform, Message: "00002035: rootdse_modify: unknown attribute to change!"}
			}
		}
		return runProtectionTask(context.Background(), dir)
	}
}

func runProtectionTask(ctx context.Context, dir *memdir.Dir) error {
	root, err := dir.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext"}})
	if err != nil || len(root) != 1 {
		return fmt.Errorf("simulated protection task: rootDSE: %v", err)
	}
	nc := root[0].String("defaultNamingContext")
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
	for _, o := range objs {
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

// AsDomainController replays the scenario as its domain's PDC emulator
// instead of its own host, for `remediate --replay --plan` (the DC path of
// a member server's approved plan). SIMULATION: the host facts become
// those of that DC (no sync engine there), and AdminSDHolder's
// sDRightsEffective becomes 15, what SYSTEM on a DC holds. It returns the
// DC's DNS name.
func (s *Scenario) AsDomainController(ctx context.Context) (string, error) {
	d, err := s.Directory().Dialer("")
	if err != nil {
		return "", err
	}
	c, err := d.Dial(ctx, "")
	if err != nil {
		return "", err
	}
	defer c.Close()
	fqdn, err := pdcEmulator(ctx, c)
	if err != nil {
		return "", fmt.Errorf("replay %s: the PDC emulator: %w", s.Name, err)
	}
	host, domain, _ := strings.Cut(fqdn, ".")
	yes := true
	s.Facts = winhost.Facts{ComputerName: strings.ToUpper(host), DNSDomain: domain, IsDC: &yes, IsPDCEmulator: &yes,
		ADSyncService: winhost.ServiceAbsent, PowerShellPath: s.Facts.PowerShellPath}
	s.systemOnDC = true
	return fqdn, nil
}

// pdcEmulator follows the domain's fSMORoleOwner to its server's DNS name.
func pdcEmulator(ctx context.Context, c ldap.Conn) (string, error) {
	root, err := c.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext"}})
	if err != nil || len(root) != 1 {
		return "", fmt.Errorf("rootDSE: %v", err)
	}
	dom, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: root[0].String("defaultNamingContext"), Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"fSMORoleOwner"}})
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
