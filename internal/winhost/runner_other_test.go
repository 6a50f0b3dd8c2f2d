//go:build !windows

package winhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processGone reports whether pid has exited within wait. A zombie counts as
// gone: killed grandchildren are re-parented to PID 1, which in a container
// may reap them late.
func processGone(pid int, wait time.Duration) bool {
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			// State is the field after the parenthesised command name.
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && len(b) > i+2 && (b[i+2] == 'Z' || b[i+2] == 'X') {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func killPid(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

// The same semantics with an ordinary shell tree: sh backgrounds a sleep (the
// grandchild, which inherits sh's stdout pipe) and waits for it.
func TestRunShellTreeKilled(t *testing.T) {
	pidfile := filepath.Join(tempDir(t), "sleep.pid")
	c := Command{
		Path:    "/bin/sh",
		Args:    []string{"-c", `sleep 300 & echo $! > "$PIDFILE"; echo started; wait`},
		Env:     []string{"PIDFILE=" + pidfile},
		Timeout: 500 * time.Millisecond,
	}
	start := time.Now()
	res, err := NewRunner().Run(context.Background(), c)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run: err = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v; the sleep holding stdout must have been killed with sh", took)
	}
	if strings.TrimSpace(string(res.Stdout)) != "started" {
		t.Errorf("stdout = %q, want %q", res.Stdout, "started\n")
	}
	requireGone(t, "backgrounded sleep", readPid(t, pidfile))
}

func TestRunShellExitCodeAndStderr(t *testing.T) {
	res, err := NewRunner().Run(context.Background(), Command{
		Path: "/bin/sh", Args: []string{"-c", `cat; echo oops >&2; exit 7`}, Stdin: []byte("in"),
	})
	if err != nil || res.ExitCode != 7 || string(res.Stdout) != "in" || string(res.Stderr) != "oops\n" {
		t.Fatalf("Run = %+v, %v; want exit 7, stdout %q, stderr %q", res, err, "in", "oops\n")
	}
}

// TestChildNeverSeesTheApproval: PowerShell and csexport.exe run without
// the approval key, token and plan, whatever case the names are in; the
// rest of the environment passes through.
func TestChildNeverSeesTheApproval(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", "k-secret")
	t.Setenv("ENTRA8344_APPROVAL_TOKEN", "t-secret")
	t.Setenv("ENTRA8344_APPROVAL_PLAN", "p-secret")
	t.Setenv("Entra8344_Approval_Key", "k2-secret")
	t.Setenv("ENTRA8344_KEEP", "kept")
	res, err := NewRunner().Run(context.Background(), Command{Path: "/usr/bin/env"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.Stdout), "secret") {
		t.Errorf("the child saw the approval:\n%s", res.Stdout)
	}
	if !strings.Contains(string(res.Stdout), "ENTRA8344_KEEP=kept") {
		t.Errorf("the child lost the rest of the environment:\n%s", res.Stdout)
	}
}
