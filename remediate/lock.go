package remediate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the single-instance lock in the state directory.
const LockFile = "remediate.lock"

// Lock takes the state directory's lock: one remediate or revert at a time,
// so two runs can never add the same ACE twice. A lock left by a crashed run
// is not taken over silently: the refusal says which file to delete.
func Lock(stateDir string, now time.Time) (unlock func(), err error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the state directory %s: %w", stateDir, err)
	}
	path := filepath.Join(stateDir, LockFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		held, _ := os.ReadFile(path)
		return nil, fmt.Errorf("another remediate or revert run holds %s (%s); if none is running (a crash), read its journal, then delete the file",
			path, strings.TrimSpace(string(held)))
	}
	if err != nil {
		return nil, fmt.Errorf("take the lock %s: %w", path, err)
	}
	fmt.Fprintf(f, "pid %d since %s", os.Getpid(), now.UTC().Format(time.RFC3339))
	f.Close()
	return func() { os.Remove(path) }, nil
}
