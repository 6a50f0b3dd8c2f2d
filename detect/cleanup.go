package detect

import (
	"fmt"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// BuildCleanup plans the removal of stale connector-account ACEs from
// AdminSDHolder: every ACE of each stale-connector-ace diagnosis' trustee,
// then the protection task so the protected objects lose their copies.
// It is approved apart from the grant plan: removing access never broadens
// it, but it can break a Connect server this one does not know about (a
// staging server using that account), so a person decides it on its own.
func BuildCleanup(diags []*diagnosis, host HostRole) schema.Plan {
	p := schema.Plan{Changes: []schema.Change{}, Manual: []string{}, RiskNotes: []schema.RiskNote{}}
	trigger, broadens := map[string]bool{}, map[string]bool{}
	var domains []*ad.Domain
	for _, g := range diags {
		if g.d.Kind != schema.DiagStaleConnectorACE || g.dom == nil || g.dom.AdminSDHolder == nil || g.dom.AdminSDHolder.SD == nil {
			continue
		}
		d, sid := g.dom, g.key.attribute // a stale diagnosis is keyed by its trustee SID
		trustee, err := ntsd.ParseSIDString(sid)
		if err != nil || !ad.IsOrdinaryAccountSID(trustee) || d.AdminSDHolder.SD.DACL == nil {
			continue
		}
		name := ""
		if g.stale != nil && g.stale.Found {
			name = g.stale.SAM
			if d.NetBIOS != "" {
				name = d.NetBIOS + `\` + name
			}
		}
		broadens[d.DNSName+" "+trustee.String()] = removeAllBroadens(d.AdminSDHolder.SD.DACL, trustee)
		for _, ace := range removable(d.AdminSDHolder.SD.DACL, trustee) {
			id := fmt.Sprintf("R%d", len(p.Changes)+1)
			c := schema.Change{ID: id, Action: schema.ActionRemoveACE, Domain: d.DNSName, DomainSID: d.SID.String(),
				TargetDN: ad.AdminSDHolderDN(d.NC), Server: writeServer(d, host), TrusteeSID: trustee.String(), TrusteeName: name,
				Right: ntsd.MaskString(ace.Mask), ACE: ace.SDDL(&d.SID), WritableHere: writable(d)}
			if ace.IsObject() && ace.ObjectFlags&ntsd.ObjectTypePresent != 0 {
				c.AttributeGUID = ace.ObjectType.String()
			}
			p.Changes = append(p.Changes, c)
			g.d.Changes = append(g.d.Changes, id)
		}
		if !trigger[d.NC] {
			trigger[d.NC] = true
			domains = append(domains, d)
		}
	}
	stale := len(p.Changes) > 0
	byHand := map[string]bool{} // removals dsacls /R cannot express
	for _, d := range ineffectiveRemovals(diags, host, &p, byHand) {
		if !trigger[d.NC] {
			trigger[d.NC] = true
			domains = append(domains, d)
		}
	}
	for _, d := range domains {
		id := fmt.Sprintf("R%d", len(p.Changes)+1)
		p.Changes = append(p.Changes, schema.Change{ID: id, Action: schema.ActionRunProtectTask, Domain: d.DNSName, DomainSID: d.SID.String(),
			Server: serverOf(d), Right: "runProtectAdminGroupsTask", WritableHere: writable(d)})
		for _, g := range diags {
			if g.d.Kind == schema.DiagStaleConnectorACE && g.dom == d && len(g.d.Changes) > 0 {
				g.d.Changes = append(g.d.Changes, id)
			}
		}
	}
	if len(p.Changes) == 0 {
		p.RemediableReason = "nothing to change"
		return p
	}
	p.Manual = cleanupManual(p.Changes, broadens, byHand)
	p.RemediableHere, p.RemediableReason = remediableHere(p.Changes, domains, host)
	if stale {
		p.RiskNotes = append(p.RiskNotes, schema.RiskNote{ID: "other-connect-servers", Text: "Before approving, make sure no other Entra Connect server (a staging server, or another tenant's) still uses this account: its writeback would fail like this one's did. An ACE whose trustee no longer resolves is safe to remove."})
	}
	if len(byHand) > 0 {
		p.RiskNotes = append(p.RiskNotes, schema.RiskNote{ID: "ineffective-ace", Text: "An inherit-only ACE on AdminSDHolder grants nothing on AdminSDHolder, nor on the admin accounts the protection task copies it onto (they have no child objects): removing it takes no access away. It is listed so that audits stop showing a grant that does not work; keep it only if a script of yours checks for it."})
	}
	p.RiskNotes = append(p.RiskNotes, schema.RiskNote{ID: "reversible", Text: "The journal keeps AdminSDHolder's DACL as it was: entra8344 revert --journal ID --restore-exact writes it back."})
	return p
}

// ineffectiveRemovals adds to p the removal of each ineffective grant on
// AdminSDHolder (an allow ACE for the connector account or one of its
// groups that never applies: ADSyncConfig's inherit-only OU ACE), once per
// ACE and domain, and links it to its diagnosis. It returns the domains
// touched; byHand gets the changes' IDs.
func ineffectiveRemovals(diags []*diagnosis, host HostRole, p *schema.Plan, byHand map[string]bool) []*ad.Domain {
	var touched []*ad.Domain
	seen := map[string]string{}
	for _, g := range diags {
		for _, a := range g.ineffective {
			if !StaleACERemovable(a, a.SID) {
				continue
			}
			d := g.dom
			key := d.NC + "|" + string(a.Bytes())
			if id, ok := seen[key]; ok {
				g.d.Changes = append(g.d.Changes, id)
				continue
			}
			id := fmt.Sprintf("R%d", len(p.Changes)+1)
			seen[key] = id
			name := ""
			if g.account != nil && g.account.SID.Equal(a.SID) {
				name = g.forest.Account
			}
			c := schema.Change{ID: id, Action: schema.ActionRemoveACE, Domain: d.DNSName, DomainSID: d.SID.String(),
				TargetDN: ad.AdminSDHolderDN(d.NC), Server: writeServer(d, host), TrusteeSID: a.SID.String(), TrusteeName: name,
				Right: ntsd.MaskString(a.Mask), ACE: a.SDDL(&d.SID), WritableHere: writable(d)}
			if a.IsObject() && a.ObjectFlags&ntsd.ObjectTypePresent != 0 {
				c.AttributeGUID = a.ObjectType.String()
			}
			p.Changes = append(p.Changes, c)
			g.d.Changes = append(g.d.Changes, id)
			byHand[id] = true
			touched = append(touched, d)
		}
	}
	return touched
}

// removable lists the ACEs of trustee in dacl that StaleACERemovable
// allows, each once, in DACL order.
func removable(dacl *ntsd.ACL, trustee ntsd.SID) []ntsd.ACE {
	var out []ntsd.ACE
	seen := map[string]bool{}
	for _, a := range dacl.ACEs {
		if !StaleACERemovable(a, trustee) || seen[string(a.Bytes())] {
			continue
		}
		seen[string(a.Bytes())] = true
		out = append(out, a)
	}
	return out
}

// StaleACERemovable is the single decision, for the cleanup plan and for
// remediate when it applies it, of whether ACE a of a stale connector
// account (trustee) may be removed from AdminSDHolder: only an explicit
// allow ACE (A or OA) of an ordinary domain account. Removing an allow only
// takes access away; removing a deny can grant access, an audit ACE is not
// the connector's to drop, and an ACE this package does not decode cannot
// be judged. Inherited ACEs belong to the parent (AdminSDHolder is
// protected). Well-known SIDs are excluded because an allow for some of
// them (OWNER RIGHTS) restricts access, and removing it would broaden it.
func StaleACERemovable(a ntsd.ACE, trustee ntsd.SID) bool {
	return a.Known() && a.IsAllow() && !a.IsInherited() && a.SID.Equal(trustee) && ad.IsOrdinaryAccountSID(trustee)
}

// removeAllBroadens reports whether `dsacls /R trustee`, which removes every
// explicit ACE of trustee, would remove one StaleACERemovable keeps (a deny,
// an audit), or one this package cannot attribute (undecoded ACEs, which
// may be the trustee's): the manual line is then not printed.
func removeAllBroadens(dacl *ntsd.ACL, trustee ntsd.SID) bool {
	for _, a := range dacl.ACEs {
		if !a.IsInherited() && !StaleACERemovable(a, trustee) && (!a.Known() || a.SID.Equal(trustee)) {
			return true
		}
	}
	return false
}

// cleanupManual is the cleanup as a person would type it: per trustee,
// dsacls /R where that removes nothing but the planned allow ACEs
// (broadens says where it would remove more), then the protection task.
func cleanupManual(changes []schema.Change, broadens, byHand map[string]bool) []string {
	out := []string{}
	done := map[string]bool{}
	for _, c := range changes {
		switch {
		case c.Action == schema.ActionRemoveACE && byHand[c.ID]:
			// dsacls /R would also remove the account's effective grant.
			out = append(out, "# remove only the ACE "+c.ACE+" from AdminSDHolder (dsacls /R would also remove the account's working grant): approve the cleanup instead, or Active Directory Users and Computers, View > Advanced Features, System > AdminSDHolder > Properties > Security > Advanced")
		case c.Action == schema.ActionRemoveACE:
			if done[c.Domain+" "+c.TrusteeSID] {
				continue
			}
			done[c.Domain+" "+c.TrusteeSID] = true
			who := c.TrusteeName
			if who == "" {
				who = c.TrusteeSID
			}
			out = append(out, staleRemoveLines(c.Server, c.TargetDN, who, broadens[c.Domain+" "+c.TrusteeSID])...)
		case c.Action == schema.ActionRunProtectTask:
			out = append(out, triggerLine(c.Server))
		}
	}
	return out
}
