package remediate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
	"entra8344/schema"
)

// exportSlack lets an export run count that the engine stamped a little
// before our clock read the sync's start (tick rounding, queueing).
const exportSlack = 5 * time.Second

// defaultPollExport is the export step's interval when Env.PollExport is 0:
// a delta cycle takes minutes, so polling the collector faster only costs.
const defaultPollExport = 30 * time.Second

// planned is one object the plan fixes: connector, DN and failing attribute.
type planned struct{ connector, dn, attr string }

// distinct lists key of each object once, in order.
func distinct(objs []planned, key func(planned) string) []string {
	var out []string
	for _, o := range objs {
		if k := key(o); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// plannedObjects lists the objects of the diagnoses that the plan being
// carried out fixes (not the other plan's: grants vs cleanup).
func plannedObjects(v *schema.Verdict) []planned {
	var out []planned
	for _, g := range v.Directory.Diagnoses {
		if _, ok := fixedBy(v.Directory.Plan, g); !ok {
			continue
		}
		for _, o := range g.Objects {
			out = append(out, planned{g.Connector, o.DN, g.Attribute})
		}
	}
	return out
}

// waitExport (--wait-export) waits for the next export run of each AD
// connector with planned objects and re-reads csexport /f:e to confirm that
// they no longer fail with 8344. since is when the delta sync was asked for.
func (r *run) waitExport(ctx context.Context, v *schema.Verdict, since time.Time) {
	if r.env.WaitExport <= 0 {
		return
	}
	s := schema.ResultStep{Name: "export"}
	objs := plannedObjects(v)
	switch {
	case r.env.DryRun:
		s.Status, s.Message = schema.StepSkipped, fmt.Sprintf("dry run: the next export run would be awaited (up to %s) and csexport /f:e read to confirm the planned objects", r.env.WaitExport)
	case r.scope == ScopeDC:
		s.Status, s.Message = schema.StepSkipped, "this is the domain controller, not the Entra Connect server: run detect there after its next sync cycle to confirm the export"
	case len(objs) == 0:
		s.Status, s.Message = schema.StepSkipped, "no planned object to confirm"
	}
	if s.Status != "" {
		r.step(s)
		return
	}
	i, _ := r.journal.Begin(JournalEntry{Name: "export"})
	c := r.confirmExport(ctx, objs, since)
	s.Status, s.Message = c.status, c.message
	s.Evidence.ObjectsVerified, s.Evidence.ObjectsPending = c.verified, c.pending
	r.journal.End(i, string(s.Status), s.Message, nil)
	r.step(s)
}

// exportCheck is the export step's outcome.
type exportCheck struct {
	status            schema.StepStatus
	message           string
	verified, pending []string
}

func (r *run) confirmExport(ctx context.Context, objs []planned, since time.Time) exportCheck {
	dns := distinct(objs, func(o planned) string { return o.dn }) // unconfirmed, all stay pending
	failed := func(err error) exportCheck {
		return exportCheck{status: schema.StepFailed, pending: dns,
			message: fmt.Sprintf("%v: the export could not be confirmed; the grant is in place (verified above), run detect after the next sync cycle", err)}
	}
	facts, err := r.env.Detect.Prober.Facts(ctx)
	if err != nil {
		return failed(fmt.Errorf("the host checks failed: %w", err))
	}
	connectors := distinct(objs, func(o planned) string { return o.connector })
	runs, err := r.pollExportRuns(ctx, facts, connectors, since)
	if err != nil {
		if msg, ok := hungMessage("the ADSync collector", err); ok {
			return exportCheck{status: schema.StepPending, message: msg, pending: dns}
		}
		return failed(err)
	}
	still, err := r.stillFailing(ctx, facts, connectors, runs)
	if err != nil {
		return failed(err)
	}
	return judgeExport(objs, connectors, runs, still, r.env.WaitExport)
}

// pollExportRuns polls the collector (real time: a replay's clock stands
// still) until every connector shows a finished export run that started
// after since, or WaitExport is over.
func (r *run) pollExportRuns(ctx context.Context, facts winhost.Facts, connectors []string, since time.Time) (map[string]adsync.Run, error) {
	deadline := time.Now().Add(r.env.WaitExport)
	every := r.env.PollExport
	if every <= 0 {
		every = defaultPollExport
	}
	runs := map[string]adsync.Run{}
	for {
		st, _, err := adsync.Collect(ctx, r.env.Detect.Runner, adsync.CollectOptions{PowerShell: facts.PowerShellPath,
			ModulePath: adsync.ModulePath(facts.SyncEngineDir), Runs: r.env.Options.Runs, Timeout: r.env.Options.CollectorTimeout})
		if err != nil {
			return nil, err
		}
		if !st.ModuleLoaded {
			return nil, errors.New("the ADSync PowerShell module could not be loaded, so the run history could not be read")
		}
		for _, c := range st.Connectors {
			if _, ok := runs[c.Name]; ok || !slices.Contains(connectors, c.Name) {
				continue
			}
			if run, ok := exportRunSince(c, since); ok {
				runs[c.Name] = run
			}
		}
		if len(runs) == len(connectors) || !time.Now().Add(every).Before(deadline) || r.env.Sleep(ctx, every) != nil {
			return runs, nil
		}
	}
}

// exportRunSince finds a finished export run of c that started after since
// (history is newest first).
func exportRunSince(c adsync.Connector, since time.Time) (adsync.Run, bool) {
	for _, run := range c.Runs {
		if strings.Contains(strings.ToLower(run.Profile), "export") && run.Start != nil && run.End != nil &&
			!run.Start.Before(since.Add(-exportSlack)) {
			return run, true
		}
	}
	return adsync.Run{}, false
}

// stillFailing reads csexport /f:e of each exported connector: the keys
// (plannedKey) of the 8344 errors it still lists.
func (r *run) stillFailing(ctx context.Context, facts winhost.Facts, connectors []string, runs map[string]adsync.Run) (map[string]bool, error) {
	still := map[string]bool{}
	if len(runs) == 0 {
		return still, nil
	}
	exe, err := adsync.CSExportPath(facts.ADSyncImagePath, facts.SyncEngineDir)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(r.env.Detect.TempDir, "entra8344-csexport-")
	if err != nil {
		return nil, fmt.Errorf("create a scratch folder for csexport output: %w", err)
	}
	defer os.Remove(dir) // each csexport run removes its own file
	for i, name := range connectors {
		if _, ok := runs[name]; !ok {
			continue
		}
		st, err := adsync.ExportErrorsOf(ctx, r.env.Detect.Runner, exe, name, dir, i, r.env.Options.CSExportTimeout, func(e adsync.ExportError) error {
			if !detect.IsPermission8344(e) {
				return nil
			}
			still[plannedKey(name, e.DN, "")] = true // no attribute named: assume ours
			for _, a := range e.Attributes {
				still[plannedKey(name, e.DN, a)] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if st.Skipped > 0 {
			// A skipped object may be one of ours, still failing: the
			// export cannot be confirmed from this output.
			o := st.SkippedObjects[0]
			return nil, fmt.Errorf("csexport output for connector %q: %d cs-object(s) skipped for exceeding the parser's limits (the first #%d at line %d: %s), so the export cannot be confirmed from it", name, st.Skipped, o.Index, o.Line, o.Reason)
		}
	}
	return still, nil
}

func plannedKey(connector, dn, attr string) string {
	return connector + "\x00" + strings.ToLower(dn) + "\x00" + strings.ToLower(attr)
}

// judgeExport decides the step from what the export runs and csexport
// said. An object counts once, verified only when none of its planned
// attributes still fails.
func judgeExport(objs []planned, connectors []string, runs map[string]adsync.Run, still map[string]bool, wait time.Duration) exportCheck {
	dns := distinct(objs, func(o planned) string { return o.dn })
	failing, notRun := map[string]bool{}, map[string]bool{}
	for _, o := range objs {
		if _, ran := runs[o.connector]; !ran {
			notRun[o.dn] = true
		} else if still[plannedKey(o.connector, o.dn, o.attr)] {
			failing[o.dn] = true
		}
	}
	c := exportCheck{status: schema.StepDone, verified: []string{}, pending: []string{}}
	for _, dn := range dns {
		if failing[dn] || notRun[dn] {
			c.pending = append(c.pending, dn)
		} else {
			c.verified = append(c.verified, dn)
		}
	}
	var parts, idle []string
	for _, name := range connectors {
		if run, ok := runs[name]; ok {
			parts = append(parts, fmt.Sprintf("export run %d of %q (%s) read back with csexport /f:e", run.RunNumber, name, run.Start.UTC().Format(time.RFC3339)))
		} else {
			idle = append(idle, fmt.Sprintf("%q", name))
		}
	}
	if len(failing) > 0 {
		parts = append(parts, fmt.Sprintf("%d planned objects still fail with 8344 after it: the protection task may not have reached them yet (see the wait step) "+
			"or something else denies the write; the next export retries them, run detect to see why", len(failing)))
	}
	if len(idle) > 0 {
		parts = append(parts, fmt.Sprintf("no export run of %s started after the delta sync within %s: the scheduled sync cycle will export; run detect after it to confirm", strings.Join(idle, ", "), wait))
	}
	if len(c.pending) > 0 {
		c.status = schema.StepPending
	} else {
		parts = append(parts, fmt.Sprintf("none of the %d planned objects fails with 8344 any more", len(dns)))
	}
	c.message = strings.Join(parts, "; ")
	return c
}

// hungMessage is the pending message for a PowerShell that did not answer
// within its timeout: the grant is already in place, so only the
// confirmation waits, and the ADSync service is what to look at.
func hungMessage(what string, err error) (string, bool) {
	var te *winhost.TimeoutError
	if !errors.As(err, &te) {
		return "", false
	}
	return fmt.Sprintf("PowerShell (%s) did not answer within %s and was stopped: the grant is in place (verified above) and the next scheduled sync cycle will export; "+
		"check that the ADSync service (Microsoft Azure AD Sync) is running and answers Get-ADSyncScheduler, then run detect to confirm", what, te.Timeout), true
}

// syncPendingMessage is the sync step's message when the engine did not
// start a cycle.
func syncPendingMessage(err error) string {
	if msg, ok := hungMessage("Start-ADSyncSyncCycle", err); ok {
		return msg
	}
	return fmt.Sprintf("%v: the next scheduled cycle retries the exports, or run Start-ADSyncSyncCycle -PolicyType Delta", err)
}
