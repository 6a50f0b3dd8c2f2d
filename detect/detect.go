// Package detect orchestrates the read-only diagnosis: host checks, the
// ADSync collector, csexport per connector, then classification into a
// verdict. Collection is thin I/O; every decision is a pure function over
// what was collected.
package detect

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/winhost"
	"entra8344/schema"
)

// Env is where detect reads from: the live host or a replayed scenario.
type Env struct {
	Prober winhost.Prober
	Runner winhost.Runner
	// Now is the verdict's clock (a replay uses the scenario's).
	Now func() time.Time
	// TempDir is the parent of csexport's scratch folder ("" = os.TempDir()).
	TempDir string
	// Replay names the scenario, empty on a live run.
	Replay string
	Log    *log.Logger
	// Directory gives the dialer for each AD connector's forest; nil skips
	// the directory diagnosis for NoDirectoryReason.
	Directory         DirectorySource
	NoDirectoryReason string
	// Baseline, when one is recorded, is compared with the directory now
	// (drift findings); BaselineErr says why a recorded one was not used.
	Baseline    *Baseline
	BaselineErr error
}

// DirectorySource gives the domain controllers of an AD connector's forest:
// the live host's LDAP client, or a scenario's directory snapshot.
type DirectorySource interface {
	Dialer(connector string) (ldap.Dialer, error)
}

// Options are the user's knobs.
type Options struct {
	Client, Site     string
	Version          string
	CollectorTimeout time.Duration
	CSExportTimeout  time.Duration
	DirectoryTimeout time.Duration
	Runs             int
	// MaxObjects caps the objects listed per finding (all are counted).
	MaxObjects int
}

// DefaultOptions are the CLI defaults.
func DefaultOptions() Options {
	return Options{CollectorTimeout: 3 * time.Minute, CSExportTimeout: 10 * time.Minute, DirectoryTimeout: 2 * time.Minute, Runs: 10, MaxObjects: 200}
}

// Run diagnoses and always returns a verdict: failures become status error
// with a message, never a panic or a partial document. ExitCode is left for
// the caller's exit-code table.
func Run(ctx context.Context, env Env, o Options) *schema.Verdict {
	if env.Log == nil {
		env.Log = log.New(io.Discard, "", 0)
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	counter := &countingRunner{inner: env.Runner}
	r := &run{env: env, o: o, runner: counter, v: newVerdict(env, o)}
	start := time.Now()
	r.detect(ctx)
	r.v.Collection.ProcessesStarted = counter.n
	r.v.Collection.Timings.Total = time.Since(start).Milliseconds()
	r.v.Summary = Summary(r.v)
	return r.v
}

type run struct {
	env    Env
	o      Options
	runner *countingRunner
	v      *schema.Verdict
	// dcPath: the DC path (RunPlanned), whose read is confined to this
	// DC's own forest.
	dcPath bool
	// recording: `baseline` (no csexport; the grants are read and kept).
	recording bool
	forests   []*ForestFacts
	st        *adsync.State
}

func newVerdict(env Env, o Options) *schema.Verdict {
	v := &schema.Verdict{
		SchemaVersion: schema.VerdictVersion,
		Tool:          schema.Tool{Name: "entra8344", Version: o.Version},
		GeneratedAt:   env.Now().UTC().Format(time.RFC3339),
		Labels:        schema.Labels{Client: o.Client, Site: o.Site},
		Findings:      []schema.Finding{},
		Warnings:      []schema.Notice{},
		Errors:        []schema.Notice{},
		Approvals:     []schema.Approval{},
		Directory:     emptyDirectory(),
		Host:          schema.Host{ADSyncService: string(winhost.ServiceUnknown)},
	}
	if env.Replay != "" {
		name := env.Replay
		v.Collection.Replay = &name
	}
	return v
}

func (r *run) detect(ctx context.Context) {
	t := time.Now()
	facts, err := r.env.Prober.Facts(ctx)
	r.v.Collection.Timings.Host = time.Since(t).Milliseconds()
	r.v.Host = hostOf(facts)
	for _, n := range facts.Notes {
		r.warn("host-check", n, "")
	}
	if err != nil {
		r.fail("host-check-failed", fmt.Sprintf("the host checks failed: %v", err), "")
		return
	}
	r.env.Log.Printf("host %s: ADSync service %s, Connect %s", facts.ComputerName, facts.ADSyncService, facts.ConnectVersion)
	switch facts.ADSyncService {
	case winhost.ServiceAbsent:
		r.v.Status = schema.StatusNotApplicable
		return
	case winhost.ServiceRunning:
	default:
		// The cmdlets and csexport both need the engine: start nothing.
		r.v.Status = schema.StatusSyncServiceDown
		return
	}

	t = time.Now()
	st, _, err := adsync.Collect(ctx, r.runner, adsync.CollectOptions{
		PowerShell: facts.PowerShellPath,
		ModulePath: adsync.ModulePath(facts.SyncEngineDir),
		Runs:       r.o.Runs,
		Timeout:    r.o.CollectorTimeout,
	})
	r.v.Collection.Timings.Collector = time.Since(t).Milliseconds()
	if err != nil {
		r.fail("collector-failed", err.Error(), "powershell.exe")
		return
	}
	r.v.Sync = syncOf(st)
	for _, e := range st.Errors {
		r.v.Errors = append(r.v.Errors, schema.Notice{Code: "collector-step-failed", Message: fmt.Sprintf("%s: %s", e.Step, e.Message), Object: e.Step})
	}
	if !st.ModuleLoaded {
		r.fail("adsync-module-not-loaded", "the ADSync PowerShell module could not be loaded, so the sync engine could not be asked; run as SYSTEM or a member of ADSyncAdmins on the Entra Connect server", "ADSync")
		return
	}
	r.schedulerWarnings(st)
	if len(st.Missing) > 0 {
		r.warn("old-build", "this Connect build lacks: "+strings.Join(st.Missing, ", ")+"; those facts are reported as unknown", "")
	}
	if len(st.Connectors) == 0 {
		r.fail("no-connectors", "the sync engine returned no connectors", "Get-ADSyncConnector")
		return
	}
	r.st = st
	if r.recording {
		r.directory(ctx, facts, st, newAggregator(r.o.MaxObjects))
		return
	}
	if s := st.Scheduler; s != nil && s.StagingModeEnabled != nil && *s.StagingModeEnabled {
		// A staging server exports nothing, so it cannot have export errors.
		for i := range r.v.Sync.Connectors {
			r.v.Sync.Connectors[i].CSExport = "skipped"
		}
		r.v.Status = schema.StatusStagingMode
		return
	}

	t = time.Now()
	agg := newAggregator(r.o.MaxObjects)
	csexportFailed := r.exportErrors(ctx, facts, st, agg)
	r.v.Collection.Timings.CSExport = time.Since(t).Milliseconds()

	t = time.Now()
	r.v.Findings = agg.findings()
	r.v.Collection.Timings.Classify = time.Since(t).Milliseconds()
	r.directory(ctx, facts, st, agg)
	t = time.Now()
	r.runWarnings(st)
	r.v.Status = decideStatus(r.v, csexportFailed)
	r.v.Collection.Timings.Classify += time.Since(t).Milliseconds()
}

// exportErrors runs csexport once per connector whose run history does not
// prove it clean (needsCSExport); it reports whether any
// connector's export errors could not be read.
func (r *run) exportErrors(ctx context.Context, facts winhost.Facts, st *adsync.State, agg *aggregator) bool {
	need, needed := make([]bool, len(st.Connectors)), false
	now := r.env.Now()
	for i, c := range st.Connectors {
		why := needsCSExport(c, st.Scheduler, now)
		if why == "" {
			r.v.Sync.Connectors[i].CSExport = CSExportHistoryClean
			r.env.Log.Printf("csexport %q: not started, the run history of the last cycle shows no export error", c.Name)
			continue
		}
		r.env.Log.Printf("csexport %q: started: %s", c.Name, why)
		need[i], needed = true, true
	}
	if !needed {
		return false
	}
	exe, err := adsync.CSExportPath(facts.ADSyncImagePath, facts.SyncEngineDir)
	if err != nil {
		r.fail("csexport-not-found", err.Error(), "csexport.exe")
		return true
	}
	dir, err := os.MkdirTemp(r.env.TempDir, "entra8344-csexport-")
	if err != nil {
		r.fail("temp-dir-failed", fmt.Sprintf("create a scratch folder for csexport output: %v", err), "")
		return true
	}
	defer os.Remove(dir) // each csexport run removes its own file
	failed := false
	for i, c := range st.Connectors {
		if !need[i] {
			continue
		}
		vc := &r.v.Sync.Connectors[i]
		n := 0
		st, err := adsync.ExportErrorsOf(ctx, r.runner, exe, c.Name, dir, i, r.o.CSExportTimeout, func(e adsync.ExportError) error {
			n++
			agg.add(i, c, e)
			return nil
		})
		vc.ExportErrors = n
		if err != nil {
			vc.CSExport = "failed"
			failed = true
			r.v.Errors = append(r.v.Errors, schema.Notice{Code: "csexport-failed", Message: err.Error(), Object: c.Name})
			continue
		}
		if st.Skipped > 0 {
			// An export error on a skipped object is unseen, so this
			// connector's list is incomplete: never report it as clean.
			vc.CSExport = "failed"
			failed = true
			r.skippedObjects(c.Name, st)
			r.env.Log.Printf("csexport %q: %d export errors, %d objects skipped", c.Name, n, st.Skipped)
			continue
		}
		vc.CSExport = "ok"
		r.env.Log.Printf("csexport %q: %d export errors", c.Name, n)
	}
	return failed
}

// skippedObjects puts one error per skipped cs-object into the verdict. The
// DN comes from the file: it goes into the JSON only (escaped there), never
// into the log.
func (r *run) skippedObjects(connector string, st adsync.ExportStats) {
	for _, o := range st.SkippedObjects {
		obj := o.DN
		if obj == "" {
			obj = connector
		}
		r.v.Errors = append(r.v.Errors, schema.Notice{Code: "csexport-object-skipped", Object: obj, Message: fmt.Sprintf(
			"csexport output for connector %q: %s; an export error on it cannot be seen, so the connector's error list is incomplete: check that object in the Synchronization Service Manager (Connector Space search)",
			connector, o.Describe("cs-object"))})
	}
	if more := st.Skipped - len(st.SkippedObjects); more > 0 {
		r.v.Errors = append(r.v.Errors, schema.Notice{Code: "csexport-object-skipped", Object: connector, Message: fmt.Sprintf(
			"csexport output for connector %q: %d more cs-objects skipped for exceeding the parser's limits", connector, more)})
	}
}

func (r *run) warn(code, msg, obj string) {
	r.v.Warnings = append(r.v.Warnings, schema.Notice{Code: code, Message: msg, Object: obj})
}

func (r *run) fail(code, msg, obj string) {
	r.v.Status = schema.StatusError
	r.v.Errors = append(r.v.Errors, schema.Notice{Code: code, Message: msg, Object: obj})
	r.env.Log.Printf("error %s: %s", code, msg)
}

func (r *run) schedulerWarnings(st *adsync.State) {
	s := st.Scheduler
	if s == nil {
		return
	}
	if s.SyncCycleEnabled != nil && !*s.SyncCycleEnabled {
		r.warn("scheduler-disabled", "the sync scheduler is disabled (SyncCycleEnabled=False): nothing syncs until someone runs Set-ADSyncScheduler -SyncCycleEnabled $true", "")
	}
	if s.SchedulerSuspended != nil && *s.SchedulerSuspended {
		r.warn("scheduler-suspended", "the scheduler is suspended (an upgrade in progress or one that did not finish)", "")
	}
}

// runWarnings compares run history with what csexport said.
func (r *run) runWarnings(st *adsync.State) {
	for i, c := range st.Connectors {
		if len(c.Runs) == 0 {
			continue
		}
		for _, run := range c.Runs {
			for _, s := range run.Steps {
				if s.SyncErrorsInvalid != "" {
					r.warn("run-history-unreadable", fmt.Sprintf("the error list of run %d step %d of %q could not be read: %s", run.RunNumber, s.Number, c.Name, s.SyncErrorsInvalid), c.Name)
				}
			}
		}
		latest := c.Runs[0] // the cmdlet returns newest first
		if runFailed(latest.Result) {
			r.warn("run-failed", fmt.Sprintf("the latest run of connector %q (%s, run %d) ended %s", c.Name, latest.Profile, latest.RunNumber, latest.Result), c.Name)
		}
		if fails := lastExportFailures(c); fails > 0 && r.v.Sync.Connectors[i].CSExport == "ok" && r.v.Sync.Connectors[i].ExportErrors == 0 {
			r.warn("run-history-mismatch", fmt.Sprintf("the last export run of %q counted %d export failures but csexport lists none now (fixed since, or cleared by a later run)", c.Name, fails), c.Name)
		}
	}
}

func runFailed(result string) bool {
	return strings.HasPrefix(result, "stopped-") || strings.HasPrefix(result, "no-start-")
}

func lastExportFailures(c adsync.Connector) int64 {
	for _, run := range c.Runs {
		if !strings.EqualFold(run.Profile, "Export") {
			continue
		}
		var n int64
		for _, s := range run.Steps {
			if s.ExportFailure != nil {
				n += *s.ExportFailure
			}
		}
		return n
	}
	return 0
}

// decideStatus: the most specific thing a technician must know wins.
func decideStatus(v *schema.Verdict, csexportFailed bool) schema.Status {
	if v.Status == schema.StatusError {
		return schema.StatusError
	}
	if len(v.Findings) > 0 {
		// Remediable when some part of the plan is this host's: the rest
		// is approved for the DCs that must carry it out (PlanParts).
		if p := v.Directory.Plan; v.Directory.Performed && HasHostPart(p) {
			return schema.StatusRemediable
		}
		return schema.StatusExportErrors
	}
	if csexportFailed {
		return schema.StatusError
	}
	for _, w := range v.Warnings {
		if w.Code == "run-failed" {
			return schema.StatusRunFailures
		}
	}
	return schema.StatusHealthy
}

// countingRunner counts the processes detect asks for, live or replayed.
type countingRunner struct {
	inner winhost.Runner
	n     int
}

func (c *countingRunner) Run(ctx context.Context, cmd winhost.Command) (winhost.Result, error) {
	c.n++
	return c.inner.Run(ctx, cmd)
}

func emptyDirectory() schema.Directory {
	return schema.Directory{
		Reason:            "the directory was not read (the sync engine's state decided the verdict first)",
		Domains:           []schema.Domain{},
		ConnectorAccounts: []schema.ConnectorAccount{},
		Attributes:        []schema.AttributeInfo{},
		Diagnoses:         []schema.Diagnosis{},
		Plan:              schema.Plan{Changes: []schema.Change{}, Manual: []string{}, RiskNotes: []schema.RiskNote{}},
		Cleanup:           schema.Plan{Changes: []schema.Change{}, Manual: []string{}, RiskNotes: []schema.RiskNote{}},
	}
}
