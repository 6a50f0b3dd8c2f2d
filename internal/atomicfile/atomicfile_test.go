package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	busy    = &os.LinkError{Op: "rename", Old: "a", New: "b", Err: errorSharingViolation}
	denied  = &os.LinkError{Op: "rename", Old: "a", New: "b", Err: errorAccessDenied}
	missing = &os.LinkError{Op: "rename", Old: "a", New: "b", Err: fs.ErrNotExist}
)

// TestReplaceRetry drives the retry loop with a scripted rename, as
// Windows answers it while a reader holds the target.
func TestReplaceRetry(t *testing.T) {
	delays := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	tests := []struct {
		name       string
		answers    []error // rename's answers in turn; past the end: nil
		wantCalls  int
		wantSleeps []time.Duration
		wantErr    string
		wantBusy   bool
	}{
		{"first try", nil, 1, nil, "", false},
		{"reader lets go after two tries", []error{busy, denied}, 3, delays[:2], "", false},
		{"reader holds on", []error{busy, busy, denied, busy}, 4, delays, "(tried 4 times over 70ms): another process holds the file open", true},
		{"other error: no retry", []error{missing}, 1, nil, "file does not exist", false},
		{"other error after a retry", []error{busy, missing}, 2, delays[:1], "file does not exist", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var slept []time.Duration
			r := replacer{
				rename: func(from, to string) error {
					calls++
					if calls <= len(tt.answers) {
						return tt.answers[calls-1]
					}
					return nil
				},
				retryable: isSharingError,
				sleep:     func(d time.Duration) { slept = append(slept, d) },
				backoff:   delays,
			}
			err := r.replace(`C:\tmp\x.tmp`, `C:\ProgramData\verdict.json`)
			if calls != tt.wantCalls || !slices.Equal(slept, tt.wantSleeps) {
				t.Errorf("%d renames, slept %v; want %d, %v", calls, slept, tt.wantCalls, tt.wantSleeps)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			var be *BusyError
			if errors.As(err, &be) != tt.wantBusy {
				t.Errorf("BusyError %v, want %v", errors.As(err, &be), tt.wantBusy)
			}
			if tt.wantBusy && (!strings.Contains(err.Error(), `C:\ProgramData\verdict.json`) || !errors.Is(err, errorAccessDenied) && !errors.Is(err, errorSharingViolation)) {
				t.Errorf("%v: does not name the file or lost the cause", err)
			}
		})
	}
}

func TestIsSharingError(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{busy, true},
		{denied, true},
		{syscall.Errno(32), true},
		{missing, false},
		{&os.LinkError{Err: syscall.Errno(2)}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := isSharingError(tt.err); got != tt.want {
			t.Errorf("isSharingError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	// The package's total wait stays short (a run the RMM times).
	var total time.Duration
	for _, d := range backoff {
		total += d
	}
	if total > 2*time.Second || len(backoff) < 5 {
		t.Errorf("back-off %v (%s in all): want at least 5 retries within 2 s", backoff, total)
	}
}

// tempDir is t.TempDir without RemoveAll, whose unlinkat Wine 8.0 answers
// with "Invalid function".
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "atomicfile-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			os.Remove(filepath.Join(dir, e.Name()))
		}
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

func TestWriteFile(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "verdict.json")
	for _, doc := range []string{"first\n", "second\n"} {
		if err := WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != doc {
			t.Errorf("content %q, want %q", b, doc)
		}
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644) {
		t.Errorf("mode %v, %v: want the perm asked for (0644)", fi.Mode(), err)
	}
	// A rename that fails leaves the target as it was and no temp file.
	r := system
	r.rename = func(string, string) error { return missing }
	if err := r.writeFile(path, []byte("third\n"), 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("failed rename: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second\n" {
		t.Errorf("after a failed replace the content is %q", b)
	}
	if err := WriteFile(filepath.Join(dir, "no such dir", "x.json"), []byte("x"), 0o644); err == nil {
		t.Error("write into a missing folder: no error")
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("folder holds %d files, want only verdict.json", len(es))
	}
}
