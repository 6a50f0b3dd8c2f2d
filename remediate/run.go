package remediate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/internal/textout"
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
	// Sync starts a sync cycle; nil skips it (reported).
	Sync func(ctx context.Context) error
	// SyncPolicy is what Sync starts: "delta" ("" too), "initial", or
	// "none" (Sync is nil on purpose: --sync none).
	SyncPolicy string
	Sleep      func(ctx context.Context, d time.Duration) error
	// DryRun shows each DACL before and after and the steps, and changes
	// nothing (no write, no trigger, no sync, no journal).
	DryRun bool
	// PlanParams (a member server verdict's approval.plan) makes this the
	// DC path: the plan is re-derived from them and the token must have
	// the DC scope.
	PlanParams string
}

// Exit codes of remediate (design: 0 verified or a dry run, 1 applied but
// pending, 2 refused and nothing changed, 3 error).
var resultExit = map[schema.ResultStatus]int{
	schema.ResultVerified: 0, schema.ResultAlreadyPresent: 0, schema.ResultPending: 1,
	schema.ResultDryRun: 0, schema.ResultRefused: 2, schema.ResultError: 3,
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
	// akey is the approval key (asrc: where from) that journals and
	// used-approval records are authenticated under (JournalKey).
	akey []byte
	asrc string
	// approvedExtra: a revert --restore-exact's difference beyond the
	// journal's own ACEs that its token approved (revert_bounds.go).
	approvedExtra []string
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

	// The approval is checked before any network I/O: the host's identity
	// comes from local facts, and the token's MAC, scope, host and expiry
	// need no directory. Only the plan digest waits for the fresh detect.
	scope, forests, ok := r.params()
	if !ok {
		return
	}
	r.scope = scope
	claims, ok := r.checkToken(ctx, scope)
	if !ok {
		return
	}
	v := r.detect(ctx, forests)
	if v.Status == schema.StatusError || !v.Directory.Performed {
		msg := "the fresh detect could not read the situation: " + v.Summary
		if !v.Directory.Performed {
			msg = fmt.Sprintf("the fresh detect found no directory plan to carry out (%s; directory: %s)", v.Summary, v.Directory.Reason)
		}
		r.step(schema.ResultStep{Name: "detect", Status: schema.StepFailed, Message: msg})
		code := "detect-failed"
		if c := forestRefusal(v); c != "" {
			code = c
		}
		r.refuse(code, msg, "")
		return
	}
	plan := v.Directory.Plan
	d := Digest(plan)
	r.res.PlanDigest = hex.EncodeToString(d[:])
	r.step(schema.ResultStep{Name: "detect", Status: schema.StepDone, Message: fmt.Sprintf("%s; live plan: %d changes, cleanup: %d", v.Summary, len(plan.Changes), len(v.Directory.Cleanup.Changes))})

	planMsg := "the live plan is the approved one"
	err = claims.Approves(d)
	if err != nil {
		// The approval may be the cleanup's (host path), or one part's of
		// a plan several DCs carry out (detect.PlanParts), each with its
		// own digest: carry out exactly that one.
		if p, pd, what, ok := approvedPart(claims, scope, v); ok {
			planMsg = fmt.Sprintf("the approval is for %s %s of the live %s; the live changes are the approved ones", textout.Count(len(p.Changes), "change"), changeIDs(p), what)
			err, plan, d = nil, p, pd
			r.res.PlanDigest = hex.EncodeToString(d[:])
			v.Directory.Plan = plan
		}
	}
	if err != nil {
		if r.alreadyApplied(ctx, v, claims.DigestPrefix) {
			return
		}
		r.step(schema.ResultStep{Name: "plan", Status: schema.StepRefused, Message: err.Error()})
		r.refuse("token-plan-changed", err.Error(), "")
		return
	}
	if r.usedApproval(ctx, v, claims) {
		return
	}
	r.step(schema.ResultStep{Name: "plan", Status: schema.StepDone, Message: planMsg})
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
	j, err := NewJournal(r.env.StateDir, "remediate", r.res.Host, r.res.PlanDigest, r.akey, r.asrc, r.now)
	if err != nil {
		r.refuse("journal-unwritable", err.Error()+": nothing was changed", r.env.StateDir)
		return
	}
	j.TokenID = TokenID(r.env.Token)
	r.journal = j
	r.res.Journal = &schema.JournalRef{ID: j.ID, Path: j.Path()}
	r.apply(ctx, v)
}

// params: the DC path's plan parameters (from the member server, hostile
// until checked), parsed before anything else; the host path has none.
func (r *run) params() (Scope, []detect.PlannedForest, bool) {
	if r.env.PlanParams == "" {
		return ScopeHost, nil, true
	}
	forests, err := ParsePlanParams(r.env.PlanParams)
	if err != nil {
		msg := "the plan parameters (--plan, ENTRA8344_APPROVAL_PLAN) are not valid: " + err.Error() + ": copy approval.plan whole from the member server's verdict"
		r.step(schema.ResultStep{Name: "detect", Status: schema.StepRefused, Message: msg})
		r.refuse("plan-malformed", msg, "")
		return ScopeDC, nil, false
	}
	return ScopeDC, forests, true
}

// checkToken verifies the token's MAC, scope, host and expiry from local
// facts only (the host's name and role come from the registry and LSA).
func (r *run) checkToken(ctx context.Context, scope Scope) (Claims, bool) {
	facts, err := r.env.Detect.Prober.Facts(ctx)
	if err != nil && facts.ComputerName == "" {
		msg := "this host's name could not be read, so the approval cannot be checked: " + err.Error()
		r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: msg})
		r.refuse("host-check-failed", msg, "")
		return Claims{}, false
	}
	r.res.Host = HostID(facts.ComputerName, facts.DNSDomain)
	key, src, err := r.env.Key()
	if err != nil {
		r.refuse("no-key", "the approval key is not available: "+err.Error(), "")
		return Claims{}, false
	}
	r.akey, r.asrc = key, src
	claims, err := Check(key, scope, r.env.Token, r.res.Host, r.now())
	if err != nil {
		r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: err.Error()})
		code := "token"
		var ref *Refusal
		if errors.As(err, &ref) {
			code = "token-" + ref.Code
		}
		r.refuse(code, err.Error(), "")
		return claims, false
	}
	r.step(schema.ResultStep{Name: "token", Status: schema.StepDone, Message: "the approval's signature, scope, host and expiry verify; the plan is compared after the fresh detect"})
	return claims, true
}

// detect re-derives the plan live: on the Connect server from the sync
// engine (host scope), on a DC from a member server's plan parameters (DC
// scope), reading only the DC's own forest.
func (r *run) detect(ctx context.Context, forests []detect.PlannedForest) *schema.Verdict {
	if forests == nil {
		return detect.Run(ctx, r.env.Detect, r.env.Options)
	}
	return detect.RunPlanned(ctx, r.env.Detect, r.env.Options, forests)
}

// finish sets status-derived fields and closes the journal.
func (r *run) finish() {
	if r.res.Status == "" && r.env.DryRun {
		r.res.Status = schema.ResultDryRun // nothing applied, as asked
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
	if res.Status == schema.ResultDryRun {
		s = "DRY RUN, NOTHING CHANGED"
	} else if res.DryRun {
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
// tokenID that a revert has since undone (authenticated journals only).
func revertedApproval(stateDir string, key []byte, tokenID string) (source, revert string) {
	js, _ := Journals(stateDir, key)
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

// forestRefusal: the fresh detect refused to read a forest because the
// names it was given (the DC path's parameters, or a connector's
// configuration) lie outside the forest this host reached.
func forestRefusal(v *schema.Verdict) string {
	for _, w := range v.Warnings {
		switch w.Code {
		case "directory-outside-forest":
			return "plan-outside-forest"
		case "directory-forest-mismatch":
			return "forest-mismatch"
		}
	}
	return ""
}

// approvedPart finds the plan the token approves other than the whole
// live plan: the cleanup (host path only), or one part of the plan. Each
// is a subset of the live changes, so a match never broadens what the
// approval covers; whether the part may be carried out here is checked
// after (RemediableHere).
func approvedPart(claims Claims, scope Scope, v *schema.Verdict) (schema.Plan, [DigestSize]byte, string, bool) {
	if c := v.Directory.Cleanup; scope == ScopeHost && len(c.Changes) > 0 {
		if d := Digest(c); claims.Approves(d) == nil {
			return c, d, "cleanup", true
		}
	}
	for _, p := range detect.PlanParts(v.Directory.Plan) {
		if d := Digest(p); claims.Approves(d) == nil {
			return p, d, "plan", true
		}
	}
	return schema.Plan{}, [DigestSize]byte{}, "", false
}

func changeIDs(p schema.Plan) string {
	ids := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		ids[i] = c.ID
	}
	return "(" + strings.Join(ids, ", ") + ")"
}
