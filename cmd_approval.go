package main

import (
	"encoding/hex"
	"fmt"
	"time"

	"entra8344/detect"
	"entra8344/remediate"
	"entra8344/schema"
)

// keyFunc returns the approval key and where it came from (host, msp, replay).
type keyFunc func() (key []byte, source string, err error)

// approvalKey: an MSP-wide key from the environment wins; a replay signs
// with its scenario's fixed key (never the host's); a live run with the
// host's own key from the state directory.
func approvalKey(replayName string, hostKey func() ([]byte, error)) keyFunc {
	return func() ([]byte, string, error) {
		if k, set, err := remediate.KeyFromEnv(); set {
			return k, "msp", err
		}
		if replayName != "" {
			return remediate.ReplayKey(replayName), "replay", nil
		}
		k, err := hostKey()
		return k, "host", err
	}
}

// approve puts the approval token in the verdict when the plan has changes
// this host may carry out. Without a key there is no token, and so no
// "remediable" promise: the status falls back to export_errors.
func approve(v *schema.Verdict, now time.Time, expiry time.Duration, key keyFunc) {
	p := v.Directory.Plan
	if v.Status != schema.StatusRemediable || !v.Directory.Performed || len(p.Changes) == 0 || !p.RemediableHere {
		return
	}
	k, source, err := key()
	var tok string
	d := remediate.Digest(p)
	if err == nil {
		tok, err = remediate.Issue(k, d, remediate.HostID(v.Host.Computer, v.Host.DNSDomain), now.Add(expiry))
	}
	if err != nil {
		v.Warnings = append(v.Warnings, schema.Notice{Code: "approval-unavailable",
			Message: fmt.Sprintf("no approval token could be issued, so the plan cannot be approved from this verdict: %v", err)})
		v.Status = schema.StatusExportErrors
		v.Summary = detect.Summary(v)
		return
	}
	v.Approval = &schema.Approval{Token: tok, ExpiresAt: now.Add(expiry).UTC().Format(time.RFC3339),
		Scope: "host", PlanDigest: hex.EncodeToString(d[:]), KeySource: source}
}
