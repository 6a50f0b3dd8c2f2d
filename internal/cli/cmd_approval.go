package cli

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/remediate"
	"entra8344/schema"
)

// expiryOf: an approval expires expiry after now, and never later than
// expiry after the real clock, whatever clock the run has (a replay's
// scenario may be dated in the future).
func expiryOf(now time.Time, expiry time.Duration) time.Time {
	exp := now.Add(expiry)
	if limit := time.Now().Add(expiry); exp.After(limit) {
		exp = limit
	}
	return exp
}

// approve puts the approval tokens in the verdict: one per part of the
// plan (detect.PlanParts): this host's part, and (MSP-wide key only) each
// DC's part this host may not carry out; and for the cleanup, apart.
// Without a key there is no token, and so no "remediable" promise: the
// status falls back to export_errors.
func approve(v *schema.Verdict, now time.Time, expiry time.Duration, key keyFunc) {
	if v.Approvals == nil {
		v.Approvals = []schema.Approval{}
	}
	if !v.Directory.Performed {
		return
	}
	host := remediate.HostID(v.Host.Computer, v.Host.DNSDomain)
	if c := v.Directory.Cleanup; len(c.Changes) > 0 && c.RemediableHere {
		a, err := issue(c, remediate.ScopeHost, host, "", now, expiry, key)
		if err != nil {
			v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable",
				Message: fmt.Sprintf("no approval token could be issued for the cleanup: %v", err)})
		}
		v.CleanupApproval = a
	}
	parts := detect.PlanParts(v.Directory.Plan)
	var dcs []*schema.Approval
	for _, p := range parts {
		if p.RemediableHere {
			if v.Status != schema.StatusRemediable {
				continue
			}
			a, err := issue(p, remediate.ScopeHost, host, "", now, expiry, key)
			if err != nil {
				v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable",
					Message: fmt.Sprintf("no approval token could be issued, so the plan cannot be approved from this verdict: %v", err)})
				v.Status = schema.StatusExportErrors
				v.Summary = detect.Summary(v)
				continue
			}
			v.Approval = a
			v.Approvals = append(v.Approvals, *a)
			continue
		}
		if a := approveForDC(v, p, now, expiry, key); a != nil {
			dcs = append(dcs, a)
			v.Approvals = append(v.Approvals, *a)
		}
	}
	// approval stays what it was before parts: the host's, or the DC's
	// when one DC must carry out the whole plan.
	if v.Approval == nil && len(parts) == 1 && len(dcs) == 1 {
		v.Approval = dcs[0]
	}
}

// approveForDC: a part this host may not carry out can be approved for the
// DC its changes name, under the MSP-wide key only (that DC does not
// have this host's key), with the part's parameters for that DC to
// re-derive it. The status is unchanged: a person runs it there.
func approveForDC(v *schema.Verdict, part schema.Plan, now time.Time, expiry time.Duration, key keyFunc) *schema.Approval {
	server := detect.PartServer(part)
	if server == "" {
		return nil
	}
	// The replay key stands for the MSP-wide key inside a replay, where
	// both "hosts" are the same scenario.
	if _, source, err := key(); err != nil || (source != "msp" && source != "replay") {
		return nil
	}
	params, err := remediate.PartParams(v, part)
	if err != nil {
		v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable", Message: "the plan cannot be approved for " + server + ": " + err.Error()})
		return nil
	}
	a, err := issue(part, remediate.ScopeDC, strings.ToLower(server), params, now, expiry, key)
	if err != nil {
		v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable", Message: "the plan cannot be approved for " + server + ": " + err.Error()})
	}
	return a
}

func issue(p schema.Plan, scope remediate.Scope, host, params string, now time.Time, expiry time.Duration, key keyFunc) (*schema.Approval, error) {
	k, source, err := key()
	if err != nil {
		return nil, err
	}
	d := remediate.Digest(p)
	exp := expiryOf(now, expiry)
	tok, err := remediate.IssueScoped(k, scope, d, host, exp)
	if err != nil {
		return nil, err
	}
	return &schema.Approval{Token: tok, ExpiresAt: exp.UTC().Format(time.RFC3339),
		Scope: scope.String(), PlanDigest: hex.EncodeToString(d[:]), KeySource: source, RunOn: host, Plan: params, Changes: ids(p)}, nil
}

func ids(p schema.Plan) []string {
	out := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		out[i] = c.ID
	}
	return out
}
