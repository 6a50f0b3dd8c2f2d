package doctor

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

// script is doctor.ps1, fed on stdin through the collector's bootstrap
// (adsync.CollectorArgs): the same way detect runs PowerShell.
//
//go:embed doctor.ps1
var script []byte

// PowerShell is Windows PowerShell 5.1 as detect's collector will meet it.
type PowerShell struct {
	Path         string  `json:"path"`
	LanguageMode string  `json:"language_mode"`
	Version      string  `json:"version"`
	Module       *Module `json:"adsync_module"`
	DurationMS   int64   `json:"duration_ms"`
	Problem      string  `json:"problem"`
}

// Module is the ADSync module import; nil when ADSync is not installed.
type Module struct {
	Path     string `json:"path"`
	Imported bool   `json:"imported"`
	ImportMS *int64 `json:"import_ms"`
	Version  string `json:"version"`
	Error    string `json:"error"`
	// SchedulerRead: Get-ADSyncScheduler answered (nil: not tried, the
	// import failed). Importing works for anyone; the cmdlets need the
	// service's permission (ADSyncAdmins), which the collector needs too.
	SchedulerRead  *bool  `json:"scheduler_read"`
	SchedulerError string `json:"scheduler_error"`
}

func checkPowerShell(ctx context.Context, r winhost.Runner, f winhost.Facts, timeout time.Duration) PowerShell {
	ps := PowerShell{Path: f.PowerShellPath}
	if ps.Path == "" {
		ps.Problem = "Windows PowerShell was not found by the host checks (see host.notes)"
		return ps
	}
	env := []string{"ENTRA8344_DOCTOR_IMPORT=0"}
	if f.ADSyncService != winhost.ServiceAbsent {
		env = []string{"ENTRA8344_DOCTOR_IMPORT=1", "ENTRA8344_ADSYNC_MODULE=" + adsync.ModulePath(f.SyncEngineDir)}
	}
	res, err := r.Run(ctx, winhost.Command{Path: ps.Path, Args: adsync.CollectorArgs(), Env: env, Stdin: script, Timeout: timeout, MaxOutput: 1 << 20})
	ps.DurationMS = res.Duration.Milliseconds()
	if err != nil {
		ps.Problem = fmt.Sprintf("run PowerShell: %v", err)
		return ps
	}
	var doc struct {
		LanguageMode string  `json:"language_mode"`
		Version      string  `json:"version"`
		Module       *Module `json:"module"`
	}
	out, derr := adsync.ScriptDocument(res.Stdout)
	if derr == nil && (json.Unmarshal(out, &doc) != nil || doc.LanguageMode == "") {
		derr = fmt.Errorf("printed a %s line that is not the doctor's document", adsync.JSONMarker)
	}
	if derr != nil {
		ps.Problem = fmt.Sprintf("unknown: PowerShell (exit code %d) printed no doctor JSON (%v)%s%s", res.ExitCode, derr, quote("stdout", res.Stdout), quote("stderr", res.Stderr))
		return ps
	}
	ps.LanguageMode, ps.Version, ps.Module = doc.LanguageMode, doc.Version, doc.Module
	return ps
}

func quote(label string, b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return "; " + label + ": " + s
}
