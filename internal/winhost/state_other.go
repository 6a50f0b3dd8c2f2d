//go:build !windows

package winhost

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// stateDirCheckedAs: how checkPrivateDir below judges a directory.
const stateDirCheckedAs = StateDirPOSIXMode

// stateDir off Windows: $TMPDIR/entra8344-<uid>. Tests point it at their
// own folder with t.Setenv("TMPDIR", t.TempDir()).
func stateDir() (string, error) {
	return statePath(os.TempDir(), fmt.Sprintf("%s-%d", StateDirName, os.Geteuid())), nil
}

// ensurePrivateDir creates dir with mode 0700, or checks an existing one.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create the state directory %s: %w", dir, err)
	}
	return checkPrivateDir(dir)
}

// checkPrivateDir: a real directory (not a symlink), owned by this user,
// with no access for group or others.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return insecure(dir, "is a symbolic link")
	}
	if !fi.IsDir() {
		return insecure(dir, "is not a directory")
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return insecure(dir, "is owned by uid %d, not by this user (%d)", st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return insecure(dir, "has mode %v (group or others have access)", fi.Mode().Perm())
	}
	return nil
}
