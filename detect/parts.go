package detect

import (
	"fmt"
	"strings"

	"entra8344/schema"
)

// PlanParts splits a plan into the parts one approval each carries out:
// first this host's part (every change this host's identity may write,
// WritableHere), when there is one; then, for the rest, one part per
// domain controller that must write it (case-insensitive server). A
// domain's run-protect-task change goes with that domain's grant on
// AdminSDHolder (on a non-PDC DC the grant is written on this DC and the
// task triggered on the PDC emulator, both by this host; on a member
// server both go to the PDC emulator). Each part keeps the plan's change
// ids and order, so the parts partition the plan and none holds a change
// the plan does not: an approval of a part never broadens the plan.
//
// A plan with a single part gives back a part with the plan's changes,
// so its digest is the plan's.
func PlanParts(p schema.Plan) []schema.Plan {
	if len(p.Changes) == 0 {
		return nil
	}
	// The write server of each domain's AdminSDHolder grant.
	grantServer := map[string]string{}
	for _, c := range p.Changes {
		if c.Action == schema.ActionAddACE {
			grantServer[strings.ToUpper(c.DomainSID)] = c.Server
		}
	}
	var here []schema.Change
	var order []string
	there := map[string][]schema.Change{}
	servers := map[string]string{}
	for _, c := range p.Changes {
		if c.WritableHere {
			here = append(here, c)
			continue
		}
		server := c.Server
		if s, ok := grantServer[strings.ToUpper(c.DomainSID)]; ok && c.Action == schema.ActionRunProtectTask {
			server = s
		}
		k := strings.ToLower(server)
		if _, ok := there[k]; !ok {
			order = append(order, k)
			servers[k] = server
		}
		there[k] = append(there[k], c)
	}
	var parts []schema.Plan
	if len(here) > 0 {
		reason := p.RemediableReason
		if !p.RemediableHere {
			reason = fmt.Sprintf("this host may carry out %s (its identity may write their targets); the rest of the plan is approved for %s apart", changeIDs(here), strings.Join(serverNames(order, servers), ", "))
		}
		parts = append(parts, part(here, true, reason, p.RiskNotes))
	}
	for _, k := range order {
		cs := there[k]
		parts = append(parts, part(cs, false, fmt.Sprintf("this host's identity may not write the targets of %s: carry them out on %s (approval.run_on)", changeIDs(cs), servers[k]), p.RiskNotes))
	}
	return parts
}

// HasHostPart: some of the plan is this host's to carry out.
func HasHostPart(p schema.Plan) bool {
	for _, c := range p.Changes {
		if c.WritableHere {
			return true
		}
	}
	return false
}

// PartServer is the domain controller a part not remediable here is
// carried out on ("" for this host's part).
func PartServer(p schema.Plan) string {
	if p.RemediableHere {
		return ""
	}
	for _, c := range p.Changes {
		if c.Action != schema.ActionRunProtectTask {
			return c.Server
		}
	}
	if len(p.Changes) > 0 {
		return p.Changes[0].Server
	}
	return ""
}

func part(cs []schema.Change, here bool, reason string, notes []schema.RiskNote) schema.Plan {
	own := append([]schema.Change{}, cs...)
	if notes == nil {
		notes = []schema.RiskNote{}
	}
	return schema.Plan{Changes: own, Manual: manualPlan(own), RemediableHere: here, RemediableReason: reason, RiskNotes: notes}
}

func changeIDs(cs []schema.Change) string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

func serverNames(order []string, servers map[string]string) []string {
	out := make([]string, len(order))
	for i, k := range order {
		out[i] = servers[k]
	}
	return out
}
