package winhost

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// processGone reports whether pid has exited within wait.
func processGone(pid int, wait time.Duration) bool {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return true // ERROR_INVALID_PARAMETER: no such process any more
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, uint32(wait/time.Millisecond))
	return err == nil && ev == windows.WAIT_OBJECT_0
}

func killPid(pid int) {
	if h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, uint32(pid)); err == nil {
		windows.TerminateProcess(h, 1)
		windows.CloseHandle(h)
	}
}

// When Windows refuses the Job Object, the run still works, the child is
// still killed on timeout, and the caller is told about the weaker guarantee.
func TestRunJobAssignFallback(t *testing.T) {
	saved := assignToJob
	assignToJob = func(windows.Handle, windows.Handle) error { return windows.ERROR_ACCESS_DENIED }
	defer func() { assignToJob = saved }()

	res, err := NewRunner().Run(context.Background(), helperCommand(t, "echo", "WINHOST_TEST_EXIT=4"))
	if err != nil || res.ExitCode != 4 {
		t.Fatalf("Run without a job: err=%v exit=%d, want exit 4", err, res.ExitCode)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "Job Object") {
		t.Errorf("Notes = %q, want one note about the missing Job Object", res.Notes)
	}

	c := helperCommand(t, "sleep")
	c.Timeout = 500 * time.Millisecond
	res, err = NewRunner().Run(context.Background(), c)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run: err = %v, want ErrTimeout", err)
	}
	if res.Duration > 10*time.Second || len(res.Notes) != 1 {
		t.Errorf("Duration=%v Notes=%q: the child was not killed, or the note is missing", res.Duration, res.Notes)
	}
}
