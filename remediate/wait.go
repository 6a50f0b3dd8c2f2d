package remediate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/internal/textout"
	"entra8344/schema"
)

// check is one group of objects that must end up writable by their
// connector account: read on the server of their change (the PDC
// emulator, where the task runs) and diagnosed again by detect.
type check struct {
	server, change string
	connector      string
	account        string // DOMAIN\user
	objects        []detect.RecheckObject
}

// wait re-diagnoses the affected objects (those the diagnoses list) with
// detect until each is access-granted-now, bounded by Wait.
func (r *run) wait(ctx context.Context, v *schema.Verdict) {
	checks := checksOf(v)
	total := 0
	for _, c := range checks {
		total += len(c.objects)
	}
	s := schema.ResultStep{Name: "wait"}
	if total == 0 {
		s.Status, s.Message = schema.StepSkipped, "no object to check"
		r.step(s)
		return
	}
	i, _ := r.journal.Begin(JournalEntry{Name: "wait"})
	// Real time, not the verdict's clock (a replay's clock stands still).
	deadline := time.Now().Add(r.env.Wait)
	every := r.env.PollEvery
	if every <= 0 {
		every = time.Second
	}
	pending := checks
	var last []string // why the last re-check of a group failed
	for {
		var still []check
		last = nil
		for _, c := range pending {
			left, why := r.recheck(ctx, c)
			for _, o := range c.objects {
				if !containsObject(left, o) {
					s.Evidence.ObjectsVerified = append(s.Evidence.ObjectsVerified, o.DN)
				}
			}
			if len(left) > 0 {
				c.objects = left
				still = append(still, c)
				last = append(last, why...)
			}
		}
		pending = still
		if len(pending) == 0 || !time.Now().Add(every).Before(deadline) || r.env.Sleep(ctx, every) != nil {
			break
		}
	}
	n := 0
	for _, c := range pending {
		for _, o := range c.objects {
			s.Evidence.ObjectsPending = append(s.Evidence.ObjectsPending, o.DN)
			n++
		}
	}
	if n == 0 {
		s.Status, s.Message = schema.StepDone, "a fresh detect diagnoses "+allChecked(total)+" as access-granted-now"
	} else {
		s.Status = schema.StepPending
		s.Message = fmt.Sprintf("%d of %s not writable yet: the protection task copies AdminSDHolder onto them when it runs (up to 60 minutes), an OU grant reaches them once AD has propagated it and it has replicated (wait %s)", n, textout.Count(total, "object")+map[bool]string{true: " is", false: " are"}[n == 1], r.env.Wait)
		if len(last) > 0 {
			s.Message += "; " + strings.Join(last, "; ")
		}
	}
	r.journal.End(i, string(s.Status), s.Message, nil)
	r.step(s)
}

// recheck asks detect to diagnose c's objects again; it returns those not
// yet access-granted-now and what detect says of them.
func (r *run) recheck(ctx context.Context, c check) ([]detect.RecheckObject, []string) {
	kinds, err := detect.Recheck(ctx, r.env.Detect.Directory, detect.RecheckRequest{Connector: c.connector, Account: c.account,
		Server: c.server, Objects: c.objects, Confine: r.scope == ScopeDC})
	if err != nil {
		return c.objects, []string{fmt.Sprintf("re-reading the objects on %s failed: %v", c.server, err)}
	}
	var left []detect.RecheckObject
	var why []string
	for _, o := range c.objects {
		if k := kinds[detect.RecheckKey(o.DN, o.Attribute)]; k != schema.DiagAccessGrantedNow {
			left = append(left, o)
			if k != schema.DiagAdminSDHolderWritebackDenied && k != schema.DiagProtectTaskPending {
				why = append(why, fmt.Sprintf("%s is now diagnosed %s", o.DN, k))
			}
		}
	}
	return left, why
}

func containsObject(list []detect.RecheckObject, o detect.RecheckObject) bool {
	for _, x := range list {
		if x == o {
			return true
		}
	}
	return false
}

// checksOf groups the objects of the diagnoses the plan being carried out
// fixes, by connector and the server of their change.
func checksOf(v *schema.Verdict) []check {
	server := map[string]string{}
	for _, c := range v.Directory.Plan.Changes {
		server[c.ID] = c.Server
	}
	accounts := map[string]string{}
	for _, a := range v.Directory.ConnectorAccounts {
		accounts[a.Connector] = a.Account
	}
	var out []check
	idx := map[string]int{}
	for _, g := range v.Directory.Diagnoses {
		last, ok := fixedBy(v.Directory.Plan, g)
		if !ok || accounts[g.Connector] == "" {
			continue
		}
		key := g.Connector + "|" + server[last]
		k, ok := idx[key]
		if !ok {
			k = len(out)
			idx[key] = k
			out = append(out, check{server: server[last], change: last, connector: g.Connector, account: accounts[g.Connector]})
		}
		for _, o := range g.Objects {
			if reached(v.Directory.Plan, g, o.DN) {
				out[k].objects = append(out[k].objects, detect.RecheckObject{DN: o.DN, Attribute: g.Attribute})
			}
		}
	}
	return out
}

// fixedBy: the plan being carried out (grants or cleanup) fixes diagnosis
// g's objects when it runs the protection task for them; the ID is that
// change's. A grant diagnosis may also name a cleanup change (an
// ineffective ACE offered for removal), which fixes none of its objects.
func fixedBy(p schema.Plan, g schema.Diagnosis) (string, bool) {
	for _, id := range g.Changes {
		for _, c := range p.Changes {
			if c.ID == id && (c.Action == schema.ActionRunProtectTask || c.Action == schema.ActionAddOUACE) {
				return id, true
			}
		}
	}
	return "", false
}

// allChecked: "the 1 object checked", "all 3 objects checked".
func allChecked(n int) string {
	if n == 1 {
		return "the 1 object checked"
	}
	return fmt.Sprintf("all %d objects checked", n)
}

// reached: the plan's changes for g reach object dn. An OU grant reaches
// only the objects below its target (the plan leaves the others manual);
// the protection task every object of its diagnosis.
func reached(p schema.Plan, g schema.Diagnosis, dn string) bool {
	ou := false
	for _, id := range g.Changes {
		for _, c := range p.Changes {
			if c.ID != id || c.Action != schema.ActionAddOUACE {
				continue
			}
			ou = true
			if under(dn, c.TargetDN) {
				return true
			}
		}
	}
	return !ou
}
