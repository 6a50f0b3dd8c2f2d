package winhost

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

type hostProber struct{}

// NewProber returns the prober that reads the SCM, the registry and the OS
// version APIs. It starts no process, so detect can answer not_applicable in
// milliseconds on the many servers without Entra Connect.
func NewProber() Prober { return hostProber{} }

// Facts never fails because a probe failed: each failure becomes a Note and
// leaves its field empty or nil (unknown). The only error is a done context.
func (hostProber) Facts(ctx context.Context) (Facts, error) {
	if err := ctx.Err(); err != nil {
		return Facts{}, err
	}
	var f Facts

	if name, err := computerName(windows.ComputerNameDnsHostname); err != nil {
		f.notef("read computer name: %v", err)
	} else {
		f.ComputerName = name
	}
	if dom, err := computerName(windows.ComputerNameDnsDomain); err != nil {
		f.notef("read DNS domain: %v", err)
	} else {
		f.DNSDomain = dom
	}

	state, image, err := probeService(adsyncServiceName)
	f.ADSyncService, f.ADSyncImagePath = state, image
	if err != nil {
		f.notef("%v", err)
	}
	installed := f.ADSyncService != ServiceAbsent

	dir, err := syncEngineDir()
	switch {
	case err == nil:
		f.SyncEngineDir = dir
	case errors.Is(err, registry.ErrNotExist) && !installed:
		// Not an Entra Connect server: nothing worth a note.
	default:
		f.notef("read HKLM\\%s\\Location: %v", adsyncRegKey, err)
	}

	if exe := miiserverPath(f); exe != "" {
		if v, err := fileVersion(exe); err != nil {
			f.notef("read file version of %s: %v", exe, err)
		} else {
			f.ConnectVersion = v
		}
	}

	isDC := windows.RtlGetVersion().ProductType == verNTDomainController
	f.IsDC = &isDC
	if isDC {
		if pdc, err := isPDCEmulator(); err != nil {
			f.notef("%v", err)
		} else {
			f.IsPDCEmulator = &pdc
		}
	} else {
		no := false // a member server cannot hold the PDC emulator role
		f.IsPDCEmulator = &no
	}

	if ps, err := powerShellPath(); err != nil {
		f.notef("locate Windows PowerShell: %v", err)
	} else {
		f.PowerShellPath = ps
	}
	return f, nil
}

func computerName(kind uint32) (string, error) {
	n := uint32(64)
	for {
		buf := make([]uint16, n)
		err := windows.GetComputerNameEx(kind, &buf[0], &n)
		if err == nil {
			return windows.UTF16ToString(buf[:n]), nil
		}
		// On ERROR_MORE_DATA n is the size needed, including the NUL.
		if !errors.Is(err, windows.ERROR_MORE_DATA) || int(n) <= len(buf) {
			return "", err
		}
	}
}

// probeService asks the SCM for a service's state and binary with the least
// rights that answer the question (SC_MANAGER_CONNECT, then
// SERVICE_QUERY_STATUS|SERVICE_QUERY_CONFIG), so it works for any
// administrator and never needs the SCM write rights mgr.Connect asks for.
func probeService(name string) (ServiceState, string, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return ServiceUnknown, "", fmt.Errorf("connect to the service control manager: %w", hint(err))
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()

	np, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return ServiceUnknown, "", fmt.Errorf("open service %q: %w", name, err)
	}
	sh, err := windows.OpenService(m.Handle, np, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return ServiceAbsent, "", nil
	}
	if err != nil {
		return ServiceUnknown, "", fmt.Errorf("open service %s: %w", name, hint(err))
	}
	s := &mgr.Service{Name: name, Handle: sh}
	defer s.Close()

	state := ServiceUnknown
	var errs []error
	if st, err := s.Query(); err != nil {
		errs = append(errs, fmt.Errorf("query status of service %s: %w", name, err))
	} else {
		state = serviceState(st.State)
		if state == ServiceUnknown {
			errs = append(errs, fmt.Errorf("service %s is in SCM state %d, reported as unknown", name, st.State))
		}
	}
	image, err := serviceBinaryPath(sh)
	if err != nil {
		errs = append(errs, fmt.Errorf("query config of service %s: %w", name, err))
	}
	return state, image, errors.Join(errs...)
}

// serviceBinaryPath reads only QUERY_SERVICE_CONFIG. mgr.Service.Config would
// also query description, delayed start and SID type, and fails as a whole
// when any of those does; the binary path is all we need.
func serviceBinaryPath(h windows.Handle) (string, error) {
	n := uint32(1024)
	for {
		buf := make([]byte, n)
		cfg := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
		err := windows.QueryServiceConfig(h, cfg, n, &n)
		if err == nil {
			cmdline := windows.UTF16PtrToString(cfg.BinaryPathName)
			if exp, err := registry.ExpandString(cmdline); err == nil {
				cmdline = exp // e.g. %SystemRoot%\system32\svchost.exe -k ...
			}
			return serviceBinary(cmdline), nil
		}
		if !errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) || int(n) <= len(buf) {
			return "", err
		}
	}
}

func serviceState(s svc.State) ServiceState {
	switch s {
	case svc.Running:
		return ServiceRunning
	case svc.Stopped:
		return ServiceStopped
	case svc.StartPending, svc.ContinuePending:
		return ServiceStartPending
	case svc.StopPending:
		return ServiceStopPending
	case svc.Paused, svc.PausePending:
		return ServicePaused
	}
	return ServiceUnknown
}

// syncEngineDir reads HKLM\SOFTWARE\Microsoft\AD Sync\Location from the
// 64-bit registry view even if this process were 32-bit.
func syncEngineDir() (string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, adsyncRegKey, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return "", fmt.Errorf("open key: %w", hint(err))
	}
	defer k.Close()
	v, typ, err := k.GetStringValue("Location")
	if err != nil {
		return "", err
	}
	if typ == registry.EXPAND_SZ {
		if exp, err := registry.ExpandString(v); err == nil {
			v = exp
		}
	}
	if v == "" {
		return "", errors.New("value is empty")
	}
	return filepath.Clean(v), nil
}

// miiserverPath prefers the binary the SCM actually starts; the registry
// Location is the fallback when the service config could not be read.
func miiserverPath(f Facts) string {
	if f.ADSyncImagePath != "" {
		return f.ADSyncImagePath
	}
	if f.SyncEngineDir != "" {
		return filepath.Join(f.SyncEngineDir, "Bin", miiserverExe)
	}
	return ""
}

// fileVersion returns the fixed file version (VS_FIXEDFILEINFO) of a PE file.
func fileVersion(path string) (string, error) {
	var zero windows.Handle
	size, err := windows.GetFileVersionInfoSize(path, &zero)
	if err != nil {
		return "", err
	}
	buf := make([]byte, size)
	if err := windows.GetFileVersionInfo(path, 0, size, unsafe.Pointer(&buf[0])); err != nil {
		return "", err
	}
	var fixed *windows.VS_FIXEDFILEINFO
	var n uint32
	if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), `\`, unsafe.Pointer(&fixed), &n); err != nil {
		return "", err
	}
	// fixed points into buf, which the GC keeps alive through this pointer.
	if fixed == nil || n < uint32(unsafe.Sizeof(*fixed)) || fixed.Signature != 0xFEEF04BD {
		return "", errors.New("no VS_FIXEDFILEINFO in the version resource")
	}
	return fileVersionString(fixed.FileVersionMS, fixed.FileVersionLS), nil
}

// isPDCEmulator asks the local DS role service whether this DC holds the PDC
// emulator role, the DC where the AdminSDHolder protection task runs.
func isPDCEmulator() (bool, error) {
	var info *dsRolePrimaryDomainInfoBasic
	if err := dsRoleGetPrimaryDomainInformation(nil, dsRolePrimaryDomainInfoBasicLevel, &info); err != nil {
		return false, fmt.Errorf("DsRoleGetPrimaryDomainInformation on this host: %w", hint(err))
	}
	if info == nil {
		return false, errors.New("DsRoleGetPrimaryDomainInformation on this host returned no data")
	}
	defer dsRoleFreeMemory(info)
	return info.MachineRole == dsRoleRolePrimaryDomainController, nil
}

// powerShellPath is the 64-bit Windows PowerShell 5.1, built from the
// Windows directory (never PATH, which an attacker or a broken profile may
// control). A 32-bit process under WOW64 would be redirected from System32 to
// SysWOW64 and start 32-bit PowerShell, where the ADSync module does not load;
// Sysnative is the alias that escapes the redirection.
func powerShellPath() (string, error) {
	root, err := windows.GetSystemWindowsDirectory()
	if err != nil {
		return "", fmt.Errorf("GetSystemWindowsDirectory: %w", err)
	}
	wow, err := isWow64()
	if err != nil {
		return "", fmt.Errorf("IsWow64Process: %w", err)
	}
	sys := "System32"
	if wow {
		sys = "Sysnative"
	}
	return filepath.Join(root, sys, `WindowsPowerShell\v1.0\powershell.exe`), nil
}

// isWow64 reports whether this process runs under WOW64 (32-bit on 64-bit
// Windows). x64 emulation on ARM64 is not WOW64 and sees the native System32.
func isWow64() (bool, error) {
	var proc, native uint16
	if err := windows.IsWow64Process2(windows.CurrentProcess(), &proc, &native); err == nil {
		return proc != 0, nil // IMAGE_FILE_MACHINE_UNKNOWN: not WOW64
	}
	var wow bool // IsWow64Process2 needs Windows 10 1709 / Server 2016+
	if err := windows.IsWow64Process(windows.CurrentProcess(), &wow); err != nil {
		return false, err
	}
	return wow, nil
}

// hint replaces Windows' "Access is denied." with what the operator should
// do; errors.Is still sees the original error.
func hint(err error) error {
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return accessDenied{err}
	}
	return err
}

type accessDenied struct{ err error }

func (e accessDenied) Error() string {
	return "access denied: run as SYSTEM or a local administrator"
}
func (e accessDenied) Unwrap() error { return e.err }
