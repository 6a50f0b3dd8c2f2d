package winhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// underWine: Wine's ntdll exports wine_get_version, Windows' does not.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func TestFacts(t *testing.T) {
	f, err := NewProber().Facts(context.Background())
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	j, _ := json.MarshalIndent(f, "", "  ")
	t.Logf("wine=%v facts=%s", underWine(), j)

	if f.ComputerName == "" {
		t.Error("ComputerName is empty")
	}
	if f.IsDC == nil {
		t.Error("IsDC is nil: RtlGetVersion cannot fail")
	}
	if runtime.GOARCH != "386" && !filepath.IsAbs(f.PowerShellPath) || !strings.HasSuffix(strings.ToLower(f.PowerShellPath), `\system32\windowspowershell\v1.0\powershell.exe`) {
		t.Errorf("PowerShellPath = %q, want <windir>\\System32\\WindowsPowerShell\\v1.0\\powershell.exe for a 64-bit process", f.PowerShellPath)
	}
	if !underWine() {
		return // a real host may well run ADSync; the checks below are about Wine
	}
	if f.ADSyncService != ServiceAbsent || f.ADSyncImagePath != "" || f.SyncEngineDir != "" || f.ConnectVersion != "" {
		t.Errorf("Wine has no ADSync, got %+v", f)
	}
	if f.IsDC != nil && *f.IsDC {
		t.Error("IsDC = true under Wine")
	}
	if f.IsPDCEmulator != nil && *f.IsPDCEmulator {
		t.Error("IsPDCEmulator = true under Wine")
	}
	if len(f.Notes) != 0 {
		t.Errorf("Notes = %q, want none on a plain host without ADSync", f.Notes)
	}
}

// The SCM path with a service that does exist (every Windows and Wine has
// RpcSs): state and binary come back, and the binary is a real file.
func TestProbeServiceExisting(t *testing.T) {
	state, image, err := probeService("RpcSs")
	if err != nil {
		t.Fatalf("probeService(RpcSs): %v", err)
	}
	if state == ServiceAbsent || state == ServiceUnknown {
		t.Errorf("state = %q, want a real state", state)
	}
	if !filepath.IsAbs(image) || !strings.HasSuffix(strings.ToLower(image), ".exe") {
		t.Errorf("image = %q, want an absolute .exe path", image)
	} else if _, err := os.Stat(image); err != nil {
		t.Errorf("image %q: %v", image, err)
	}
	t.Logf("RpcSs: %s %s", state, image)

	state, image, err = probeService("entra8344-no-such-service")
	if state != ServiceAbsent || image != "" || err != nil {
		t.Errorf("missing service: %q %q %v, want absent", state, image, err)
	}
}

func TestFileVersion(t *testing.T) {
	sys, err := windows.GetSystemDirectory()
	if err != nil {
		t.Fatal(err)
	}
	v, err := fileVersion(filepath.Join(sys, "kernel32.dll"))
	if err != nil || !regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("fileVersion(kernel32.dll) = %q, %v; want a.b.c.d", v, err)
	}
	t.Logf("kernel32.dll %s", v)
	// A Go exe carries no version resource: an error, not a panic.
	exe, _ := os.Executable()
	if v, err := fileVersion(exe); err == nil {
		t.Errorf("fileVersion(test exe) = %q, want an error", v)
	}
	if _, err := fileVersion(filepath.Join(tempDir(t), "missing.exe")); err == nil {
		t.Error("fileVersion(missing file): want an error")
	}
}

func TestHint(t *testing.T) {
	err := fmt.Errorf("open service ADSync: %w", hint(windows.ERROR_ACCESS_DENIED))
	if err.Error() != "open service ADSync: access denied: run as SYSTEM or a local administrator" || !errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Errorf("got %q", err)
	}
	if hint(windows.ERROR_FILE_NOT_FOUND) != windows.ERROR_FILE_NOT_FOUND {
		t.Error("other errors must pass through unchanged")
	}
}

// Calls the generated DsRole stub for real. Off a DC the role is never PDC.
func TestIsPDCEmulatorCall(t *testing.T) {
	pdc, err := isPDCEmulator()
	t.Logf("isPDCEmulator = %v, %v", pdc, err)
	if err == nil && pdc && !(windows.RtlGetVersion().ProductType == verNTDomainController) {
		t.Error("a host that is not a DC claims the PDC emulator role")
	}
}
