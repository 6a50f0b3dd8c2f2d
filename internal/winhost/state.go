package winhost

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The state directory holds what entra8344 keeps between runs on a host:
// the rotated log file (LogFileName), and for remediate the approval key and
// the journal. It is private: on Windows %ProgramData%\entra8344 with a
// protected DACL that grants full control to SYSTEM and Administrators only
// (files created inside inherit it); elsewhere (tests, replay on Linux)
// $TMPDIR/entra8344-<uid> with mode 0700.
//
// Use:
//
//	dir, err := winhost.EnsureStateDir() // creates it, or refuses an insecure one
//	if err != nil { ... }                // errors.Is(err, winhost.ErrStateDirInsecure)
//	f, err := os.OpenFile(filepath.Join(dir, "approval.key"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
//
// EnsureStateDir never loosens or repairs an existing directory: a folder
// that someone else created first (any user may create folders in
// %ProgramData%) or whose DACL grants anyone else access is refused with
// ErrStateDirInsecure, because whoever could write there could have planted
// an approval key. The fix is to delete the folder; the next run recreates it.
const StateDirName = "entra8344"

// ErrStateDirInsecure is wrapped by the errors of EnsureStateDir and
// CheckStateDir when the directory exists but is not private.
var ErrStateDirInsecure = errors.New("the state directory is not private to SYSTEM and Administrators")

// StateDir returns the state directory's path without touching the disk.
func StateDir() (string, error) { return stateDir() }

// EnsureStateDir returns the state directory, creating it private when it
// is missing; an existing one must already be private (see StateDirName).
func EnsureStateDir() (string, error) {
	dir, err := stateDir()
	if err != nil {
		return "", err
	}
	if err := ensurePrivateDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// EnsurePrivateDir applies the state directory's rules to another folder
// (an explicit --state-dir): it is created private when missing, and an
// existing one must already be private (ErrStateDirInsecure otherwise).
func EnsurePrivateDir(dir string) error {
	if dir == "" {
		return errors.New("no state directory given")
	}
	return ensurePrivateDir(dir)
}

// StateDirStatus is what CheckStateDir found (doctor prints it).
type StateDirStatus struct {
	Path string `json:"path"`
	// CheckedAs is what Secure was judged on: StateDirWindowsDACL (owner
	// and DACL) or StateDirPOSIXMode (owner uid and mode, off Windows,
	// which says nothing about SYSTEM or Administrators).
	CheckedAs string `json:"checked_as"`
	Exists    *bool  `json:"exists"`
	// Secure: owner SYSTEM or Administrators (the current user off Windows)
	// and no access for anyone else; nil when it could not be checked.
	Secure *bool `json:"secure"`
	// Writable: a probe file could be created and removed; nil when not
	// tried (the directory is missing or not secure).
	Writable *bool  `json:"writable"`
	Problem  string `json:"problem"`
}

// CheckStateDir inspects the state directory without creating or changing
// it. When it exists and is private, it proves that it is writable by
// creating and removing one empty probe file.
func CheckStateDir() StateDirStatus {
	dir, err := stateDir()
	if err != nil {
		return StateDirStatus{Problem: err.Error()}
	}
	return checkStateDirAt(dir)
}

// How a state directory's privacy is judged (StateDirStatus.CheckedAs).
const (
	StateDirWindowsDACL = "windows_dacl"
	StateDirPOSIXMode   = "posix_mode"
)

func checkStateDirAt(dir string) StateDirStatus {
	st := StateDirStatus{Path: dir, CheckedAs: stateDirCheckedAs}
	yes, no := true, false
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		st.Exists = &no
		st.Problem = "does not exist yet; detect creates it on its first run (as SYSTEM or an administrator)"
		return st
	} else if err != nil {
		st.Problem = err.Error()
		return st
	}
	st.Exists = &yes
	if err := checkPrivateDir(dir); err != nil {
		if errors.Is(err, ErrStateDirInsecure) {
			st.Secure = &no
		}
		st.Problem = err.Error()
		return st
	}
	st.Secure = &yes
	if err := probeWritable(dir); err != nil {
		st.Writable = &no
		st.Problem = err.Error()
		return st
	}
	st.Writable = &yes
	return st
}

// probeWritable creates and removes an empty file in dir.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*.tmp")
	if err != nil {
		return fmt.Errorf("state directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	cerr := f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("state directory %s: remove probe file: %w", dir, err)
	}
	return cerr
}

// insecure is an ErrStateDirInsecure with the reason and the fix.
func insecure(dir, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s; delete the folder (entra8344 recreates it privately on its next run)",
		ErrStateDirInsecure, dir, fmt.Sprintf(format, args...))
}

// Well-known SIDs the private DACL may name.
const (
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
)

// daclEntry is one ACE of a directory's DACL, as judgePrivateDACL needs it.
type daclEntry struct {
	Allow bool // an access-allowed ACE (deny ACEs only take access away)
	SID   string
	Mask  uint32
}

// judgePrivateDACL decides whether a Windows directory is private: owned by
// SYSTEM or Administrators, DACL protected from inheritance, and no allow
// ACE for anyone but those two. Extra deny ACEs are fine.
func judgePrivateDACL(dir, owner string, protected bool, aces []daclEntry) error {
	if owner != sidSystem && owner != sidAdministrators {
		return insecure(dir, "is owned by %s, not by SYSTEM or Administrators (someone else created it)", owner)
	}
	if !protected {
		return insecure(dir, "inherits permissions from its parent (the DACL is not protected)")
	}
	var others []string
	for _, a := range aces {
		if a.Allow && a.Mask != 0 && a.SID != sidSystem && a.SID != sidAdministrators {
			others = append(others, a.SID)
		}
	}
	if len(others) > 0 {
		return insecure(dir, "grants access to %s", strings.Join(others, ", "))
	}
	return nil
}

// statePath joins the state directory's name onto a root (Windows:
// %ProgramData%; elsewhere the temp directory, with the user id).
func statePath(root, name string) string { return filepath.Join(root, name) }
