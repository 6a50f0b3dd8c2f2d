package winhost

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// LogFileName is the log file in the state directory: what a run did that
// does not belong in its JSON (phases, timings, event log and log problems).
const LogFileName = "entra8344.log"

// Defaults for OpenStateLog: at most 1 MiB per file, the current file plus
// three rotated ones (entra8344.log.1 is the newest), so the log never takes
// more than about 4 MiB (6 MiB if rotation keeps failing, see LogFile).
const (
	DefaultLogMaxBytes int64 = 1 << 20
	DefaultLogKeep           = 3
)

// ErrLogFull is returned by LogFile.Write when a line was dropped because
// the file reached twice its size limit and could not be rotated.
var ErrLogFull = errors.New("log file is full and could not be rotated; line dropped")

// LogFile is an append-only log file with size-based rotation, safe for
// concurrent use and shared by several processes (every write is one
// append). When a write would take the file past MaxBytes it is rotated
// first: name.(keep-1) -> name.keep, ..., name -> name.1. Rotation can fail
// on Windows while another process has the file open; the file then grows
// up to twice MaxBytes, after which lines are dropped (ErrLogFull) until a
// later rotation succeeds. Nothing here ever panics or blocks for long: a
// log must never break the command that writes it.
type LogFile struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	keep     int
	f        *os.File
}

// OpenLogFile opens (creating) path for appending. maxBytes <= 0 and
// keep < 1 take the defaults.
func OpenLogFile(path string, maxBytes int64, keep int) (*LogFile, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultLogMaxBytes
	}
	if keep < 1 {
		keep = DefaultLogKeep
	}
	l := &LogFile{path: path, maxBytes: maxBytes, keep: keep}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// OpenStateLog opens LogFileName in the state directory (EnsureStateDir)
// with the default limits.
func OpenStateLog() (*LogFile, error) {
	dir, err := EnsureStateDir()
	if err != nil {
		return nil, err
	}
	return OpenLogFile(filepath.Join(dir, LogFileName), DefaultLogMaxBytes, DefaultLogKeep)
}

// Path is the file being written.
func (l *LogFile) Path() string { return l.path }

func (l *LogFile) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	l.f = f
	return nil
}

// Write appends p (one log line) to the file, rotating first when needed.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	// The size on disk, not a counter: other processes append too.
	size := int64(0)
	if fi, err := l.f.Stat(); err == nil {
		size = fi.Size()
	}
	if size > 0 && size+int64(len(p)) > l.maxBytes {
		if err := l.rotate(); err == nil {
			size = 0
		} else if size+int64(len(p)) > 2*l.maxBytes {
			return 0, fmt.Errorf("%w (%v)", ErrLogFull, err)
		}
	}
	return l.f.Write(p)
}

// rotate shifts the old files up by one and starts a new file. Our handle
// is closed before the renames (Windows cannot rename an open file) and a
// file is always reopened, so a failed rotation keeps appending.
func (l *LogFile) rotate() error {
	l.f.Close()
	var err error
	for i := l.keep - 1; i >= 1 && err == nil; i-- {
		from := fmt.Sprintf("%s.%d", l.path, i)
		if _, serr := os.Lstat(from); serr == nil {
			err = os.Rename(from, fmt.Sprintf("%s.%d", l.path, i+1))
		}
	}
	if err == nil {
		err = os.Rename(l.path, l.path+".1")
	}
	if oerr := l.open(); oerr != nil {
		l.f = nil
		return errors.Join(err, oerr)
	}
	return err
}

// Close closes the file; later writes fail with os.ErrClosed.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
