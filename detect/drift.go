package detect

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"entra8344/schema"
)

// RunBaseline reads what a baseline records (the host, the collector's
// connectors, every AD connector's grants; no csexport) and records it.
// The verdict carries what went wrong when err is not nil.
func RunBaseline(ctx context.Context, env Env, o Options) (*Baseline, *schema.Verdict, error) {
	env.Baseline, env.BaselineErr = nil, nil
	if env.Log == nil {
		env.Log = log.New(io.Discard, "", 0)
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	r := &run{env: env, o: o, runner: &countingRunner{inner: env.Runner}, v: newVerdict(env, o), recording: true}
	r.detect(ctx)
	if len(r.v.Errors) > 0 {
		return nil, r.v, fmt.Errorf("%s", r.v.Errors[0].Message)
	}
	if r.env.Directory == nil {
		return nil, r.v, fmt.Errorf("the directory is not read here (%s), so there is nothing to record", r.v.Directory.Reason)
	}
	var conns = r.st.Connectors
	host := r.v.Host.Computer
	if r.v.Host.DNSDomain != "" {
		host += "." + r.v.Host.DNSDomain
	}
	b, err := RecordBaseline(env.Now(), strings.ToLower(host), r.forests, conns)
	return b, r.v, err
}

// drift compares the directory now with the recorded baseline and adds a
// finding per difference. A connector whose read failed now is not
// compared (its warnings say so): a failed read is not a removal.
func (r *run) drift(forests []*ForestFacts, role HostRole) {
	base := r.env.Baseline
	if base == nil {
		return
	}
	now := &Baseline{}
	for _, f := range forests {
		a := connectorAccount(f)
		if a == nil {
			continue
		}
		bc := BaselineConnector{Connector: f.Connector, Account: f.Account}
		for _, sc := range f.Snapshot.GrantScans {
			if sc.Err == "" {
				bc.Scans = append(bc.Scans, BaselineScan{NC: sc.NC})
			}
		}
		bc.ACEs = grantACEs(f)
		now.Connectors = append(now.Connectors, bc)
	}
	n := map[string]int{}
	for _, d := range CompareBaseline(base, now) {
		n[d.Kind]++
		r.v.Findings = append(r.v.Findings, driftFinding(d, base, n[d.Kind]))
	}
}

func driftFinding(d Drift, base *Baseline, seq int) schema.Finding {
	ace := d.Now
	if ace == nil {
		ace = d.Was
	}
	fd := &schema.Drift{DN: ace.DN, DomainNC: ace.DomainNC, AdminSDHolder: ace.AdminSDHolder, Trustee: ace.Trustee,
		Account: d.Account, BaselineRecordedAt: base.RecordedAt, Changes: []string{}}
	if d.Was != nil {
		fd.BaselineACE = d.Was.SDDL
	}
	if d.Now != nil {
		fd.ACE = d.Now.SDDL
	}
	where := ace.DN
	if ace.AdminSDHolder {
		where += " (AdminSDHolder: copied onto every protected account)"
	}
	f := schema.Finding{ID: fmt.Sprintf("%s-%d", d.Kind, seq), Kind: schema.FindingKind(d.Kind), Connector: d.Connector,
		ConnectorKind: "ad", Direction: "writeback", ErrorTypes: []string{}, ErrorCodes: []string{}, Attributes: []string{},
		ObjectCount: 1, Objects: []schema.Object{}, Drift: fd}
	switch d.Kind {
	case DriftRemoved:
		f.Explanation = fmt.Sprintf("The ACE %s for %s on %s was recorded in the baseline of %s and is gone now: the writes it allowed will fail with 8344 (permission-issue) at the next export that needs them.",
			d.Was.SDDL, d.Account, where, base.RecordedAt)
		fd.Manual = fmt.Sprintf("Restore the ACE %s on %s (Active Directory Users and Computers > Advanced Features > the object > Security > Advanced), or, if it was removed on purpose, record a new baseline: entra8344 baseline --replace", d.Was.SDDL, ace.DN)
		f.NextStep = "Find out who removed it (Windows event 5136 on a domain controller), then restore it: " + fd.Manual
	case DriftChanged:
		f.Explanation = fmt.Sprintf("The ACE for %s on %s changed since the baseline of %s: it was %s and is %s now.", d.Account, where, base.RecordedAt, d.Was.SDDL, d.Now.SDDL)
		if d.Now.Broad() && !d.Was.Broad() {
			f.Explanation += " It grants more than any writeback feature needs now."
		}
		fd.Manual = fmt.Sprintf("Set the ACE on %s back to %s, or, if the change was intended, record a new baseline: entra8344 baseline --replace", ace.DN, d.Was.SDDL)
		f.NextStep = "Find out who changed it (Windows event 5136), then: " + fd.Manual
	case DriftAddedBroad:
		f.Explanation = fmt.Sprintf("A new ACE %s for %s on %s, not in the baseline of %s, grants more than any writeback feature needs (full control, DACL or owner writes, all properties or all extended rights): whoever controls the connector account now controls what it reaches.",
			d.Now.SDDL, d.Account, where, base.RecordedAt)
		fd.Manual = fmt.Sprintf("Remove the ACE %s from %s unless the customer's security team approved it, then record a new baseline: entra8344 baseline --replace", d.Now.SDDL, ace.DN)
		f.NextStep = "Find out who added it (Windows event 5136): " + fd.Manual
	}
	return f
}
