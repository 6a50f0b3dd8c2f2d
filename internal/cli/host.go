package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/replay"
	"entra8344/internal/winhost"
	"entra8344/remediate"
)

// Mode is what a run talks to.
type Mode int

const (
	// Live is this server: its registry, processes, LDAP client and state directory.
	Live Mode = iota
	// Replay is a scenario folder or built-in scenario, in memory.
	Replay
	// Record is the live host, with every input also written as a scenario folder.
	Record
)

func (m Mode) String() string {
	return [...]string{"live", "replay", "record"}[m]
}

// HostSpec is what a command's flags say about where it runs.
type HostSpec struct {
	Command  string // detect, remediate, revert, acl, doctor: see commandNeeds
	Replay   string // --replay DIR|NAME
	Record   string // --record DIR (detect)
	AsDC     bool   // remediate --plan: a replayed host becomes the DC its token names
	Token    string // with AsDC: the approval token, which names that DC (approval.run_on)
	StateDir string // --state-dir / ENTRA8344_STATE_DIR
	Fresh    bool   // --fresh: a replay starts its session over
	LogFile  string // --log-file (detect)
}

// needs is what one command asks of its host; the differences between the
// commands live in this one table, not in the commands.
type needs struct {
	// stateDir names what the state directory holds for this command, in
	// its error; "" = the command does not resolve one (detect finds the
	// host key's folder itself, only when it signs).
	stateDir string
	// changes: the command changes the directory, so a replay needs a
	// snapshot and simulates the protection task and the export (remediate
	// triggers the task; revert triggers it again).
	changes bool
	// dialer: the command cannot run without its forest's dialer.
	dialer   bool
	stateLog stateLogWhen
	// baseline: the command reads (detect) or writes (baseline) the
	// recorded baseline in the state directory (Host.BaselinePath).
	baseline bool
}

// stateLogWhen is when a command's log also goes to the state directory's
// log file (winhost.OpenStateLog).
type stateLogWhen int

const (
	noStateLog stateLogWhen = iota
	// stateLogAlways: from the start, replays included (detect: the file
	// records every run, one whose host fails too).
	stateLogAlways
	// stateLogLive: on a live host, once the state directory and the
	// dialer have passed, so a refused run writes nothing there.
	stateLogLive
)

var commandNeeds = map[string]needs{
	"detect":    {stateLog: stateLogAlways, baseline: true},
	"baseline":  {dialer: true, baseline: true},
	"remediate": {stateDir: "lock, journal, approval key", changes: true, stateLog: stateLogLive},
	"revert":    {stateDir: "lock, journal", changes: true, dialer: true, stateLog: stateLogLive},
	"acl":       {},
	"doctor":    {},
}

// Host answers "what does this run talk to?". NewHost is the only place
// that tells a live host from a replay or a recording; commands use the
// parts and never ask which it is.
type Host struct {
	Mode Mode
	// Name is the replayed scenario's name, "" otherwise (it goes into the
	// document as collection.replay).
	Name   string
	Prober winhost.Prober
	Runner winhost.Runner
	// Directory gives each AD connector's dialer; nil with NoDirectoryReason
	// when there is none (off Windows, or a scenario without a snapshot).
	Directory         detect.DirectorySource
	NoDirectoryReason string
	// Key is the approval key and its source (host, msp, replay).
	Key keyFunc
	// StateDir holds the lock and the journals: resolved only for commands
	// that keep them (commandNeeds), "" otherwise.
	StateDir string
	// BaselinePath is where the baseline is kept (commands with
	// needs.baseline): the state directory's, a replay session's.
	BaselinePath func() (string, error)
	Now          func() time.Time
	// Sync starts a sync cycle of the policy (remediate --sync).
	Sync func(context.Context, adsync.Policy) error
	Log  *log.Logger
	// WritesEvents: the run's outcome is this host's state, so it goes to
	// the Application log (a replay's is not).
	WritesEvents bool

	closeLog  func()
	dial      func() (ldap.Dialer, error)
	dialer    ldap.Dialer // resolved by NewHost when the command needs it
	recorder  *replay.Recorder
	simulated bool
	save      func(context.Context) error // a replay session's; nil otherwise
}

// NewHost builds the host a command's flags name. On error nothing is left
// open.
func NewHost(spec HostSpec) (h *Host, err error) {
	need, ok := commandNeeds[spec.Command]
	if !ok {
		return nil, fmt.Errorf("no host for the command %q", spec.Command)
	}
	h = &Host{Mode: Live, Log: log.New(io.Discard, "", 0), closeLog: func() {}}
	// An empty --state-dir / ENTRA8344_STATE_DIR means "not given" (never
	// the working directory); a given one is made absolute here, once.
	if spec.StateDir = strings.TrimSpace(spec.StateDir); spec.StateDir != "" {
		abs, err := filepath.Abs(spec.StateDir)
		if err != nil {
			return nil, fmt.Errorf("--state-dir %s: %w", spec.StateDir, err)
		}
		spec.StateDir = abs
	}
	if spec.Replay != "" {
		h.Mode = Replay
	} else if spec.Record != "" {
		h.Mode = Record
	}
	if spec.LogFile != "" {
		if h.Log, h.closeLog, err = openLog(spec.LogFile); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			h.Close()
			h = nil
		}
	}()
	if need.stateLog == stateLogAlways {
		h.Log, h.closeLog = withStateLog(h.Log, h.closeLog, spec.Command)
	}
	if h.Mode == Replay {
		err = h.replay(spec, need)
	} else {
		err = h.live(spec, need)
	}
	if err != nil {
		return h, err
	}
	if need.dialer {
		if h.dialer, err = h.Dialer(); err != nil {
			return h, err
		}
	}
	if need.stateLog == stateLogLive && h.Mode != Replay {
		h.Log, h.closeLog = withStateLog(h.Log, h.closeLog, spec.Command)
	}
	return h, nil
}

// replay: everything from the scenario and its session (the directory
// after earlier runs' writes, the engine's last export, the session clock,
// the state directory: replay.Session); the key is always the scenario's
// replay key (approvalKey). An explicit --state-dir replaces the session's.
func (h *Host) replay(spec HostSpec, need needs) error {
	fsys, name, session, err := scenarioSource(spec.Replay)
	if err != nil {
		return err
	}
	sc, err := replay.Load(fsys, name)
	if err != nil {
		return err
	}
	if need.changes && !sc.HasDirectory() {
		return fmt.Errorf("--replay %s: the scenario has no directory snapshot, so there is nothing to change", spec.Replay)
	}
	sess, err := openSession(session, sc, spec.Fresh)
	if err != nil {
		return err
	}
	if spec.AsDC {
		// The DC path: replay as the DC the token is bound to (approval.run_on).
		key := remediate.ReplayKey(sc.Name)
		runOn := func(fqdn string) bool {
			host, domain, _ := strings.Cut(fqdn, ".")
			return remediate.TokenNamesHost(key, spec.Token, remediate.HostID(host, domain))
		}
		if _, err := sc.AsDomainController(context.Background(), runOn); err != nil {
			return fmt.Errorf("--replay %s --plan: %w", spec.Replay, err)
		}
	}
	h.Name, h.Prober = sc.Name, sc.Prober()
	now := sess.Now
	h.Now = func() time.Time { return now }
	h.Key = approvalKey(sc.Name, hostApprovalKey)
	dir := sc.Directory()
	runner := sc.Runner()
	if need.changes {
		dir.SimulateProtectionTask()
		runner = runner.SimulateExport(dir)
		h.simulated = true
	}
	h.Runner = runner
	h.dial = func() (ldap.Dialer, error) { return dir.Dialer("") }
	if sc.HasDirectory() {
		h.Directory = dir
	} else {
		h.NoDirectoryReason = "the scenario has no directory snapshot (" + replay.DirectoryFile + ")"
	}
	if need.stateDir != "" {
		if err := notLiveStateDir(spec.StateDir); err != nil {
			return err
		}
		h.StateDir = spec.StateDir
		if h.StateDir == "" {
			h.StateDir = sess.StateDir()
			if err := os.MkdirAll(h.StateDir, 0o700); err != nil {
				return fmt.Errorf("the replay session's state directory: %w", err)
			}
		}
	}
	if need.baseline {
		h.BaselinePath = func() (string, error) { return replayBaseline(spec.StateDir, sess.StateDir(), sc.FS) }
	}
	h.save = func(ctx context.Context) error { return sess.Save(ctx, dir, runner) }
	facts := sc.Facts
	h.Sync = func(ctx context.Context, p adsync.Policy) error {
		return adsync.StartSync(ctx, runner, adsync.CollectOptions{PowerShell: facts.PowerShellPath,
			ModulePath: adsync.ModulePath(facts.SyncEngineDir), Timeout: time.Minute}, p, 5, func(context.Context, time.Duration) error { return nil })
	}
	return nil
}

// live: this server, optionally recorded. The state directory first: an
// insecure one is refused before anything else is looked at.
func (h *Host) live(spec HostSpec, need needs) error {
	if need.stateDir != "" {
		dir, err := stateDirOr(spec.StateDir)
		if err != nil {
			return fmt.Errorf("the state directory (%s): %w", need.stateDir, err)
		}
		h.StateDir = dir
	}
	h.Now, h.WritesEvents = time.Now, true
	if need.baseline {
		h.BaselinePath = func() (string, error) {
			dir, err := stateDirOr(spec.StateDir)
			if err != nil {
				return "", fmt.Errorf("the state directory (baseline): %w", err)
			}
			return filepath.Join(dir, detect.BaselineFile), nil
		}
	}
	h.Key = approvalKey("", hostApprovalKey)
	h.Prober, h.Runner = winhost.NewProber(), winhost.NewRunner()
	d, why := newLiveDialer()
	var dir detect.DirectorySource
	if d != nil {
		dir = liveDirectory{d}
	}
	if h.Mode == Record {
		rec, err := replay.NewRecorder(spec.Record, h.Prober, h.Runner)
		if err != nil {
			return err
		}
		h.recorder, h.Prober, h.Runner = rec, rec.Prober(), rec.Runner()
		if dir != nil {
			dir = rec.Directory(dir)
		}
	}
	h.Directory, h.NoDirectoryReason = dir, why
	h.dial = func() (ldap.Dialer, error) {
		if d == nil {
			return nil, errors.New(why)
		}
		return d, nil
	}
	prober, runner := h.Prober, h.Runner
	h.Sync = func(ctx context.Context, p adsync.Policy) error {
		facts, err := prober.Facts(ctx)
		if err != nil {
			return err
		}
		return adsync.StartSync(ctx, runner, adsync.CollectOptions{PowerShell: facts.PowerShellPath,
			ModulePath: adsync.ModulePath(facts.SyncEngineDir), Timeout: 2 * time.Minute}, p, 5, remediate.Sleep)
	}
	return nil
}

// Dialer is the dialer of the host's own forest (revert, acl, doctor), or
// why there is none.
func (h *Host) Dialer() (ldap.Dialer, error) {
	if h.dialer != nil {
		return h.dialer, nil
	}
	return h.dial()
}

// PollExport is how often remediate looks for the export run: a simulated
// export is there as soon as the sync is.
func (h *Host) PollExport() time.Duration {
	if h.simulated {
		return 100 * time.Millisecond
	}
	return 30 * time.Second
}

// ProtectionWait is how long remediate waits for the protection task: a
// simulated task has run when the trigger returns, so one check tells.
// A value outside remediate's limits passes through, so that a replay
// refuses it as a live host does.
func (h *Host) ProtectionWait(asked time.Duration) time.Duration {
	if h.simulated && asked >= 0 && asked <= remediate.MaxWait {
		return 0
	}
	return asked
}

// Finish completes a recording with the verdict (its clock is the
// verdict's, so its replay reproduces generated_at); other hosts have
// nothing to finish.
func (h *Host) Finish(now time.Time, verdict []byte) error {
	if h.recorder == nil {
		return nil
	}
	return h.recorder.Finish(now, verdict)
}

// Save keeps what the run changed in a replay session (its directory, the
// simulated engine's export); a live host keeps its own state, so there it
// does nothing.
func (h *Host) Save(ctx context.Context) error {
	if h.save == nil {
		return nil
	}
	return h.save(ctx)
}

// Close closes the logs.
func (h *Host) Close() { h.closeLog() }

// keyFunc returns the approval key and where it came from (host, msp, replay).
type keyFunc func() (key []byte, source string, err error)

// approvalKey: a replay always signs with its scenario's fixed key, whatever
// the environment says (a replay's plan is whatever its folder says, so a
// live key there would sign anything); a live run with the MSP-wide key
// from the environment, else the host's own key from the state directory.
// Only NewHost calls it.
func approvalKey(replayName string, hostKey func() ([]byte, error)) keyFunc {
	return func() ([]byte, string, error) {
		if replayName != "" {
			return remediate.ReplayKey(replayName), "replay", nil
		}
		if k, set, err := remediate.KeyFromEnv(); set {
			return k, "msp", err
		}
		k, err := hostKey()
		return k, "host", err
	}
}

func openLog(path string) (*log.Logger, func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open --log-file: %w", err)
	}
	return log.New(f, "entra8344 ", log.LstdFlags|log.LUTC|log.Lmicroseconds), func() { f.Close() }, nil
}

// notLiveStateDir refuses, for a replay, a --state-dir that is a live
// host's: the default state directory, or any folder holding a host key.
// A replay writes locks, journals and used-approval records under its
// public replay key; there they would lock out or confuse the live runs.
func notLiveStateDir(dir string) error {
	if dir == "" {
		return nil
	}
	if live, err := winhost.StateDir(); err == nil && sameFolder(dir, live) {
		return fmt.Errorf("--state-dir %s is this host's live state directory: a replay never writes there (leave --state-dir out to use the replay session's)", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, remediate.KeyFile)); err == nil {
		return fmt.Errorf("--state-dir %s holds a host approval key (%s), so it is a live state directory: a replay never writes there", dir, remediate.KeyFile)
	}
	return nil
}

func sameFolder(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(ai, bi)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}
