package detect

import (
	"reflect"
	"strings"
	"testing"

	"entra8344/fixtures"
	"entra8344/schema"
)

// TestPlanPartsPartitionThePlan (issue 13 §2): over every scenario's plan,
// and over the plans of the forest shapes, the parts hold every change of
// the plan exactly once and no other (an approval of a part never
// broadens the plan), this host's part is first and holds exactly the
// changes it may write, every other part names one server, a domain's
// protection task goes with its grant, and a plan of one part is that
// plan's changes in its order (its digest is the plan's).
func TestPlanPartsPartitionThePlan(t *testing.T) {
	checked := 0
	for _, name := range fixtures.Names() {
		sc := loadScenario(t, name)
		if !sc.HasDirectory() {
			continue
		}
		v := verdictOf(t, name)
		p := v.Directory.Plan
		if len(p.Changes) == 0 {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) { checkParts(t, p) })
	}
	if checked < 5 {
		t.Fatalf("only %d scenarios with a plan", checked)
	}
}

func checkParts(t *testing.T, p schema.Plan) {
	t.Helper()
	parts := PlanParts(p)
	seen := map[string]int{}
	for i, part := range parts {
		if len(part.Changes) == 0 {
			t.Errorf("part %d is empty", i)
		}
		servers := map[string]bool{}
		for _, c := range part.Changes {
			j := changeIndex(p.Changes, c.ID)
			if j < 0 || !reflect.DeepEqual(p.Changes[j], c) {
				t.Errorf("part %d holds %+v, which is not a change of the plan", i, c)
				continue
			}
			seen[c.ID]++
			if c.WritableHere != part.RemediableHere {
				t.Errorf("part %d (remediable here %v) holds %s (writable here %v)", i, part.RemediableHere, c.ID, c.WritableHere)
			}
			if c.Action != schema.ActionRunProtectTask {
				servers[strings.ToLower(c.Server)] = true
			}
		}
		if part.RemediableHere && i != 0 {
			t.Errorf("this host's part is part %d, not the first", i)
		}
		if !part.RemediableHere && (len(servers) > 1 || PartServer(part) == "") {
			t.Errorf("part %d for another DC names servers %v (PartServer %q)", i, servers, PartServer(part))
		}
		// A domain's protection task is in the part of its grant.
		for _, c := range p.Changes {
			if c.Action != schema.ActionAddACE || changeIndex(part.Changes, c.ID) < 0 {
				continue
			}
			for _, tr := range p.Changes {
				if tr.Action == schema.ActionRunProtectTask && strings.EqualFold(tr.DomainSID, c.DomainSID) && changeIndex(part.Changes, tr.ID) < 0 {
					t.Errorf("the protection task %s of %s is not in the part of its grant %s", tr.ID, tr.Domain, c.ID)
				}
			}
		}
	}
	for _, c := range p.Changes {
		if seen[c.ID] != 1 {
			t.Errorf("change %s is in %d parts, want 1", c.ID, seen[c.ID])
		}
	}
	if len(parts) == 1 && !reflect.DeepEqual(parts[0].Changes, p.Changes) {
		t.Errorf("a plan of one part: part %+v, plan %+v", parts[0].Changes, p.Changes)
	}
}

// TestPlanPartsPerForestShape: what each forest shape's plan splits into.
func TestPlanPartsPerForestShape(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		want     []string // per part: "here" or the server, then the change ids
	}{
		{"forest-root-pdc", []string{"here C1 C3", "dc11.emea.contoso.com C2 C4"}},
		// The root DC writes the root grant and triggers the root PDC's task.
		{"forest-root-dc", []string{"here C1 C3", "dc11.emea.contoso.com C2 C4"}},
		{"forest-child-dc", []string{"here C2 C4", "dc01.contoso.com C1 C3"}},
		{"forest-member", []string{"dc01.contoso.com C1 C3", "dc11.emea.contoso.com C2 C4"}},
		{"member-server", []string{"dc01.contoso.com C1 C2"}},
		{"keycredlink-admin", []string{"here C1 C2"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			var got []string
			for _, part := range PlanParts(verdictOf(t, tc.scenario).Directory.Plan) {
				s := PartServer(part)
				if part.RemediableHere {
					s = "here"
				}
				for _, c := range part.Changes {
					s += " " + c.ID
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parts %q, want %q", got, tc.want)
			}
		})
	}
}
