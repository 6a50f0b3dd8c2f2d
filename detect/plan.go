package detect

import (
	"fmt"
	"sort"
	"strings"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// HostRole is what the plan needs to know about this host.
type HostRole struct {
	FQDN        string
	Domain      string // the DNS name of the host's own domain
	IsDC, IsPDC *bool
}

// dcOf: this host is a domain controller of d (a DC is one of its own
// domain only; SYSTEM there may write that domain's directory, no other).
func (h HostRole) dcOf(d *ad.Domain) bool {
	return h.IsDC != nil && *h.IsDC && h.Domain != "" && strings.EqualFold(strings.TrimSuffix(h.Domain, "."), d.DNSName)
}

// sdRightWriteDAC is sDRightsEffective's DACL_SECURITY_INFORMATION bit.
const sdRightWriteDAC = 0x4

// BuildPlan derives the smallest set of directory changes that fixes the
// remediable diagnoses, and links each diagnosis to its changes. It is the
// only place a grant is proposed, so "never broaden access" is enforced
// here by grantable, whatever the diagnosis says.
func BuildPlan(diags []*diagnosis, host HostRole) schema.Plan {
	p := schema.Plan{Changes: []schema.Change{}, Manual: []string{}, RiskNotes: []schema.RiskNote{}}
	adds := map[string]string{}    // change key -> id
	trigger := map[string]string{} // domain NC -> id
	var domains []*ad.Domain
	addTrigger := func(d *ad.Domain) string {
		if id, ok := trigger[d.NC]; ok {
			return id
		}
		id := fmt.Sprintf("C%d", len(p.Changes)+1)
		p.Changes = append(p.Changes, schema.Change{
			ID: id, Action: schema.ActionRunProtectTask, Domain: d.DNSName, DomainSID: d.SID.String(),
			TargetDN: "", Server: serverOf(d), Right: "runProtectAdminGroupsTask", WritableHere: writable(d),
		})
		trigger[d.NC] = id
		domains = append(domains, d)
		return id
	}
	var grants []*diagnosis
	for _, g := range diags {
		switch g.d.Kind {
		case schema.DiagAdminSDHolderWritebackDenied:
			if err := grantable(g); err != nil {
				g.d.Remediation = schema.RemediationManual
				g.d.NextStep = "No grant is planned: " + err.Error()
				continue
			}
			key := g.dom.NC + "|" + g.account.SID.String() + "|" + g.attr.SchemaIDGUID.String()
			id, ok := adds[key]
			if !ok {
				id = fmt.Sprintf("C%d", len(p.Changes)+1)
				ace := ntsd.NewObjectAllow(ntsd.RightWriteProperty, g.attr.SchemaIDGUID, g.account.SID)
				p.Changes = append(p.Changes, schema.Change{
					ID: id, Action: schema.ActionAddACE, Domain: g.dom.DNSName, DomainSID: g.dom.SID.String(),
					TargetDN: ad.AdminSDHolderDN(g.dom.NC), Server: writeServer(g.dom, host),
					TrusteeSID: g.account.SID.String(), TrusteeName: g.forest.Account,
					Right: "WriteProperty", Attribute: g.attr.Name, AttributeGUID: g.attr.SchemaIDGUID.String(),
					ACE: ace.SDDL(&g.dom.SID), WritableHere: writable(g.dom),
				})
				adds[key] = id
				grants = append(grants, g)
			}
			g.d.NextStep = grantNextStep(g, p.Changes[changeIndex(p.Changes, id)].Server)
			g.d.Changes = append(g.d.Changes, id, addTrigger(g.dom))
		case schema.DiagOUPermissionMissing:
			targets, left := planOU(g)
			var planned []*ouTarget
			for _, t := range targets {
				if err := Grantable(ouSubject(g, t)); err != nil {
					for _, dn := range t.objects {
						left = append(left, dn+": "+err.Error())
					}
					continue
				}
				planned = append(planned, t)
			}
			for _, t := range planned {
				key := "ou|" + normalKey(t.dn) + "|" + g.account.SID.String() + "|" + g.attr.SchemaIDGUID.String() + "|" + t.classGUID.String()
				id, ok := adds[key]
				if !ok {
					id = fmt.Sprintf("C%d", len(p.Changes)+1)
					p.Changes = append(p.Changes, ouChange(g, t, id, host))
					adds[key] = id
				}
				g.d.Changes = append(g.d.Changes, id)
			}
			if len(planned) > 0 {
				g.d.Remediation = schema.RemediationPlan
				g.d.NextStep = ouNextStep(planned, left)
			} else if len(left) > 0 {
				g.d.NextStep += " " + ouNextStep(nil, left)
			}
		case schema.DiagProtectTaskPending:
			if g.dom != nil && !g.dom.SID.IsZero() {
				g.d.Changes = append(g.d.Changes, addTrigger(g.dom))
			}
		}
	}
	// Triggers run after every grant of their domain.
	sort.SliceStable(p.Changes, func(i, j int) bool {
		return p.Changes[i].Action != schema.ActionRunProtectTask && p.Changes[j].Action == schema.ActionRunProtectTask
	})
	renumber(p.Changes, diags, "C")
	p.Manual = manualPlan(p.Changes)
	p.RemediableHere, p.RemediableReason = remediableHere(p.Changes, domains, host)
	if len(grants) > 0 {
		p.RiskNotes = riskNotes(grants)
	}
	p.RiskNotes = append(p.RiskNotes, ouRiskNotes(p.Changes)...)
	return p
}

// renumber gives the changes ids in the order they run (C1, C2, ... after
// the sort above), and rewrites each diagnosis's references to them: a
// person reading C1, C3, C2 looks for a missing or reordered step.
func renumber(cs []schema.Change, diags []*diagnosis, prefix string) {
	ids := map[string]string{}
	for i := range cs {
		id := fmt.Sprintf("%s%d", prefix, i+1)
		ids[cs[i].ID], cs[i].ID = id, id
	}
	for _, g := range diags {
		for i, id := range g.d.Changes {
			if n, ok := ids[id]; ok {
				g.d.Changes[i] = n
			}
		}
	}
}

func changeIndex(cs []schema.Change, id string) int {
	for i, c := range cs {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// grantable enforces "never broaden access" on one proposed grant (see
// Grantable), from what detect resolved.
func grantable(g *diagnosis) error {
	s := GrantSubject{Named: g.d.Attribute}
	if g.dom != nil {
		s.DomainSID = g.dom.SID
	}
	if g.attr != nil && g.attr.Found {
		s.Attribute, s.AttributeGUID = g.attr.Name, g.attr.SchemaIDGUID
	}
	if g.account != nil && g.account.Found {
		s.Account, s.AccountFound = g.account.SID, true
	}
	return Grantable(s)
}

// GrantSubject is what one AdminSDHolder grant is judged on: the domain,
// the attribute as resolved from the schema (Attribute empty: not
// resolved; Named is how the request named it), and the trustee.
type GrantSubject struct {
	DomainSID     ntsd.SID
	Named         string
	Attribute     string
	AttributeGUID ntsd.GUID
	Account       ntsd.SID
	AccountFound  bool
	// Shape (b), the OU grant, when Class or ClassGUID is set: the one
	// class it reaches (resolved from the schema), the container it is
	// written on, that container's structural class, and its domain's head.
	Class       string
	ClassGUID   ntsd.GUID
	Target      string
	TargetClass string
	DomainNC    string
}

// Grantable is the one decision on what entra8344 may grant (and so the
// only ACEs revert may remove): an allow-listed attribute resolved from the
// schema, and the SID of the account the sync engine is configured with,
// which must be an ordinary domain account (never a well-known, built-in
// or broad SID). For shape (b) (the OU grant) also: one of the classes
// Entra Connect writes back to, resolved from the schema, on an OU,
// container or domain head of that domain, never AdminSDHolder.
func Grantable(s GrantSubject) error {
	switch {
	case s.DomainSID.IsZero():
		return fmt.Errorf("the domain of the objects is unknown")
	case s.Attribute == "" || s.AttributeGUID.IsZero():
		return fmt.Errorf("the attribute %s was not resolved from the schema", s.Named)
	case !ad.Allowlisted(s.Attribute) || ad.IsPasswordAttribute(s.Attribute):
		return fmt.Errorf("%s is not on the writeback allowlist", s.Attribute)
	case !s.AccountFound:
		return fmt.Errorf("the connector account was not resolved in the directory")
	case !ad.IsOrdinaryAccountSID(s.Account):
		return fmt.Errorf("the connector account's SID %s is not an ordinary domain account SID", s.Account)
	case s.Class != "" || !s.ClassGUID.IsZero():
		return grantableOU(s)
	}
	return nil
}

// writeServer is where a grant to domain d is written: on a domain
// controller of d that is not its PDC emulator, this DC (SYSTEM has full
// access to its own domain; the change replicates to the PDC emulator,
// whose protection task copies it); for every other domain, and elsewhere,
// d's PDC emulator (the member-server flow: approved for that DC).
func writeServer(d *ad.Domain, host HostRole) string {
	if host.dcOf(d) && (host.IsPDC == nil || !*host.IsPDC) {
		if host.FQDN != "" {
			return host.FQDN
		}
		if d.Server != "" {
			return d.Server
		}
	}
	return serverOf(d)
}

func serverOf(d *ad.Domain) string {
	if d.PDCEmulator != "" {
		return d.PDCEmulator
	}
	return d.Server
}

func writable(d *ad.Domain) bool {
	h := d.AdminSDHolder
	return h != nil && h.SDRightsEffective != nil && *h.SDRightsEffective&sdRightWriteDAC != 0
}

// manualPlan is the plan as a person would type it: dsacls for each grant,
// the protection-task trigger, then a delta sync.
func manualPlan(changes []schema.Change) []string {
	out := []string{}
	for _, c := range changes {
		switch c.Action {
		case schema.ActionAddACE:
			out = append(out, dsaclsOnHolder("approve the plan instead: entra8344 writes exactly this ACE", c.Server, c.TargetDN, "/G", permArg(c.TrusteeName, "WP", c.Attribute, "")))
		case schema.ActionAddOUACE:
			out = append(out, ouManual(c))
		case schema.ActionRunProtectTask:
			out = append(out, triggerLine(c.Server))
		}
	}
	if len(out) > 0 {
		out = append(out, syncLine)
	}
	return out
}

func remediableHere(changes []schema.Change, domains []*ad.Domain, host HostRole) (bool, string) {
	if len(changes) == 0 {
		return false, "nothing to change"
	}
	var ou []string
	for _, c := range changes {
		if c.Action == schema.ActionAddOUACE && !c.WritableHere {
			ou = append(ou, c.TargetDN)
		}
	}
	if len(ou) > 0 {
		return false, fmt.Sprintf("this host's identity may not write the DACL of %s (sDRightsEffective): carry the plan out on a domain controller of that domain (approval.run_on)", strings.Join(ou, "; "))
	}
	if len(domains) == 0 {
		if host.IsDC != nil && *host.IsDC {
			return true, "this host is a domain controller of the OUs' domain: SYSTEM may write their DACLs, and AD propagates the inheritable grant to the objects below"
		}
		return true, "this host's identity may write the DACL of every target container (sDRightsEffective)"
	}
	var blocked []string
	for _, d := range domains {
		if !writable(d) {
			rights := "not returned"
			if h := d.AdminSDHolder; h != nil && h.SDRightsEffective != nil {
				rights = fmt.Sprint(*h.SDRightsEffective)
			}
			blocked = append(blocked, fmt.Sprintf("%s (sDRightsEffective %s; run entra8344 on its PDC emulator %s)", d.DNSName, rights, serverOf(d)))
		}
	}
	if len(blocked) > 0 {
		who := "this host's identity"
		if host.IsDC != nil && !*host.IsDC {
			who = "this member server's identity (its computer account when run as SYSTEM)"
		}
		return false, fmt.Sprintf("%s may not write AdminSDHolder's DACL in %s", who, strings.Join(blocked, "; "))
	}
	switch {
	case host.IsPDC != nil && *host.IsPDC:
		return true, "this host is the PDC emulator and may write AdminSDHolder's DACL; the protection task runs here"
	case host.IsDC != nil && *host.IsDC:
		return true, fmt.Sprintf("this host is a domain controller and may write AdminSDHolder's DACL; the change replicates to the PDC emulator (%s), where the protection task runs", serverOf(domains[0]))
	}
	return true, "this host's identity may write AdminSDHolder's DACL on the PDC emulator"
}

func riskNotes(grants []*diagnosis) []schema.RiskNote {
	attrs := map[string]bool{}
	for _, g := range grants {
		attrs[strings.ToLower(g.attr.Name)] = true
	}
	notes := []schema.RiskNote{{ID: "reaches-every-admin", Text: "The grant is copied by the protection task onto every protected account of the domain (Domain Admins, Administrator, krbtgt ...): whoever controls the connector account can then write that attribute on all of them."}}
	if attrs["msds-keycredentiallink"] {
		notes = append(notes, schema.RiskNote{ID: "shadow-credentials", Text: "Write access to msDS-KeyCredentialLink is the Shadow Credentials attack: adding a key lets its holder obtain a Kerberos ticket as that admin (PKINIT) without knowing the password. BloodHound shows it as an AddKeyCredentialLink edge from the connector account to every admin; common detections exclude MSOL_ accounts as the legitimate writer, so abuse by a stolen connector account is the least likely to alert."})
	}
	notes = append(notes,
		schema.RiskNote{ID: "existing-rights", Text: "With password hash sync the connector account already holds directory replication rights (DCSync), which equal domain compromise: the grant then adds mainly a quieter path. Without password hash sync (pass-through or federated sign-in) the grant is a new path to Tier 0. Either way, treat the Entra Connect server and its account as Tier 0."},
		schema.RiskNote{ID: "visible-to-audits", Text: "The ACE is visible to security audits: PingCastle reports it as a modified AdminSDHolder rule, BloodHound as an edge to every admin, and Windows logs events 5136 (and 4780 when the task runs). Tell the customer's security team before approving."},
		schema.RiskNote{ID: "alternatives", Text: "Microsoft stopped granting permissions on AdminSDHolder by default in Entra Connect 2.0.3.0. Alternatives: do not sync privileged on-premises accounts (use cloud-only admins), exclude them from the writeback feature (for Windows Hello for Business, cloud Kerberos trust instead of key trust), or accept the errors for those accounts."},
		schema.RiskNote{ID: "reversible", Text: "The change is one ACE: keep a copy of AdminSDHolder's DACL before it (entra8344 acl prints it) and undo it by removing exactly that ACE. Remove it too when the connector account is replaced (a reinstall creates a new MSOL_ account)."},
	)
	return notes
}
