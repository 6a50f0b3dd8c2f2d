package cli

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"entra8344/detect"
	"entra8344/internal/adsync"
	"entra8344/remediate"
	"entra8344/schema"
)

// RemediateCmd applies an approved plan: the second run of the RMM flow.
type RemediateCmd struct {
	Replay    string        `help:"Run on a scenario folder or built-in scenario (demo, ${scenarios}) instead of the live host; the directory is replayed in memory, with the protection task simulated." placeholder:"DIR|NAME"`
	Token     string        `help:"The approval token from the verdict you approved." env:"ENTRA8344_APPROVAL_TOKEN"`
	Plan      string        `help:"On the domain controller a member server's verdict names (approval.run_on): that verdict's approval.plan. The plan is re-derived here from it and the token must be the verdict's DC-scope token (MSP-wide key)." env:"ENTRA8344_APPROVAL_PLAN" placeholder:"PARAMS"`
	Wait      time.Duration `help:"How long to wait for the protection task to reach the objects. ${durations}" default:"10m"`
	DryRun    bool          `help:"Show the steps and each DACL before and after (SDDL); change nothing."`
	StateDir  string        `help:"Folder of the lock, the journals and the host's approval key (default: the state directory; replays: the replay session's)." env:"ENTRA8344_STATE_DIR"`
	Fresh     bool          `help:"With --replay: start the replay session over (its directory, engine, clock and state; see replay reset)."`
	Output    string        `help:"Also write the JSON result to this file (atomically)." placeholder:"FILE" type:"path"`
	Format    string        `help:"Output on stdout: ${enum} (text: every step with its evidence, for a person at a console)." enum:"json,text" default:"json"`
	Directory time.Duration `name:"directory-timeout" help:"Give up reading one forest's directory after this long. ${durations}" default:"2m"`

	// The export step (remediate/export.go); replays simulate the export.
	Sync string `help:"The sync cycle after the fix: delta (retries the pending exports; enough for export errors), initial (a full cycle, Microsoft's guidance after permission changes: use it when the connector's scope changed, e.g. OUs added to sync), or none (the next scheduled cycle retries them)." enum:"delta,initial,none" default:"delta"`

	WaitExport time.Duration `name:"wait-export" help:"After the delta sync, wait up to this long for each AD connector's next export run and read csexport (/f:e) again to confirm the planned objects no longer fail with 8344 (0: do not wait; the result then stops at the sync). ${durations}" default:"0" placeholder:"DURATION"`
}

func (c *RemediateCmd) Run(stdio *IO) error {
	env := remediate.Env{Token: c.Token, PollEvery: 15 * time.Second, DryRun: c.DryRun, PlanParams: c.Plan}
	env.WaitExport = c.WaitExport
	env.Options = detect.DefaultOptions()
	env.Options.Version, env.Options.DirectoryTimeout = version, c.Directory
	h, err := NewHost(HostSpec{Command: "remediate", Replay: c.Replay, AsDC: c.Plan != "", Token: c.Token, StateDir: c.StateDir, Fresh: c.Fresh})
	if err != nil {
		return err
	}
	defer h.Close()
	logger := h.Log
	env.StateDir, env.Key = h.StateDir, h.Key
	env.SyncPolicy = c.Sync
	if c.Sync != "none" {
		policy, err := adsync.ParsePolicy(c.Sync)
		if err != nil {
			return err
		}
		env.Sync = func(ctx context.Context) error { return h.Sync(ctx, policy) }
	}
	env.Detect = detect.Env{Prober: h.Prober, Runner: h.Runner, Replay: h.Name, Now: h.Now,
		Directory: h.Directory, NoDirectoryReason: h.NoDirectoryReason}
	env.PollExport, env.Wait = h.PollExport(), h.ProtectionWait(c.Wait)
	env.Detect.Log = logger
	res := remediate.Run(context.Background(), env)
	saveErr := h.Save(context.Background())
	logger.Printf("remediate finished: %s (%s)", res.Status, res.Summary)
	reportResult(logger, res, h.WritesEvents)
	doc, err := schema.Marshal(res)
	if err != nil {
		return fmt.Errorf("render the result: %w", err)
	}
	out, err := renderResult(c.Format, res, doc)
	if err != nil {
		return err
	}
	return emitAs(stdio, doc, out, c.Output, res.ExitCode, saveErr)
}

// renderResult is the one document stdout carries: the JSON result, or its
// console view.
func renderResult(format string, res *schema.Result, doc []byte) ([]byte, error) {
	if format != "text" {
		return doc, nil
	}
	var b bytes.Buffer
	if err := detect.WriteResultText(&b, res); err != nil {
		return nil, fmt.Errorf("render the result: %w", err)
	}
	return b.Bytes(), nil
}

// RevertCmd removes exactly the ACEs a remediation added.
type RevertCmd struct {
	Journal      string `help:"The id of the remediate journal to undo (the result's journal.id)." required:""`
	RestoreExact bool   `help:"Write the journal's backed-up DACL back byte for byte instead of removing only the ACE it added. When that would change more than the journal's own ACEs, it shows the difference and refuses, with a token for exactly that difference (--token)."`
	Token        string `help:"With --restore-exact: the token a refused restore showed, approving exactly the difference beyond the journal's own ACEs." placeholder:"TOKEN"`
	Replay       string `help:"Revert inside a replayed scenario's directory (tests and demos)." placeholder:"DIR|NAME"`
	StateDir     string `help:"Folder of the lock and the journals (default: the state directory; replays: the replay session's)." env:"ENTRA8344_STATE_DIR"`
	Fresh        bool   `help:"With --replay: start the replay session over (its directory, engine, clock and state; see replay reset)."`
	Format       string `help:"Output on stdout: ${enum} (text: every step with its evidence, for a person at a console)." enum:"json,text" default:"json"`
}

func (c *RevertCmd) Run(stdio *IO) error {
	env := remediate.RevertEnv{Journal: c.Journal, Version: version, RestoreExact: c.RestoreExact, Token: c.Token}
	h, err := NewHost(HostSpec{Command: "revert", Replay: c.Replay, StateDir: c.StateDir, Fresh: c.Fresh})
	if err != nil {
		return err
	}
	defer h.Close()
	dialer, err := h.Dialer()
	if err != nil {
		return err
	}
	logger := h.Log
	env.Dial, env.Replay, env.Now, env.Key, env.StateDir = dialer.Dial, h.Name, h.Now, h.Key, h.StateDir
	res := remediate.Revert(context.Background(), env)
	saveErr := h.Save(context.Background())
	logger.Printf("revert finished: %s (%s)", res.Status, res.Summary)
	reportResult(logger, res, h.WritesEvents)
	doc, err := schema.Marshal(res)
	if err != nil {
		return err
	}
	out, err := renderResult(c.Format, res, doc)
	if err != nil {
		return err
	}
	return emitAs(stdio, doc, out, "", res.ExitCode, saveErr)
}
