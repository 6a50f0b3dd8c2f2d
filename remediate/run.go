package remediate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/schema"
)

// Env is where remediate reads and writes: detect's environment (the same
// host, processes and directory) plus the approval and the state directory.
type Env struct {
	Detect   detect.Env
	Options  detect.Options
	Key      func() ([]byte, string, error)
	Token    string
	StateDir string
	// Wait bounds polling the affected objects for the ACE; PollEvery is
	// the interval (the protection task copies it within seconds of a trigger).
	Wait, PollEvery time.Duration
	// WaitExport > 0 adds the export step (export.go): wait up to this long
	// for each AD connector's next export run, then confirm with csexport;
	// PollExport is the interval.
	WaitExport, PollExport time.Duration
	// Sync starts a delta sync cycle; nil skips it (reported).
	Sync  func(ctx context.Context) error
	Sleep func(ctx context.Context, d time.Duration) error
	// DryRun shows each DACL before and after and the steps, and changes
	// nothing (no write, no trigger, no sync, no journal).
	DryRun bool
	// PlanParams (a member server verdict's approval.plan) makes this the
	// DC path: the plan is re-derived from them and the token must have
	// the DC scope.
	PlanParams string
}

// Exit codes of remediate (design: 0 verified, 1 applied but pending, 2
// refused and nothing changed, 3 error).
var resultExit = map[schema.ResultStatus]int{
	schema.ResultVerified: 0, schema.ResultAlreadyPresent: 0, schema.ResultPending: 1,
	schema.ResultRefused: 2, schema.ResultError: 3,
}

// ResultExitCode maps a result to its exit code.
func ResultExitCode(s schema.ResultStatus) int {
	if c, ok := resultExit[s]; ok {
		return c
	}
	return 3
}

// run holds one remediate run's state.
type run struct {
	env     Env
	res     *schema.Result
	journal *Journal
	now     func() time.Time
	scope   Scope
}

// Run re-detects, checks the approval against the live plan, and applies
// it step by step, journaling each. It always returns a result.
func Run(ctx context.Context, env Env) *schema.Result {
	r := &run{env: env, now: env.Detect.Now, res: newResult("remediate", env)}
	r.res.DryRun = env.DryRun
	if r.now == nil {
		r.now = time.Now
	}
	if r.env.Sleep == nil {
		r.env.Sleep = Sleep
	}
	r.res.GeneratedAt = r.now().UTC().Format(time.RFC3339)
	if msg := env.limits(); msg != "" {
		r.refuse("parameter-out-of-range", msg, "")
		r.finish()
		return r.res
	}
	// No run outlives MaxRun: that is what lets the next run take over a
	// lock older than that.
	ctx, cancel := context.WithTimeout(ctx, MaxRun)
	defer cancel()
	r.remediate(ctx)
	r.finish()
	return r.res
}

// limits checks the durations against the maximums MaxRun is built from
// ("" if they are within them).
func (env Env) limits() string {
	for _, l := range []struct {
		flag    string
		got, to time.Duration
	}{{"--wait", env.Wait, MaxWait}, {"--wait-export", env.WaitExport, MaxWaitExport}, {"--directory-timeout", env.Options.DirectoryTimeout, MaxDirectoryTimeout}} {
		if l.got < 0 || l.got > l.to {
			return fmt.Sprintf("%s %s is outside 0..%s: nothing was done; run again with a value in that range", l.flag, l.got, l.to)
		}
	}
	return ""
}

func newResult(command string, env Env) *schema.Result {
	res := &schema.Result{SchemaVersion: schema.ResultVersion, Command: command, Steps: []schema.ResultStep{},
		Tool: schema.Tool{Name: "entra8344", Version: env.Options.Version}}
	if env.Detect.Replay != "" {
		name := env.Detect.Replay
		res.Collection.Replay = &name
	}
	return res
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// refuse ends the run having changed nothing.
func (r *run) refuse(code, msg, obj string) {
	r.res.Status = schema.ResultRefused
	r.res.Refusal = &schema.Notice{Code: code, Message: msg, Object: obj}
}

func (r *run) step(s schema.ResultStep) *schema.ResultStep {
	if s.Evidence.ObjectsVerified == nil {
		s.Evidence.ObjectsVerified = []string{}
	}
	if s.Evidence.ObjectsPending == nil {
		s.Evidence.ObjectsPending = []string{}
	}
	r.res.Steps = append(r.res.Steps, s)
	return &r.res.Steps[len(r.res.Steps)-1]
}

func (r *run) remediate(ctx context.Context) {
	if r.env.StateDir == "" {
		r.refuse("no-state-directory", "no state directory for the lock and the journal", "")
		return
	}
	unlock, tookOver, err := Lock(r.env.StateDir, r.now())
	if err != nil {
		r.step(schema.ResultStep{Name: "lock", Status: schema.StepRefused, Message: err.Error()})
		r.refuse("locked", err.Error(), r.env.StateDir)
		return
	}
	defer unlock()
	r.step(schema.ResultStep{Name: "lock", Status: schema.StepDone, Message: tookOver})

	v, scope := r.detect(ctx)
	r.scope = scope
	if v == nil {
		return
	}
	r.res.Host = HostID(v.Host.Computer, v.Host.DNSDomain)
	if v.Status == schema.StatusError || !v.Directory.Performed {
		msg := "the fresh detect could not read the situation: " + v.Summary
		if !v.Directory.Performed {
			msg = fmt.Sprintf("the fresh detect found no directory plan to carry out (%s; directory: %s)", v.Summary, v.Directory.Reason)
		}
		r.step(schema.ResultStep{Name: "detect", Status: schema.StepFailed, Message: msg})
		r.refuse("detect-failed", msg, "")
		return
	}
	plan := v.Directory.Plan
	d := Digest(plan)
	r.res.PlanDigest = hex.EncodeToString(d[:])
	r.step(schema.ResultStep{Name: "detect", Status: schema.StepDone, Message: fmt.Sprintf("%s; live plan: %d changes, cleanup: %d", v.Summary, len(plan.Changes), len(v.Directory.Cleanup.Changes))})

	key, _, err := r.env.Key()
	if err != nil {
		r.refuse("no-key", "the approval key is not available: "+err.Error(), "")
		return
	}
	claims, err := VerifyScoped(key, scope, r.env.Token, d, r.res.Host, r.now())
	var ref *Refusal
	if errors.As(err, &ref) && ref.Code == "plan-changed" && scope == ScopeHost && len(v.Directory.Cleanup.Changes) > 0 {
		// The approval may be the cleanup's, which has its own digest.
		cd := Digest(v.Directory.Cleanup)
		if claims.DigestPrefix == hex.EncodeToString(cd[:digestPrefix]) {
			claims, err = VerifyScoped(key, scope, r.env.Token, cd, r.res.Host, r.now())
			plan, d = v.Directory.Cleanup, cd
			r.res.PlanDigest = hex.EncodeToString(d[:])
			v.Directory.Plan = plan
		}
	}
	if err != nil {
		if errors.As(err, &ref) && ref.Code == "plan-changed" && r.alreadyApplied(ctx, v, claims.DigestPrefix) {
			return
		}
		r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: err.Error()})
		code := "token"
		if errors.As(err, &ref) {
			code = "token-" + ref.Code
		}
		r.refuse(code, err.Error(), "")
		return
	}
	if src, rev := revertedApproval(r.env.StateDir, TokenID(r.env.Token)); rev != "" {
		msg := fmt.Sprintf("this approval was carried out by journal %s and reverted by journal %s: an approval is used once; run detect again and approve the new plan", src, rev)
		r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: msg})
		r.refuse("token-reverted", msg, src)
		return
	}
	r.step(schema.ResultStep{Name: "token", Status: schema.StepDone, Message: "the approval matches the live plan"})
	if scope == ScopeDC {
		if err := checkTrustees(v); err != nil {
			r.refuse("not-a-connector-account", err.Error()+": nothing was changed", "")
			return
		}
	}
	if !plan.RemediableHere {
		r.refuse("not-here", "this host cannot carry out the plan: "+plan.RemediableReason, "")
		return
	}
	if r.env.DryRun {
		r.apply(ctx, v)
		return
	}
	j, err := NewJournal(r.env.StateDir, "remediate", r.res.Host, r.res.PlanDigest, r.now)
	if err != nil {
		r.refuse("journal-unwritable", err.Error()+": nothing was changed", r.env.StateDir)
		return
	}
	j.TokenID = TokenID(r.env.Token)
	r.journal = j
	r.res.Journal = &schema.JournalRef{ID: j.ID, Path: j.Path()}
	r.apply(ctx, v)
}

// detect re-derives the plan live: on the Connect server from the sync
// engine (host scope), on a DC from a member server's plan parameters (DC
// scope). nil: refused already.
func (r *run) detect(ctx context.Context) (*schema.Verdict, Scope) {
	if r.env.PlanParams == "" {
		return detect.Run(ctx, r.env.Detect, r.env.Options), ScopeHost
	}
	forests, err := ParsePlanParams(r.env.PlanParams)
	if err != nil {
		msg := "the plan parameters (--plan, ENTRA8344_APPROVAL_PLAN) are not valid: " + err.Error() + ": copy approval.plan whole from the member server's verdict"
		r.step(schema.ResultStep{Name: "detect", Status: schema.StepRefused, Message: msg})
		r.refuse("plan-malformed", msg, "")
		return nil, ScopeDC
	}
	return detect.RunPlanned(ctx, r.env.Detect, r.env.Options, forests), ScopeDC
}

// finish sets status-derived fields and closes the journal.
func (r *run) finish() {
	if r.res.Status == "" && r.env.DryRun {
		r.res.Status = schema.ResultPending // nothing applied: the plan is still to do
		for _, s := range r.res.Steps {
			if s.Status == schema.StepFailed {
				r.res.Status = schema.ResultError
			}
		}
	}
	if r.res.Status == "" {
		r.res.Status = schema.ResultVerified
		for _, s := range r.res.Steps {
			switch s.Status {
			case schema.StepFailed:
				r.res.Status = schema.ResultError
			case schema.StepPending:
				if r.res.Status != schema.ResultError {
					r.res.Status = schema.ResultPending
				}
			}
		}
	}
	r.res.ExitCode = ResultExitCode(r.res.Status)
	r.res.Summary = resultSummary(r.res)
	if r.journal != nil {
		r.journal.Finish(string(r.res.Status))
	}
}

func resultSummary(res *schema.Result) string {
	s := strings.ToUpper(string(res.Status))
	if res.DryRun {
		s = "DRY RUN, NOTHING CHANGED: " + s
	}
	if res.Refusal != nil {
		s += ": " + res.Refusal.Message
	} else {
		var parts []string
		for _, st := range res.Steps {
			if st.Name == "write" || st.Name == "trigger" || st.Name == "wait" || st.Name == "sync" || st.Name == "export" {
				parts = append(parts, st.Name+" "+string(st.Status))
			}
		}
		if len(parts) > 0 {
			s += ": " + strings.Join(parts, ", ")
		}
	}
	if res.Journal != nil {
		s += " (journal " + res.Journal.ID + ")"
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 255 {
		s = s[:252] + "..."
	}
	return s
}

// revertedApproval finds a remediation carried out under the token named
// tokenID that a revert has since undone.
func revertedApproval(stateDir, tokenID string) (source, revert string) {
	js, _ := Journals(stateDir)
	used := map[string]bool{}
	for _, j := range js {
		if j.Command == "remediate" && j.TokenID == tokenID {
			used[j.ID] = true
		}
	}
	for _, j := range js {
		if j.Command == "revert" && used[j.Reverts] {
			return j.Reverts, j.ID
		}
	}
	return "", ""
}
