package winhost

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as the child program (the os/exec TestHelperProcess
// pattern): with helperEnv set it runs one helper mode instead of the tests.
// This needs no compiler at test time, so the same tests run natively on
// Linux and as a Windows test binary under Wine (go test -exec wine).
const helperEnv = "ENTRA8344_WINHOST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	os.Exit(m.Run())
}

func helperMain(mode string) int {
	switch mode {
	case "echo":
		// Everything the runner passes in, echoed back in a fixed order.
		in, _ := io.ReadAll(os.Stdin)
		fmt.Printf("args=%s\n", strings.Join(os.Args[1:], "|"))
		fmt.Printf("stdin=%s\n", in)
		fmt.Printf("var=%s\n", os.Getenv("WINHOST_TEST_VAR"))
		fmt.Printf("override=%s\n", os.Getenv("WINHOST_TEST_OVERRIDE"))
		fmt.Fprint(os.Stderr, "to stderr\n")
		code, _ := strconv.Atoi(os.Getenv("WINHOST_TEST_EXIT"))
		return code
	case "env":
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
		return 0
	case "flood":
		n, _ := strconv.Atoi(os.Getenv("WINHOST_TEST_BYTES"))
		chunk := []byte(strings.Repeat("x", 4096))
		for w := 0; w < n; w += len(chunk) {
			c := chunk[:min(len(chunk), n-w)]
			os.Stdout.Write(c)
			os.Stderr.Write(c)
		}
		return 0
	case "sleep":
		writePid(os.Getenv("WINHOST_TEST_PIDFILE"))
		time.Sleep(5 * time.Minute)
		return 0
	case "tree", "orphan":
		// Start a grandchild that inherits our stdout (so it holds the
		// runner's pipe), wait until it wrote its pid, then either sleep
		// until killed (tree) or exit at once leaving it behind (orphan).
		writePid(os.Getenv("WINHOST_TEST_CHILD_PIDFILE"))
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 97
		}
		gc := exec.Command(exe)
		gc.Env = append(os.Environ(), helperEnv+"=sleep")
		gc.Stdout, gc.Stderr = os.Stdout, os.Stderr
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "helper: start grandchild:", err)
			return 98
		}
		pidfile := os.Getenv("WINHOST_TEST_PIDFILE")
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(pidfile); err == nil {
				break
			}
		}
		fmt.Println("grandchild started")
		if mode == "orphan" {
			return 0
		}
		time.Sleep(5 * time.Minute)
		return 0
	}
	fmt.Fprintf(os.Stderr, "helper: unknown mode %q\n", mode)
	return 99
}

// writePid writes this process's pid atomically, so a reader never sees a
// half-written file.
func writePid(path string) {
	if path == "" {
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o644); err == nil {
		os.Rename(tmp, path)
	}
}

// helperCommand is a Command that runs this test binary in the given mode.
func helperCommand(t *testing.T, mode string, env ...string) Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return Command{Path: exe, Env: append([]string{helperEnv + "=" + mode}, env...)}
}

// readPid waits briefly for a pid file written by a helper.
func readPid(t *testing.T, path string) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("pid file %s: %v", path, err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid file %s never appeared: the helper did not start in time", path)
		}
	}
}

// requireGone fails unless pid has exited (within a grace period), and kills
// it if it survived so a failing test leaves no stray process.
func requireGone(t *testing.T, what string, pid int) {
	t.Helper()
	if !processGone(pid, 5*time.Second) {
		killPid(pid)
		t.Errorf("%s (pid %d) is still running after Run returned", what, pid)
	}
}

// tempDir is t.TempDir without os.RemoveAll: Go 1.26's RemoveAll on Windows
// deletes through directory handles in a way Wine 8.0 answers with "Invalid
// function", while a plain os.Remove works there. The tests only create
// files directly in the directory.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "winhost-test-")
	if err != nil {
		t.Fatalf("MkdirTemp: %v", err)
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.Remove(filepath.Join(dir, e.Name()))
		}
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove temp dir: %v", err)
		}
	})
	return dir
}
