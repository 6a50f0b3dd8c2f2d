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

// approve puts the approval tokens in the verdict: for the plan when this
// host may carry it out, or (MSP-wide key only) for the DC the plan names
// when it may not; and for the cleanup, apart. Without a key there is no
// token, and so no "remediable" promise: the status falls back to
// export_errors.
func approve(v *schema.Verdict, now time.Time, expiry time.Duration, key keyFunc) {
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
	p := v.Directory.Plan
	if len(p.Changes) == 0 {
		return
	}
	if !p.RemediableHere {
		v.Approval = approveForDC(v, now, expiry, key)
		return
	}
	if v.Status != schema.StatusRemediable {
		return
	}
	a, err := issue(p, remediate.ScopeHost, host, "", now, expiry, key)
	if err != nil {
		v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable",
			Message: fmt.Sprintf("no approval token could be issued, so the plan cannot be approved from this verdict: %v", err)})
		v.Status = schema.StatusExportErrors
		v.Summary = detect.Summary(v)
		return
	}
	v.Approval = a
}

// approveForDC: a plan this host may not carry out can be approved for the
// DC every change names, under the MSP-wide key only (that DC does not
// have this host's key), with the plan's parameters for that DC to
// re-derive it. The status is unchanged: a person runs it there.
func approveForDC(v *schema.Verdict, now time.Time, expiry time.Duration, key keyFunc) *schema.Approval {
	server := ""
	for _, c := range v.Directory.Plan.Changes {
		if server != "" && !strings.EqualFold(c.Server, server) || c.Server == "" {
			return nil // changes for several DCs (several domains): approve on each
		}
		server = c.Server
	}
	// The replay key stands for the MSP-wide key inside a replay, where
	// both "hosts" are the same scenario.
	if _, source, err := key(); err != nil || (source != "msp" && source != "replay") {
		return nil
	}
	params, err := remediate.PlanParams(v)
	if err != nil {
		v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable", Message: "the plan cannot be approved for " + server + ": " + err.Error()})
		return nil
	}
	a, err := issue(v.Directory.Plan, remediate.ScopeDC, strings.ToLower(server), params, now, expiry, key)
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
		Scope: scope.String(), PlanDigest: hex.EncodeToString(d[:]), KeySource: source, RunOn: host, Plan: params}, nil
}
