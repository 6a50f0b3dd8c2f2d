package adsync

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/tidwall/gjson"

	"entra8344/internal/winhost"
)

// SyncScript starts a sync cycle (Start-ADSyncSyncCycle -PolicyType Delta,
// or Initial when the environment variable ENTRA8344_SYNC_POLICY is
// Initial: the script stays one constant the replay recognises).
//
//go:embed sync.ps1
var SyncScript []byte

// ErrSyncBusy: the engine is running a cycle; try again later.
var ErrSyncBusy = errors.New("the sync engine is busy with a cycle")

// Policy is the PolicyType of a sync cycle.
type Policy string

const (
	PolicyDelta   Policy = "Delta"
	PolicyInitial Policy = "Initial"
)

// ParsePolicy maps the CLI's --sync value (delta, initial) to a Policy.
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "", "delta":
		return PolicyDelta, nil
	case "initial":
		return PolicyInitial, nil
	}
	return "", fmt.Errorf("sync policy %q is not delta or initial", s)
}

// StartDeltaSync asks the engine for a delta cycle (StartSync).
func StartDeltaSync(ctx context.Context, r winhost.Runner, o CollectOptions, tries int, sleep func(context.Context, time.Duration) error) error {
	return StartSync(ctx, r, o, PolicyDelta, tries, sleep)
}

// StartSync asks the engine for a cycle of policy p, retrying with backoff
// (sleep) while it is busy, at most tries times: the same busy and backoff
// handling for both policies.
func StartSync(ctx context.Context, r winhost.Runner, o CollectOptions, p Policy, tries int, sleep func(context.Context, time.Duration) error) error {
	if o.PowerShell == "" {
		return errors.New("no path to powershell.exe")
	}
	if p != PolicyDelta && p != PolicyInitial {
		return fmt.Errorf("sync policy %q is not Delta or Initial", p)
	}
	env := []string{"ENTRA8344_SYNC_POLICY=" + string(p)}
	if o.ModulePath != "" {
		env = append(env, "ENTRA8344_ADSYNC_MODULE="+o.ModulePath)
	}
	wait := 15 * time.Second
	var last error
	for i := 0; i < tries; i++ {
		if i > 0 {
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			wait *= 2
		}
		res, err := r.Run(ctx, winhost.Command{Path: o.PowerShell, Args: CollectorArgs(), Env: env, Stdin: SyncScript, Timeout: o.Timeout})
		if err != nil {
			return fmt.Errorf("start the %s sync: %w", p, err)
		}
		doc, derr := ScriptDocument(res.Stdout)
		if derr != nil || !gjson.ValidBytes(doc) {
			return fmt.Errorf("start the delta sync: unexpected output (exit code %d): sync.ps1 %v%s%s", res.ExitCode, orInvalid(derr), hint("stdout", res.Stdout), hint("stderr", res.Stderr))
		}
		out := gjson.ParseBytes(doc)
		switch {
		case out.Get("started").Bool():
			return nil
		case out.Get("busy").Bool():
			last = fmt.Errorf("%w: %s", ErrSyncBusy, out.Get("error").String())
			continue
		case out.Get("error").String() != "":
			return fmt.Errorf("Start-ADSyncSyncCycle failed: %s", out.Get("error").String())
		default:
			return fmt.Errorf("start the %s sync: unexpected output (exit code %d)%s", p, res.ExitCode, hint("stdout", res.Stdout))
		}
	}
	return last
}

// orInvalid is err, or the reason a marked line was still unusable.
func orInvalid(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("printed a %s line that is not JSON", JSONMarker)
}
