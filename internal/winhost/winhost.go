// Package winhost holds what detect needs to know about the Windows host
// without starting a process (service control manager, registry, host role),
// and the process runner that kills a whole process tree on timeout.
//
// The Windows implementation lives in *_windows.go; *_other.go keeps the
// package buildable and testable on Linux, where the host is never an Entra
// Connect server.
package winhost

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ServiceState is the ADSync service state as the SCM reports it.
type ServiceState string

const (
	ServiceAbsent       ServiceState = "absent"
	ServiceRunning      ServiceState = "running"
	ServiceStopped      ServiceState = "stopped"
	ServiceStartPending ServiceState = "start_pending"
	ServiceStopPending  ServiceState = "stop_pending"
	ServicePaused       ServiceState = "paused"
	ServiceUnknown      ServiceState = "unknown"
)

// Facts are the host checks that cost no child process. Pointers are
// "unknown" when nil: a probe that failed must not read as false.
type Facts struct {
	ComputerName string `json:"computer_name"`
	// DNSDomain is the host's AD DNS domain, empty when not joined or unknown.
	DNSDomain string `json:"dns_domain,omitempty"`
	// ADSyncService is the state of the service named ADSync.
	ADSyncService ServiceState `json:"adsync_service"`
	// ADSyncImagePath is the service's binary (miiserver.exe) as configured in the SCM.
	ADSyncImagePath string `json:"adsync_image_path,omitempty"`
	// SyncEngineDir is HKLM\SOFTWARE\Microsoft\AD Sync\Location (the engine root, holding Bin\).
	SyncEngineDir string `json:"sync_engine_dir,omitempty"`
	// ConnectVersion is the file version of miiserver.exe (major.minor.build.revision).
	ConnectVersion string `json:"connect_version,omitempty"`
	// IsDC is true on a domain controller (RtlGetVersion ProductType == VER_NT_DOMAIN_CONTROLLER).
	IsDC *bool `json:"is_dc,omitempty"`
	// IsPDCEmulator is true when DsRoleGetPrimaryDomainInformation says this DC holds the PDC role.
	IsPDCEmulator *bool `json:"is_pdc_emulator,omitempty"`
	// PowerShellPath is the absolute path of the 64-bit Windows PowerShell 5.1 (Sysnative when WOW64).
	PowerShellPath string `json:"powershell_path,omitempty"`
	// Notes are probe failures that did not stop the checks (e.g. registry key unreadable).
	Notes []string `json:"notes,omitempty"`
}

// Prober reads the host facts.
type Prober interface {
	Facts(ctx context.Context) (Facts, error)
}

// Command is one child process to run.
type Command struct {
	// Path is absolute; the runner never searches PATH.
	Path string
	Args []string
	// Env is added to the inherited environment (KEY=VALUE). Parameters go here
	// or on Stdin, never into script text.
	Env   []string
	Stdin []byte
	// Timeout bounds the whole run; when it fires the whole process tree is killed.
	Timeout time.Duration
	// MaxOutput caps what is kept of stdout and of stderr (0 = 64 MiB each).
	MaxOutput int64
}

// Result is what a finished (or killed) process left.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	// Truncated is true when stdout or stderr hit MaxOutput.
	Truncated bool
	Duration  time.Duration
	// Notes are weaker guarantees the run had to accept, e.g. the child could
	// not be put in a Job Object, so on timeout only the child itself (not its
	// descendants) was killed. Empty on a normal run.
	Notes []string
}

// Runner starts processes. Live runners kill the whole tree on timeout (Job
// Objects on Windows, process groups elsewhere); the replay runner answers
// from a recorded scenario.
type Runner interface {
	Run(ctx context.Context, c Command) (Result, error)
}

// ErrTimeout is wrapped by the error a Runner returns when Command.Timeout (or
// the context deadline) killed the process tree.
var ErrTimeout = errors.New("timed out")

// TimeoutError says which command was killed after how long.
type TimeoutError struct {
	Path    string
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not finish within %s; its process tree was killed", e.Path, e.Timeout)
}

func (e *TimeoutError) Unwrap() error { return ErrTimeout }
