// Package doctor is `entra8344 doctor`: a read-only self-check a technician
// runs once on a new client's server. It reports who the process is, the
// host's role, what the directory sees after the bind (WhoAmI, signing and
// sealing, the right to write AdminSDHolder's DACL and to trigger the
// protection task), PowerShell's language mode and the ADSync module's
// import time, csexport, the state directory and the event source. Every
// answer it cannot give is "unknown" with the reason; it changes nothing
// (the only write is a probe file in an existing state directory, removed
// at once).
package doctor

import (
	"context"
	"os"
	"runtime"
	"sync"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/release"
	"entra8344/internal/winhost"
)

// SchemaVersion is the report's schema_version.
const SchemaVersion = "entra8344.doctor.v1"

// Check statuses.
const (
	StatusOK      = "ok"
	StatusWarn    = "warn"    // works, but not as deployed in production, or worth a look
	StatusFail    = "fail"    // detect or remediate will not work as expected here
	StatusUnknown = "unknown" // could not tell; the message says why
	StatusSkipped = "skipped" // does not apply to this host, or not checked here (source not_checked)
)

// Report is doctor's one JSON document.
type Report struct {
	SchemaVersion string                    `json:"schema_version"`
	Tool          Tool                      `json:"tool"`
	Platform      string                    `json:"platform"` // GOOS: off "windows", no Windows fact is checked
	GeneratedAt   string                    `json:"generated_at"`
	Status        string                    `json:"status"` // ok, or attention when a check failed
	ExitCode      int                       `json:"exit_code"`
	Checks        []Check                   `json:"checks"`
	Process       Process                   `json:"process"`
	Exe           Exe                       `json:"exe"`
	Host          Host                      `json:"host"`
	LDAP          LDAP                      `json:"ldap"`
	AdminSDHolder AdminSDHolder             `json:"admin_sd_holder"`
	ProtectTask   ProtectTask               `json:"protect_task"`
	PowerShell    PowerShell                `json:"powershell"`
	CSExport      CSExport                  `json:"csexport"`
	StateDir      winhost.StateDirStatus    `json:"state_dir"`
	EventLog      winhost.EventSourceStatus `json:"event_log"`
	LogFile       string                    `json:"log_file"`
	DurationMS    int64                     `json:"duration_ms"`
}

// Check is one line of the summary: a stable id, a status, where the
// fact was read and a sentence.
type Check struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Source  string `json:"source"`
	Message string `json:"message"`
}

// Check sources: where a check's fact comes from. A fact is only claimed
// from a source that was actually read.
const (
	SourceWindows    = "windows"     // Windows APIs on this host: token, version resource, SCM and registry, DACL, event log
	SourceDirectory  = "directory"   // the LDAP bind (wldap32)
	SourcePowerShell = "powershell"  // Windows PowerShell run on this host
	SourceFile       = "file"        // a file's existence on this host
	SourcePOSIX      = "posix"       // owner and mode of a directory, off Windows
	SourceNotChecked = "not_checked" // nothing was read: the message says why
)

// notWindows is the message of every Windows fact off Windows.
const notWindows = "not checked: not a Windows host"

// Tool is the build being run (main's version, commit and built).
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Built   string `json:"built"`
}

// Process is the identity the process runs as.
type Process struct {
	User     string `json:"user"`
	SID      string `json:"sid"`
	IsSystem *bool  `json:"is_system"`
	Elevated *bool  `json:"elevated"`
	Problem  string `json:"problem"`
}

// Exe is the running exe's version resource, read through Windows' own
// version API, compared with the build.
type Exe struct {
	Path           string `json:"path"`
	FileVersion    string `json:"file_version"`
	ProductVersion string `json:"product_version"`
	MatchesBuild   *bool  `json:"matches_build"`
	Problem        string `json:"problem"`
}

// Host is what the host checks (no process started) found.
type Host struct {
	Computer       string   `json:"computer"`
	DNSDomain      string   `json:"dns_domain"`
	Role           string   `json:"role"` // pdc_emulator, domain_controller, member, unknown, not_checked
	ADSyncService  string   `json:"adsync_service"`
	ConnectVersion string   `json:"connect_version"`
	SyncEngineDir  string   `json:"sync_engine_dir"`
	Notes          []string `json:"notes"`
}

// CSExport is whether csexport.exe is where detect will look for it.
type CSExport struct {
	Path    string `json:"path"`
	Found   *bool  `json:"found"`
	Problem string `json:"problem"`
}

// Env is what Run reads; DefaultEnv fills it for this host, tests fake it.
type Env struct {
	Tool     Tool
	Platform string // runtime.GOOS; Windows facts are checked only on "windows"
	Now      func() time.Time
	Process  func() Process
	Exe      func() Exe // Path, versions or Problem; Run fills MatchesBuild
	Prober   winhost.Prober
	Runner   winhost.Runner
	Dialer   ldap.Dialer // nil: NoDirectoryReason says why
	Stat     func(string) error
	StateDir func() winhost.StateDirStatus
	EventLog func() winhost.EventSourceStatus
	LogFile  func() string

	NoDirectoryReason string
}

// Options bound the slow parts.
type Options struct {
	Server            string // domain controller to ask; "" = the locator's choice
	DirectoryTimeout  time.Duration
	PowerShellTimeout time.Duration
}

// DefaultEnv is this host; the caller adds Tool and Dialer.
func DefaultEnv() Env {
	return Env{
		Platform: runtime.GOOS,
		Now:      time.Now, Process: processIdentity, Exe: exeVersion,
		Prober: winhost.NewProber(), Runner: winhost.NewRunner(),
		Stat:     func(p string) error { _, err := os.Stat(p); return err },
		StateDir: winhost.CheckStateDir, EventLog: winhost.CheckEventSource,
		LogFile: func() string {
			dir, err := winhost.StateDir()
			if err != nil {
				return ""
			}
			return dir + string(os.PathSeparator) + winhost.LogFileName
		},
	}
}

// Run performs every check. The directory and PowerShell parts run side
// by side; nothing here returns an error: failures are in the report.
func Run(ctx context.Context, env Env, o Options) *Report {
	start := env.Now()
	r := &Report{SchemaVersion: SchemaVersion, Tool: env.Tool, Platform: env.Platform, GeneratedAt: start.UTC().Format(time.RFC3339)}
	r.Process = env.Process()
	r.Exe = env.Exe()
	r.Exe.MatchesBuild = matchesBuild(r.Exe, env.Tool)

	facts, err := env.Prober.Facts(ctx)
	r.Host = hostOf(facts, err)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.PowerShell = checkPowerShell(ctx, env.Runner, facts, o.PowerShellTimeout)
	}()
	if env.Dialer == nil {
		r.LDAP.Problem = env.NoDirectoryReason
		r.AdminSDHolder.Problem, r.ProtectTask.Problem = "no directory connection: "+env.NoDirectoryReason, "no directory connection: "+env.NoDirectoryReason
	} else {
		dctx, cancel := context.WithTimeout(ctx, o.DirectoryTimeout)
		r.LDAP, r.AdminSDHolder, r.ProtectTask = checkDirectory(dctx, env.Dialer, o.Server, r.Process.SID)
		cancel()
	}
	r.ProtectTask.ThisHostIsPDC = facts.IsPDCEmulator
	wg.Wait()

	r.CSExport = checkCSExport(facts, env.Stat)
	if env.Platform != "windows" {
		// The prober answers "ADSync absent" off Windows (detect is then
		// not_applicable); doctor does not pass that off as a checked fact.
		r.Host.Role, r.Host.ADSyncService = "not_checked", "not_checked"
		r.CSExport = CSExport{Problem: notWindows}
		r.PowerShell.Problem = notWindows + ": " + r.PowerShell.Problem
	}
	r.StateDir = env.StateDir()
	r.EventLog = env.EventLog()
	r.LogFile = env.LogFile()
	r.Checks = assess(r)
	r.Status, r.ExitCode = "ok", 0
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			r.Status, r.ExitCode = "attention", 1
		}
	}
	r.DurationMS = env.Now().Sub(start).Milliseconds()
	return r
}

// matchesBuild: the version resource says what `version` says (release
// builds); nil when the resource could not be read.
func matchesBuild(e Exe, t Tool) *bool {
	if e.Problem != "" {
		return nil
	}
	num, err := release.FileVersion(t.Version)
	ok := err == nil && e.ProductVersion == t.Version && e.FileVersion == num
	return &ok
}

func hostOf(f winhost.Facts, err error) Host {
	h := Host{Computer: f.ComputerName, DNSDomain: f.DNSDomain, ADSyncService: string(f.ADSyncService),
		ConnectVersion: f.ConnectVersion, SyncEngineDir: f.SyncEngineDir, Notes: append([]string{}, f.Notes...)}
	if err != nil {
		h.Notes = append(h.Notes, err.Error())
	}
	switch {
	case f.IsPDCEmulator != nil && *f.IsPDCEmulator:
		h.Role = "pdc_emulator"
	case f.IsDC != nil && *f.IsDC:
		h.Role = "domain_controller"
	case f.IsDC != nil:
		h.Role = "member"
	default:
		h.Role = "unknown"
	}
	return h
}

func checkCSExport(f winhost.Facts, stat func(string) error) CSExport {
	if f.ADSyncService == winhost.ServiceAbsent {
		return CSExport{Problem: "the ADSync service is not installed on this host"}
	}
	p, err := adsync.CSExportPath(f.ADSyncImagePath, f.SyncEngineDir)
	if err != nil {
		return CSExport{Problem: err.Error()}
	}
	found := true
	c := CSExport{Path: p, Found: &found}
	if err := stat(p); err != nil {
		found = false
		c.Problem = err.Error()
	}
	return c
}
