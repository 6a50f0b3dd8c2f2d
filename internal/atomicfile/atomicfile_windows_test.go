package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// holderEnv makes the test binary a second process that opens the named
// file for reading without FILE_SHARE_DELETE (as a monitor reading the
// verdict does), prints "open", and holds it until its stdin closes.
const holderEnv = "ENTRA8344_ATOMICFILE_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holderEnv); path != "" {
		p, _ := windows.UTF16PtrFromString(path)
		h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil,
			windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
		if err != nil {
			fmt.Println("open failed:", err)
			os.Exit(1)
		}
		fmt.Println("open")
		io.Copy(io.Discard, os.Stdin)
		windows.CloseHandle(h)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hold starts the holder on path; closing the returned writer releases it.
func hold(t *testing.T, path string) io.WriteCloser {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "open\n" && line != "open\r\n" {
		t.Fatalf("holder: %q", line)
	}
	return stdin
}

// TestReplaceWhileHeld: a second process holds the target open without
// delete sharing. A plain rename fails (Windows' sharing rule; the test
// skips where the platform does not enforce it); Replace waits it out when
// the holder lets go within the back-off, and otherwise names the file.
func TestReplaceWhileHeld(t *testing.T) {
	dir := tempDir(t)
	target := filepath.Join(dir, "verdict.json")
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("verdict.json", "old")

	release := hold(t, target) // registered after tempDir: released before the removal
	tmp := write("a.tmp", "new")
	err := os.Rename(tmp, target)
	if err == nil {
		t.Skip("this platform renamed over a file held without FILE_SHARE_DELETE: the sharing rule is not reproduced")
	}
	if !isSharingError(err) {
		t.Fatalf("plain rename while held: %v, want access denied or a sharing violation", err)
	}
	t.Logf("plain rename while held: %v", err)

	start := time.Now()
	err = Replace(tmp, target)
	var be *BusyError
	if !errors.As(err, &be) || be.Path != target {
		t.Fatalf("Replace while held throughout: %v, want a BusyError naming %s", err, target)
	}
	t.Logf("held throughout (%s): %v", time.Since(start).Round(time.Millisecond), err)

	go func() { time.Sleep(150 * time.Millisecond); release.Close() }()
	if err := Replace(tmp, target); err != nil {
		t.Fatalf("Replace with the reader letting go after 150 ms: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("content %q, want new", b)
	}
}
