package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"entra8344/detect"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/winhost"
	"entra8344/remediate"
	"entra8344/schema"
)

// RemediateCmd applies an approved plan: the second run of the RMM flow.
type RemediateCmd struct {
	Replay    string        `help:"Run on a scenario folder or built-in scenario (demo, ${scenarios}) instead of the live host; the directory is replayed in memory, with the protection task simulated." placeholder:"DIR|NAME"`
	Token     string        `help:"The approval token from the verdict you approved." env:"ENTRA8344_APPROVAL_TOKEN"`
	Plan      string        `help:"On the domain controller a member server's verdict names (approval.run_on): that verdict's approval.plan. The plan is re-derived here from it and the token must be the verdict's DC-scope token (MSP-wide key)." env:"ENTRA8344_APPROVAL_PLAN" placeholder:"PARAMS"`
	Wait      time.Duration `help:"How long to wait for the protection task to reach the objects." default:"10m"`
	DryRun    bool          `help:"Show the steps and each DACL before and after (SDDL); change nothing."`
	StateDir  string        `help:"Folder of the lock, the journals and the host's approval key (default: the state directory; replays: a folder under the temp directory)." env:"ENTRA8344_STATE_DIR" type:"path"`
	Output    string        `help:"Also write the JSON result to this file (atomically)." placeholder:"FILE" type:"path"`
	Directory time.Duration `name:"directory-timeout" help:"Give up reading one forest's directory after this long." default:"2m"`

	// The export step (remediate/export.go); replays simulate the export.
	WaitExport time.Duration `name:"wait-export" help:"After the delta sync, wait up to this long for each AD connector's next export run and read csexport (/f:e) again to confirm the planned objects no longer fail with 8344 (0: do not wait; the result then stops at the sync)." default:"0" placeholder:"DURATION"`
}

func (c *RemediateCmd) Run(stdio *IO) error {
	env := remediate.Env{Token: c.Token, Wait: c.Wait, PollEvery: 15 * time.Second, StateDir: c.StateDir, DryRun: c.DryRun, PlanParams: c.Plan}
	env.WaitExport, env.PollExport = c.WaitExport, 30*time.Second
	env.Options = detect.DefaultOptions()
	env.Options.Version, env.Options.DirectoryTimeout = version, c.Directory
	if c.Replay != "" {
		sc, err := loadScenario(c.Replay)
		if err != nil {
			return err
		}
		if !sc.HasDirectory() {
			return fmt.Errorf("--replay %s: the scenario has no directory snapshot, so there is nothing to remediate", c.Replay)
		}
		if c.Plan != "" {
			// The DC path: replay as the PDC emulator the member server named.
			if _, err := sc.AsDomainController(context.Background()); err != nil {
				return fmt.Errorf("--replay %s --plan: %w", c.Replay, err)
			}
		}
		dir := sc.Directory()
		dir.SimulateProtectionTask()
		runner := sc.Runner().SimulateExport(dir)
		env.Detect = detect.Env{Prober: sc.Prober(), Runner: runner, Replay: sc.Name, Directory: dir, Now: func() time.Time { return sc.Now }}
		env.PollExport = 100 * time.Millisecond // the simulated export is there as soon as the sync is
		env.Key = approvalKey(sc.Name, hostApprovalKey)
		env.Wait = 0 // the simulated task has run when the trigger returns: one check tells
		if env.StateDir == "" {
			env.StateDir = filepath.Join(os.TempDir(), "entra8344-replay", sc.Name)
		}
		facts := sc.Facts
		env.Sync = func(ctx context.Context) error {
			return adsync.StartDeltaSync(ctx, runner, adsync.CollectOptions{PowerShell: facts.PowerShellPath,
				ModulePath: adsync.ModulePath(facts.SyncEngineDir), Timeout: time.Minute}, 5, func(context.Context, time.Duration) error { return nil })
		}
	} else {
		dir, err := stateDirOr(c.StateDir)
		if err != nil {
			return fmt.Errorf("the state directory (lock, journal, approval key): %w", err)
		}
		env.StateDir = dir
		prober, runner := winhost.NewProber(), winhost.NewRunner()
		env.Detect = detect.Env{Prober: prober, Runner: runner}
		if d, why := newLiveDialer(); d != nil {
			env.Detect.Directory = liveDirectory{d}
		} else {
			env.Detect.NoDirectoryReason = why
		}
		env.Key = approvalKey("", hostApprovalKey)
		env.Sync = func(ctx context.Context) error {
			facts, err := prober.Facts(ctx)
			if err != nil {
				return err
			}
			return adsync.StartDeltaSync(ctx, runner, adsync.CollectOptions{PowerShell: facts.PowerShellPath,
				ModulePath: adsync.ModulePath(facts.SyncEngineDir), Timeout: 2 * time.Minute}, 5, remediate.Sleep)
		}
	}
	logger, closeLog := log.New(io.Discard, "", 0), func() {}
	if c.Replay == "" {
		logger, closeLog = withStateLog(logger, closeLog, "remediate")
	}
	defer closeLog()
	env.Detect.Log = logger
	res := remediate.Run(context.Background(), env)
	logger.Printf("remediate finished: %s (%s)", res.Status, res.Summary)
	reportResult(logger, res, c.Replay == "")
	doc, err := schema.Marshal(res)
	if err != nil {
		return fmt.Errorf("render the result: %w", err)
	}
	if c.Output != "" {
		if err := writeFileAtomic(c.Output, doc); err != nil {
			return err
		}
	}
	if _, err := stdio.Stdout.Write(doc); err != nil {
		return err
	}
	return exitError{res.ExitCode}
}

// RevertCmd removes exactly the ACEs a remediation added.
type RevertCmd struct {
	Journal      string `help:"The id of the remediate journal to undo (the result's journal.id)." required:""`
	RestoreExact bool   `help:"Write the journal's backed-up DACL back byte for byte instead of removing only the ACE it added. When that would change more than the journal's own ACEs, it shows the difference and refuses, with a token for exactly that difference (--token)."`
	Token        string `help:"With --restore-exact: the token a refused restore showed, approving exactly the difference beyond the journal's own ACEs." placeholder:"TOKEN"`
	Replay       string `help:"Revert inside a replayed scenario's directory (tests and demos)." placeholder:"DIR|NAME"`
	StateDir     string `help:"Folder of the lock and the journals (default: the state directory)." env:"ENTRA8344_STATE_DIR" type:"path"`
}

func (c *RevertCmd) Run(stdio *IO) error {
	env := remediate.RevertEnv{Journal: c.Journal, Version: version, RestoreExact: c.RestoreExact, Token: c.Token}
	var dialer ldap.Dialer
	if c.Replay != "" {
		sc, err := loadScenario(c.Replay)
		if err != nil {
			return err
		}
		d, err := sc.Directory().Dialer("")
		if err != nil {
			return err
		}
		dialer, env.Replay, env.Now = d, sc.Name, func() time.Time { return sc.Now }
		env.Key = approvalKey(sc.Name, hostApprovalKey)
		env.StateDir = c.StateDir
		if env.StateDir == "" {
			env.StateDir = filepath.Join(os.TempDir(), "entra8344-replay", sc.Name)
		}
	} else {
		// The state directory first: an insecure one is refused before
		// anything else is looked at.
		dir, err := stateDirOr(c.StateDir)
		if err != nil {
			return fmt.Errorf("the state directory (lock, journal): %w", err)
		}
		d, why := newLiveDialer()
		if d == nil {
			return errors.New(why)
		}
		dialer, env.StateDir, env.Key = d, dir, approvalKey("", hostApprovalKey)
	}
	env.Dial = dialer.Dial
	logger, closeLog := log.New(io.Discard, "", 0), func() {}
	if c.Replay == "" {
		logger, closeLog = withStateLog(logger, closeLog, "revert")
	}
	defer closeLog()
	res := remediate.Revert(context.Background(), env)
	logger.Printf("revert finished: %s (%s)", res.Status, res.Summary)
	reportResult(logger, res, c.Replay == "")
	doc, err := schema.Marshal(res)
	if err != nil {
		return err
	}
	if _, err := stdio.Stdout.Write(doc); err != nil {
		return err
	}
	return exitError{res.ExitCode}
}
