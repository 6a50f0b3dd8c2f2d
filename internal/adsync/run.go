package adsync

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entra8344/internal/winhost"
)

// CollectorScript is the embedded PowerShell collector. It is fed on stdin,
// never written to disk and never formatted with parameters.
//
//go:embed collector.ps1
var CollectorScript []byte

// bootstrap is the only text on the command line: it reads the script from
// stdin ($input, which Constrained Language Mode allows) and runs it.
const bootstrap = `$ProgressPreference='SilentlyContinue'; $s = @($input) -join [char]10; Invoke-Expression $s`

// CollectorArgs are the powershell.exe arguments for the collector.
func CollectorArgs() []string {
	return []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", bootstrap}
}

// CollectOptions are the collector's parameters, passed as environment variables.
type CollectOptions struct {
	PowerShell string        // absolute path of powershell.exe
	ModulePath string        // ADSync.psd1; empty lets Import-Module find it
	Runs       int           // run-history entries per connector
	Timeout    time.Duration // for the whole PowerShell process tree
}

// Collect runs the collector in one PowerShell process and parses its JSON.
// raw is what the process printed, kept for --record even when parsing fails.
func Collect(ctx context.Context, r winhost.Runner, o CollectOptions) (st *State, raw []byte, err error) {
	if o.PowerShell == "" {
		return nil, nil, errors.New("no path to powershell.exe: the host check could not find Windows PowerShell 5.1")
	}
	env := []string{fmt.Sprintf("ENTRA8344_RUNS=%d", o.Runs)}
	if o.ModulePath != "" {
		env = append(env, "ENTRA8344_ADSYNC_MODULE="+o.ModulePath)
	}
	res, err := r.Run(ctx, winhost.Command{
		Path: o.PowerShell, Args: CollectorArgs(), Env: env,
		Stdin: CollectorScript, Timeout: o.Timeout,
	})
	if err != nil {
		if errors.Is(err, winhost.ErrTimeout) {
			return nil, res.Stdout, fmt.Errorf("the ADSync collector (PowerShell) hung: %w; check that the ADSync service answers (Get-ADSyncScheduler) and raise --collector-timeout if the server is just slow", err)
		}
		return nil, nil, fmt.Errorf("start the ADSync collector: %w", err)
	}
	st, perr := ParseCollector(res.Stdout)
	if perr != nil {
		return nil, res.Stdout, fmt.Errorf("the ADSync collector (PowerShell exit code %d): %w%s", res.ExitCode, perr, hint("stderr", res.Stderr))
	}
	return st, res.Stdout, nil
}

// hint quotes the start of a process's output in an error message.
func hint(label string, out []byte) string {
	s := strings.TrimSpace(string(out))
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return "; " + label + ": " + s
}

// ModulePath is where the ADSync module sits under the sync engine root.
func ModulePath(syncEngineDir string) string {
	if syncEngineDir == "" {
		return ""
	}
	return winJoin(syncEngineDir, `Bin\ADSync\ADSync.psd1`)
}

// CSExportPath locates csexport.exe: beside the running service binary
// (miiserver.exe, from the SCM), else under the engine root from the registry.
func CSExportPath(imagePath, syncEngineDir string) (string, error) {
	if d := winDir(imagePath); d != "" {
		return winJoin(d, "csexport.exe"), nil
	}
	if syncEngineDir != "" {
		return winJoin(syncEngineDir, `Bin\csexport.exe`), nil
	}
	return "", errors.New("cannot locate csexport.exe: neither the ADSync service's ImagePath nor HKLM\\SOFTWARE\\Microsoft\\AD Sync\\Location is known")
}

// CSExportArgs: connector name, output file, export errors only (/f:e, not /f:x).
func CSExportArgs(connector, file string) []string {
	return []string{connector, file, "/f:e"}
}

// ExportErrorsOf runs `csexport.exe "<connector>" <fresh file> /f:e` and
// streams the file through ParseExportErrors. csexport never overwrites an
// existing file, so the file name is new in a directory of our own.
func ExportErrorsOf(ctx context.Context, r winhost.Runner, csexport, connector, dir string, seq int, timeout time.Duration, fn func(ExportError) error) (ExportStats, error) {
	file := filepath.Join(dir, fmt.Sprintf("csexport-%d.xml", seq))
	if _, err := os.Lstat(file); err == nil {
		return ExportStats{}, fmt.Errorf("csexport output file %s already exists; refusing to read a stale file", file)
	}
	// os.Remove, not RemoveAll on the folder: RemoveAll fails under Wine, and
	// the file is ours alone.
	defer os.Remove(file)
	res, err := r.Run(ctx, winhost.Command{Path: csexport, Args: CSExportArgs(connector, file), Timeout: timeout})
	if err != nil {
		if errors.Is(err, winhost.ErrTimeout) {
			return ExportStats{}, fmt.Errorf("csexport for connector %q: %w; raise --csexport-timeout for very large connector spaces", connector, err)
		}
		return ExportStats{}, fmt.Errorf("start csexport for connector %q: %w", connector, err)
	}
	f, err := os.Open(file)
	if err != nil {
		// Success is the file, not the exit code (csexport documents none).
		return ExportStats{}, fmt.Errorf("csexport for connector %q exited %d and wrote no output file%s%s", connector, res.ExitCode, hint("stderr", res.Stderr), hint("output", res.Stdout))
	}
	defer f.Close()
	st, err := ParseExportErrors(f, fn)
	if err != nil {
		return st, fmt.Errorf("csexport output for connector %q: %w", connector, err)
	}
	return st, nil
}

// Windows paths are handled as text so that replay on Linux takes the same
// code path as a live run.
func winDir(p string) string {
	p = strings.Trim(strings.TrimSpace(p), `"`)
	i := strings.LastIndexAny(p, `\/`)
	if i <= 0 {
		return ""
	}
	return p[:i]
}

func winJoin(dir, rel string) string {
	return strings.TrimRight(dir, `\/`) + `\` + rel
}

// WinBase is the file name of a Windows or Unix path.
func WinBase(p string) string {
	return p[strings.LastIndexAny(p, `\/`)+1:]
}
