// Package atomicfile replaces a file by writing a temporary file beside it
// and renaming it over the target, so a reader sees the old document or
// the new one, never half of one. It is the one place that decides what a
// failed rename means: on Windows the rename fails with access denied or a
// sharing violation while another process holds the target open without
// FILE_SHARE_DELETE (an RMM monitor reading verdict.json, an antivirus
// scan), which usually lasts milliseconds, so it is retried with a short
// bounded back-off and then reported with who may hold the file.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// backoff is the wait before each retry: about 1.5 s in all, short enough
// for a run that an RMM times, long enough for a scan or a monitor's read.
var backoff = []time.Duration{
	10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond,
	160 * time.Millisecond, 320 * time.Millisecond, 450 * time.Millisecond, 450 * time.Millisecond,
}

// Windows' ERROR_ACCESS_DENIED and ERROR_SHARING_VIOLATION.
const (
	errorAccessDenied     = syscall.Errno(5)
	errorSharingViolation = syscall.Errno(32)
)

// isSharingError is whether err is one of the two Windows errors a rename
// gets while another handle lacks FILE_SHARE_DELETE. Only Windows consults
// it (retryable): on other systems these numbers mean other things.
func isSharingError(err error) bool {
	return errors.Is(err, errorAccessDenied) || errors.Is(err, errorSharingViolation)
}

// replacer is Replace's machinery, with the OS calls injectable for tests.
type replacer struct {
	rename    func(from, to string) error
	retryable func(error) bool
	sleep     func(time.Duration)
	backoff   []time.Duration
}

var system = replacer{rename: os.Rename, retryable: retryable, sleep: time.Sleep, backoff: backoff}

// Replace renames from over to, retrying as the package comment says.
func Replace(from, to string) error { return system.replace(from, to) }

func (r replacer) replace(from, to string) error {
	err := r.rename(from, to)
	if err == nil || !r.retryable(err) {
		return err
	}
	var waited time.Duration
	for _, d := range r.backoff {
		r.sleep(d)
		waited += d
		if err = r.rename(from, to); err == nil || !r.retryable(err) {
			return err
		}
	}
	return &BusyError{Path: to, Tries: len(r.backoff) + 1, Waited: waited, Err: err}
}

// BusyError is a replace that kept failing because another process holds
// the target open.
type BusyError struct {
	Path   string
	Tries  int
	Waited time.Duration
	Err    error
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("replace %s: %v (tried %d times over %s): another process holds the file open without delete sharing, "+
		"typically an RMM monitor or script reading it or an antivirus scan; close it or exclude the file from scanning, then run again",
		e.Path, e.Err, e.Tries, e.Waited.Round(time.Millisecond))
}

func (e *BusyError) Unwrap() error { return e.Err }

// WriteFile writes data to a new temporary file in path's folder, gives it
// perm, and replaces path with it. On failure path is unchanged and the
// temporary file is gone.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return system.writeFile(path, data, perm)
}

func (r replacer) writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".entra8344-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	merr := tmp.Chmod(perm)
	if cerr := tmp.Close(); werr != nil || merr != nil || cerr != nil {
		return errors.Join(werr, merr, cerr)
	}
	return r.replace(tmp.Name(), path)
}
