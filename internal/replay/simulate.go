package replay

import (
	"context"
	"fmt"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
	"entra8344/internal/ntsd"
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
