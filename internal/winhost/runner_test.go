package winhost

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// treeTimeout leaves the helper child time to start its grandchild before
// the kill: a Go exe starts in ~10 ms natively, up to ~0.5 s under Wine.
func treeTimeout() time.Duration {
	if runtime.GOOS == "windows" {
		return 2 * time.Second
	}
	return time.Second
}

func TestRunRoundTrip(t *testing.T) {
	t.Setenv("WINHOST_TEST_OVERRIDE", "from parent")
	c := helperCommand(t, "echo",
		"WINHOST_TEST_VAR=bar baz ü",
		"WINHOST_TEST_OVERRIDE=from command",
		"WINHOST_TEST_EXIT=3")
	c.Args = []string{"plain", "with space", `q"uote`, "ü"}
	c.Stdin = []byte("line1\r\nline2 ü\n")
	c.Timeout = time.Minute

	res, err := NewRunner().Run(context.Background(), c)
	if err != nil {
		t.Fatalf("Run: %v (a non-zero exit must not be an error)", err)
	}
	if res.ExitCode != 3 {
		t.Errorf("ExitCode = %d, want 3", res.ExitCode)
	}
	want := "args=plain|with space|q\"uote|ü\n" +
		"stdin=line1\r\nline2 ü\n\n" +
		"var=bar baz ü\n" +
		"override=from command\n"
	if got := normalizeNewlines(string(res.Stdout)); got != normalizeNewlines(want) {
		t.Errorf("stdout:\n got %q\nwant %q", res.Stdout, want)
	}
	if got := normalizeNewlines(string(res.Stderr)); got != "to stderr\n" {
		t.Errorf("stderr = %q, want %q", res.Stderr, "to stderr\n")
	}
	if res.Truncated || len(res.Notes) != 0 || res.Duration <= 0 {
		t.Errorf("Truncated=%v Notes=%q Duration=%v, want false, none, > 0", res.Truncated, res.Notes, res.Duration)
	}
}

// normalizeNewlines keeps the comparison about content: the helper writes
// "\n", which a Windows console layer could in principle expand.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func TestRunNilStdinIsEmpty(t *testing.T) {
	// The child must see EOF at once, never the RMM agent's stdin.
	c := helperCommand(t, "echo")
	c.Timeout = time.Minute
	res, err := NewRunner().Run(context.Background(), c)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run: err=%v exit=%d", err, res.ExitCode)
	}
	if !strings.Contains(string(res.Stdout), "stdin=\n") {
		t.Errorf("stdout = %q, want an empty stdin", res.Stdout)
	}
}

func TestRunOutputCap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bytes     int
		max       int64
		wantLen   int
		truncated bool
	}{
		{"over the cap", 300_000, 1000, 1000, true},
		{"exactly the cap", 8192, 8192, 8192, false},
		{"default cap", 100_000, 0, 100_000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := helperCommand(t, "flood", "WINHOST_TEST_BYTES="+strconv.Itoa(tc.bytes))
			c.MaxOutput = tc.max
			c.Timeout = time.Minute
			res, err := NewRunner().Run(context.Background(), c)
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("Run: err=%v exit=%d (the child must not die of a full pipe)", err, res.ExitCode)
			}
			if len(res.Stdout) != tc.wantLen || len(res.Stderr) != tc.wantLen || res.Truncated != tc.truncated {
				t.Errorf("len(stdout)=%d len(stderr)=%d truncated=%v, want %d, %d, %v",
					len(res.Stdout), len(res.Stderr), res.Truncated, tc.wantLen, tc.wantLen, tc.truncated)
			}
		})
	}
}

func TestRunRefusesBadCommands(t *testing.T) {
	bad := []Command{
		{Path: ""},
		{Path: "powershell.exe"},
		{Path: filepath.Join("bin", "sh")},
		{Path: "." + string(filepath.Separator) + "tool"},
	}
	if runtime.GOOS == "windows" {
		// Rooted but drive-relative: depends on the current drive.
		bad = append(bad, Command{Path: `\Windows\System32\cmd.exe`}, Command{Path: `C:cmd.exe`})
	}
	for _, c := range bad {
		_, err := NewRunner().Run(context.Background(), c)
		if err == nil || !(strings.Contains(err.Error(), "not absolute") || strings.Contains(err.Error(), "empty")) {
			t.Errorf("Run(%q) = %v, want a 'not absolute' error", c.Path, err)
		}
	}
	ok := helperCommand(t, "echo")
	ok.Env = append(ok.Env, "NOEQUALS")
	if _, err := NewRunner().Run(context.Background(), ok); err == nil || !strings.Contains(err.Error(), "KEY=VALUE") {
		t.Errorf("env without '=': err = %v, want a KEY=VALUE error", err)
	}
	missing := Command{Path: filepath.Join(tempDir(t), "does-not-exist.exe")}
	_, err := NewRunner().Run(context.Background(), missing)
	if err == nil || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "start ") {
		t.Errorf("missing program: err = %v, want a start error", err)
	}
}

func TestRunTimeoutKillsTree(t *testing.T) {
	dir := tempDir(t)
	childPid, grandPid := filepath.Join(dir, "child.pid"), filepath.Join(dir, "grandchild.pid")
	c := helperCommand(t, "tree", "WINHOST_TEST_CHILD_PIDFILE="+childPid, "WINHOST_TEST_PIDFILE="+grandPid)
	c.Timeout = treeTimeout()

	res, err := NewRunner().Run(context.Background(), c)
	var te *TimeoutError
	if !errors.Is(err, ErrTimeout) || !errors.As(err, &te) {
		t.Fatalf("Run: err = %v, want a *TimeoutError wrapping ErrTimeout", err)
	}
	if te.Timeout != c.Timeout || te.Path != c.Path {
		t.Errorf("TimeoutError = %+v, want Path %s Timeout %s", te, c.Path, c.Timeout)
	}
	if res.ExitCode != -1 {
		t.Errorf("ExitCode = %d, want -1 for a killed run", res.ExitCode)
	}
	if !strings.Contains(string(res.Stdout), "grandchild started") {
		t.Errorf("stdout = %q: the output before the kill must be kept", res.Stdout)
	}
	// Killing the tree closes the pipes at once; WaitDelay must not be needed.
	if limit := c.Timeout + defaultWaitDelay; res.Duration >= limit {
		t.Errorf("Duration = %v, want < %v", res.Duration, limit)
	}
	requireGone(t, "child", readPid(t, childPid))
	requireGone(t, "grandchild", readPid(t, grandPid))
}

func TestRunContextDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	c := helperCommand(t, "sleep")
	c.Timeout = time.Hour // the earlier context deadline wins
	_, err := NewRunner().Run(ctx, c)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Timeout > 700*time.Millisecond || te.Timeout < 500*time.Millisecond {
		t.Fatalf("Run: err = %v, want a *TimeoutError of about 700ms", err)
	}
}

func TestRunContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	c := helperCommand(t, "sleep")
	c.Timeout = time.Hour
	res, err := NewRunner().Run(ctx, c)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Run: err = %v, want context.Canceled and not ErrTimeout", err)
	}
	if res.Duration > 30*time.Second {
		t.Errorf("Duration = %v: cancellation did not kill the child", res.Duration)
	}
	// Already cancelled: nothing starts.
	if _, err := NewRunner().Run(ctx, c); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "not started") {
		t.Errorf("Run with a done context: err = %v, want 'not started'", err)
	}
}

func TestRunOrphanHoldingPipes(t *testing.T) {
	// The child exits 0 but leaves a grandchild that holds stdout open: Run
	// must return after WaitDelay with the child's exit code, and the
	// grandchild must be killed.
	dir := tempDir(t)
	grandPid := filepath.Join(dir, "grandchild.pid")
	c := helperCommand(t, "orphan", "WINHOST_TEST_PIDFILE="+grandPid)
	c.Timeout = time.Minute
	r := &liveRunner{waitDelay: 300 * time.Millisecond}
	res, err := r.Run(context.Background(), c)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run: err=%v exit=%d, want success", err, res.ExitCode)
	}
	if res.Duration > 20*time.Second {
		t.Errorf("Duration = %v: the grandchild's pipe held Run", res.Duration)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "kept its output open") {
		t.Errorf("Notes = %q, want one note about the output kept open", res.Notes)
	}
	requireGone(t, "grandchild", readPid(t, grandPid))
}

func TestCappedBuffer(t *testing.T) {
	b := &cappedBuffer{max: 5}
	for _, s := range []string{"ab", "cd", "efg", "h"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	if string(b.Bytes()) != "abcde" || !b.truncated {
		t.Errorf("got %q truncated=%v, want %q true", b.Bytes(), b.truncated, "abcde")
	}
	if (&cappedBuffer{max: 1}).Bytes() != nil {
		t.Error("an empty buffer must read as nil")
	}
}
