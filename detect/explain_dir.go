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

// maxManualLines caps per-object command lines in a diagnosis.
const maxManualLines = 10

// describe writes a diagnosis's remediation, explanation, next step and the
// lines a person would type. Plain English; the evidence is in the fields.
func describe(g *diagnosis) {
	d := &g.d
	acct := g.forest.Account
	n := plural(d.ObjectCount, "object", "objects")
	attr := d.Attribute
	feature := ad.FeatureOf(attr).Name
	holder, pdc := "CN=AdminSDHolder,CN=System,<domain>", "the PDC emulator"
	if g.dom != nil {
		holder = ad.AdminSDHolderDN(g.dom.NC)
		if g.dom.PDCEmulator != "" {
			pdc = g.dom.PDCEmulator
		}
	}
	switch d.Kind {
	case schema.DiagAdminSDHolderWritebackDenied:
		d.Remediation = schema.RemediationPlan
		d.Explanation = fmt.Sprintf("%s in %s %s (adminCount=1, inheritance disabled by the AdminSDHolder protection task). "+
			"The protection task replaces their permissions with those of %s every hour, so the inherited right of %s to write %s (%s) never reaches them, "+
			"and AdminSDHolder itself grants no such right: every export cycle fails with 8344.",
			capitalize(n), d.Domain, pick(d.ObjectCount, "is a protected admin account", "are protected admin accounts"), holder, acct, attr, feature)
		d.NextStep = grantNextStep(g, pdc)
		if len(g.ineffective) > 0 {
			d.Explanation += " " + ineffectiveExplanation(g)
		}
	case schema.DiagProtectTaskPending:
		d.Remediation = schema.RemediationProtectTask
		d.Explanation = fmt.Sprintf("AdminSDHolder of %s already grants %s Write-Property on %s, but the protection task has not yet copied it onto %s "+
			"(it runs on the PDC emulator %s every 60 minutes by default, and the change may still be replicating).", d.Domain, acct, attr, n, pdc)
		d.NextStep = fmt.Sprintf("Nothing needs granting. Trigger the protection task on %s (the plan does it), or wait for its next run, then run a delta sync.", pdc)
	case schema.DiagStaleAdminCount:
		d.Remediation = schema.RemediationManual
		d.Explanation = fmt.Sprintf("%s %s adminCount=1 and inheritance disabled, but %s no longer in any protected group. "+
			"The protection task no longer touches %s, so an AdminSDHolder grant would never reach %s: %s the stripped permissions until a person restores inheritance.",
			capitalize(n), hasHave(d.ObjectCount), isAre(d.ObjectCount), itThem(d.ObjectCount), itThem(d.ObjectCount), pick(d.ObjectCount, "it keeps", "they keep"))
		d.NextStep = "Confirm each account should no longer be an admin, then clear adminCount and re-enable inheritance on it (lines below); the next export succeeds once the OU's writeback permission is inherited again."
		d.Manual = perObject(g.dns, func(dn string) []string {
			return []string{clearAdminCountLine(dn), inheritLine(dn)}
		})
	case schema.DiagOUPermissionMissing:
		d.Remediation = schema.RemediationManual
		d.Explanation = fmt.Sprintf("%s %s not protected, and %s holds no Write-Property on %s there: the %s permission was never granted on their OU (or was removed).",
			capitalize(n), isAre(d.ObjectCount), acct, attr, feature)
		d.NextStep = "Grant the feature's permission on the OU with Microsoft's ADSyncConfig module (lines below, run as a domain admin on the Entra Connect server), then run a delta sync. Not automated: OU permissions are the customer's delegation design."
		d.Manual = ouLines(g)
	case schema.DiagPasswordWritebackProtected:
		d.Remediation = schema.RemediationRefused
		d.Explanation = fmt.Sprintf("Password writeback fails for %s because they are protected admin accounts. Granting %s password rights on AdminSDHolder would let whoever controls the connector account reset every domain admin's password: an account-takeover path to the whole domain. entra8344 refuses it by design.", n, acct)
		d.NextStep = "Do not grant it. Change admin passwords on-premises, keep privileged accounts out of self-service password reset, or use cloud-only admin accounts."
	case schema.DiagStaleConnectorACE:
		d.Remediation = schema.RemediationManual
		d.Explanation = fmt.Sprintf("AdminSDHolder of %s holds an ACE for a connector account that this server does not use: %s. The protection task stamps it onto every protected account.", d.Domain, d.Explanation)
		d.NextStep = "If no other Entra Connect server (staging server included) uses that account, remove its ACE from AdminSDHolder (directory.cleanup: approve cleanup_approval's token, or the line below) and, once nothing uses it, disable the account."
		if p := g.stale; p != nil && p.Found {
			dom, broadens := "", true // not knowing the DACL, dsacls /R is not offered
			if g.dom != nil {
				dom = g.dom.NetBIOS
				if sid, err := ntsd.ParseSIDString(g.key.attribute); err == nil && g.dom.AdminSDHolder != nil && g.dom.AdminSDHolder.SD != nil && g.dom.AdminSDHolder.SD.DACL != nil {
					broadens = removeAllBroadens(g.dom.AdminSDHolder.SD.DACL, sid)
				}
			}
			who := p.SAM
			if dom != "" {
				who = dom + `\` + p.SAM
			}
			d.Manual = append(d.Manual, staleRemoveLines(pdc, holder, who, broadens)...)
		} else {
			sid := "that SID" // the key is a SID as ntsd renders it; anything else is not repeated
			if s, err := ntsd.ParseSIDString(g.key.attribute); err == nil {
				sid = s.String()
			}
			d.Manual = append(d.Manual, fmt.Sprintf("# remove the ACE(s) of %s on AdminSDHolder: Active Directory Users and Computers, View > Advanced Features, System > AdminSDHolder > Properties > Security > Advanced", sid))
		}
	case schema.DiagInheritanceDisabled:
		d.Remediation = schema.RemediationManual
		d.Explanation = fmt.Sprintf("%s %s not protected (adminCount is not set), but inheritance is disabled on %s, so the OU's writeback permission for %s on %s does not reach %s.",
			capitalize(n), isAre(d.ObjectCount), itThem(d.ObjectCount), acct, attr, itThem(d.ObjectCount))
		d.NextStep = "Re-enable inheritance on each object (lines below; Get-ADSyncObjectsWithInheritanceDisabled in ADSyncConfig lists them all), then run a delta sync."
		d.Manual = perObject(g.dns, func(dn string) []string { return []string{inheritLine(dn)} })
	case schema.DiagExplicitDeny:
		d.Remediation = schema.RemediationManual
		d.Explanation = fmt.Sprintf("An explicit Deny ACE stops %s from writing %s on %s (see the decision and ACEs of each object). A deny is evaluated before any grant, so adding a grant would not help.", acct, attr, n)
		d.NextStep = "Find out who added the deny and why; remove or narrow it only if it is not a deliberate control (Exchange, for example, denies some writes on admin accounts on purpose)."
		if g.deny != nil && g.dom != nil {
			sddl := g.deny.SDDL(&g.dom.SID)
			d.Explanation += fmt.Sprintf(" The deny %s is on AdminSDHolder (%s): the protection task copies AdminSDHolder's DACL onto every protected account, so removing it from an account alone is undone by the task within the hour.", sddl, holder)
			d.NextStep += " Remove or narrow it on AdminSDHolder, not on the accounts, then trigger the protection task (lines below)."
			d.Manual = append(d.Manual,
				"# remove the deny ACE "+sddl+" from AdminSDHolder (not from the accounts): Active Directory Users and Computers, View > Advanced Features, System > AdminSDHolder > Properties > Security > Advanced",
				triggerLine(pdc))
		} else {
			d.Explanation += " The deny is on the objects themselves (each object's decision says whether it is explicit there or inherited from a parent container), not on AdminSDHolder."
			d.Manual = append(d.Manual, "# remove the deny ACE named in each object's decision from the object (or, when inherited, from the parent container that holds it): Active Directory Users and Computers, View > Advanced Features, the object > Properties > Security > Advanced")
		}
	case schema.DiagAttributeNotAllowlisted:
		d.Remediation = schema.RemediationManual
		d.Explanation = fmt.Sprintf("%s %s by AdminSDHolder, and %s is not on entra8344's writeback allowlist for AdminSDHolder, so no grant is planned.", capitalize(n), pick(d.ObjectCount, "is protected", "are protected"), attr)
		d.NextStep = "Decide whether the connector should write this attribute on admin accounts at all; usually the better fix is to stop syncing privileged accounts or to scope the writeback."
	case schema.DiagAccessGrantedNow:
		d.Remediation = schema.RemediationNone
		d.Explanation = fmt.Sprintf("The directory now lets %s write %s on %s: the error is from before the permission arrived.", acct, attr, n)
		d.NextStep = "Nothing to change: the next export cycle should succeed. If it keeps failing, the domain controller Entra Connect writes to may not have the change yet (replication)."
	case schema.DiagNotEvaluated:
		d.Remediation = schema.RemediationNone
		d.Explanation = fmt.Sprintf("%s could not be evaluated against the directory (see each object's decision).", capitalize(n))
		d.NextStep = "Fix what the decision names (account, object or attribute not found, or not readable), then run detect again."
	}
}

// grantNextStep is the next step of a planned grant written on server.
func grantNextStep(g *diagnosis, server string) string {
	holder := "CN=AdminSDHolder,CN=System,<domain>"
	if g.dom != nil {
		holder = ad.AdminSDHolderDN(g.dom.NC)
	}
	s := fmt.Sprintf("Approve the plan: one Write-Property ACE for %s on %s only, on %s, written on %s, then the protection task and a delta sync. "+
		"Read the risk notes first: the grant reaches every protected account of %s.", g.forest.Account, g.d.Attribute, holder, server, g.d.Domain)
	if len(g.ineffective) > 0 {
		s += " The ineffective ACE is offered for removal in directory.cleanup, under its own approval; nothing removes it otherwise."
	}
	return s
}

// ineffectiveExplanation names AdminSDHolder's ineffective grants and why
// they do not apply.
func ineffectiveExplanation(g *diagnosis) string {
	var parts []string
	for _, a := range g.ineffective {
		why := whyNotApplied(ntsd.NotAppliedOtherClass, a, "AdminSDHolder itself")
		if a.IsInheritOnly() {
			why = whyNotApplied(ntsd.NotAppliedInheritOnly, a, "AdminSDHolder itself")
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", a.SDDL(&g.dom.SID), why))
	}
	return fmt.Sprintf("AdminSDHolder does hold an ACE for %s that would grant %s, %s, but it does not apply: the protection task copies it verbatim onto every admin, where it never applies to the account itself, "+
		"so the permission looks present while the export fails with 8344. This is the ACE Microsoft's ADSyncConfig cmdlets write with -IncludeAdminSdHolders (and Entra Connect before 2.0.3.0 by default): the one they write on OUs, for descendant user objects.",
		g.forest.Account, g.d.Attribute, strings.Join(parts, "; "))
}

// perObject gives each object's lines, for the first maxManualLines objects.
func perObject(dns []string, lines func(dn string) []string) []string {
	out := []string{}
	for i, dn := range dns {
		if i == maxManualLines {
			return append(out, fmt.Sprintf("# ... and %d more objects", len(dns)-i))
		}
		out = append(out, lines(dn)...)
	}
	return out
}

// ouLines groups the objects by parent container and gives the ADSyncConfig
// line for the attribute's feature, or dsacls where the module has no cmdlet.
func ouLines(g *diagnosis) []string {
	parents := map[string]bool{}
	for _, dn := range g.dns {
		if p, err := ldap.ParseDN(dn); err == nil {
			parents[p.Parent().String()] = true
		}
	}
	ous := make([]string, 0, len(parents))
	for p := range parents {
		ous = append(ous, p)
	}
	sort.Strings(ous)
	f := ad.FeatureOf(g.d.Attribute)
	user, dom := splitAccount(g.forest.Account)
	dnsDom := g.d.Domain
	if g.account != nil && g.dom != nil {
		dnsDom = g.dom.DNSName
	}
	var out []string
	if f.Cmdlet != "" {
		out = append(out, `Import-Module "C:\Program Files\Microsoft Azure Active Directory Connect\AdSyncConfig\AdSyncConfig.psm1"`)
	}
	for i, ou := range ous {
		if i == maxManualLines {
			out = append(out, fmt.Sprintf("# ... and %d more containers", len(ous)-i))
			break
		}
		if f.Cmdlet != "" {
			out = append(out, psLine(f.Cmdlet+" -ADConnectorAccountName %s -ADConnectorAccountDomain %s -ADobjectDN %s", user, dnsDom, ou))
		} else {
			// ADSyncConfig has no cmdlet for this attribute (msDS-KeyCredentialLink).
			who := user
			if dom != "" {
				who = dom + `\` + user
			}
			perm := permArg(who, "RPWP", g.d.Attribute, "user")
			if perm == "" {
				out = append(out, "# no dsacls line: the account or attribute name would be read as another permission; grant Read and Write Property on the attribute for descendant user objects in Active Directory Users and Computers")
				continue
			}
			out = append(out, dsaclsLine("grant Read and Write Property on the attribute for descendant user objects in Active Directory Users and Computers", ou, sw("/G"), val(perm), sw("/I:S")))
		}
	}
	return out
}

func splitAccount(a string) (user, domain string) {
	if i := strings.LastIndex(a, `\`); i >= 0 {
		return a[i+1:], a[:i]
	}
	return a, ""
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func isAre(n int) string   { return map[bool]string{true: "is", false: "are"}[n == 1] }
func hasHave(n int) string { return map[bool]string{true: "has", false: "have"}[n == 1] }
func itThem(n int) string  { return map[bool]string{true: "it", false: "them"}[n == 1] }
