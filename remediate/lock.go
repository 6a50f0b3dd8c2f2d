package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockFile is the single-instance lock in the state directory.
const LockFile = "remediate.lock"

// The flags' maximums, and from them the longest a remediate or revert run
// can last: Run and Revert end their context after MaxRun, so a lock older
// than that cannot belong to a live run (see Lock).
const (
	MaxWait             = 2 * time.Hour    // --wait
	MaxWaitExport       = 4 * time.Hour    // --wait-export
	MaxDirectoryTimeout = 30 * time.Minute // --directory-timeout, per forest
	// runOverhead is everything else: the fresh detect (collector,
	// csexport, every forest up to MaxDirectoryTimeout), the delta sync
	// with its retries, the writes and the journal.
	runOverhead = 2 * time.Hour
	MaxRun      = MaxWait + MaxWaitExport + runOverhead
)

// lockInfo is the lock file's content: who holds it and since when. Start
// is the holder's process creation time, so that a new process that reuses
// the PID is not mistaken for the holder (zero where the platform cannot
// tell).
type lockInfo struct {
	PID   int       `json:"pid"`
	Start time.Time `json:"process_start"`
	Since time.Time `json:"since"`
}

func (l lockInfo) String() string {
	s := fmt.Sprintf("pid %d since %s", l.PID, l.Since.UTC().Format(time.RFC3339))
	if !l.Start.IsZero() {
		s += fmt.Sprintf(" (process started %s)", l.Start.UTC().Format(time.RFC3339Nano))
	}
	return s
}

// processAlive reports whether pid is still the process that started at
// start (zero: any process with that pid); see lock_windows.go and
// lock_other.go. It is a variable for the tests.
var processAlive = processAliveOS

// Lock takes the state directory's lock: one remediate or revert at a time,
// so two runs can never add the same ACE twice. A lock whose holder is gone
// (a run killed by the RMM) or that is older than MaxRun is taken over, and
// tookOver says so for the result; any other existing lock refuses, naming
// the file.
func Lock(stateDir string, now time.Time) (unlock func(), tookOver string, err error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create the state directory %s: %w", stateDir, err)
	}
	path := filepath.Join(stateDir, LockFile)
	me := lockInfo{PID: os.Getpid(), Start: processStartOS(), Since: now.UTC()}
	unlock, err = create(path, me)
	if !errors.Is(err, fs.ErrExist) {
		return unlock, "", err
	}
	held, err := os.ReadFile(path)
	st, serr := os.Stat(path)
	if err != nil || serr != nil {
		return nil, "", fmt.Errorf("another remediate or revert run holds %s, and it cannot be read (%v): if none is running, delete the file", path, errors.Join(err, serr))
	}
	who, why, stale := staleLock(held, st.ModTime(), now)
	if !stale {
		return nil, "", fmt.Errorf("another remediate or revert run holds %s (%s); if none is running, read its journal, then delete the file",
			path, who)
	}
	// Move the stale lock aside rather than deleting it: if another run took
	// it over between our read and now, what we moved is not what we judged,
	// so it goes back and we refuse.
	aside := path + ".stale." + strconv.Itoa(me.PID)
	if err := os.Rename(path, aside); err != nil {
		return nil, "", fmt.Errorf("take over the stale lock %s (%s): %w", path, why, err)
	}
	if moved, _ := os.ReadFile(aside); string(moved) != string(held) {
		os.Rename(aside, path)
		return nil, "", fmt.Errorf("another remediate or revert run took over the stale lock %s at the same time; run again later", path)
	}
	os.Remove(aside)
	if unlock, err = create(path, me); err != nil {
		return nil, "", fmt.Errorf("take over the stale lock %s: %w", path, err)
	}
	return unlock, fmt.Sprintf("took over a stale lock %s: %s", path, why), nil
}

// create makes the lock file exclusively (fs.ErrExist if it is there).
func create(path string, me lockInfo) (func(), error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("take the lock %s: %w", path, err)
	}
	b, _ := json.Marshal(me)
	_, werr := f.Write(b)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write the lock %s: %w", path, werr)
	}
	return func() { os.Remove(path) }, nil
}

// staleLock decides whether an existing lock may be taken over, and why.
// The age is the file's modification time, not its content: a lock file
// that cannot be parsed (an older version's, or damaged) is stale only by
// age.
func staleLock(held []byte, mtime, now time.Time) (who, why string, stale bool) {
	var l lockInfo
	parsed := json.Unmarshal(held, &l) == nil && l.PID > 0
	who = strconv.QuoteToGraphic(strings.TrimSpace(string(held)))
	if parsed {
		who = l.String()
		if alive, err := processAlive(l.PID, l.Start); err == nil && !alive {
			return who, fmt.Sprintf("its run (%s) is no longer running", who), true
		}
	}
	if age := now.Sub(mtime); age > MaxRun {
		return who, fmt.Sprintf("it (%s) is %s old, older than the longest possible run (%s)", who, age.Round(time.Minute), MaxRun), true
	}
	return who, "", false
}
