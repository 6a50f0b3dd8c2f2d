package remediate

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockTakeover: a lock whose holder is gone, or that is older than the
// longest possible run, is taken over and the takeover is reported; a live,
// recent or unreadable lock still refuses.
func TestLockTakeover(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	record := func(pid int) string {
		b, _ := json.Marshal(lockInfo{PID: pid, Start: now.Add(-time.Hour), Since: now.Add(-time.Minute)})
		return string(b)
	}
	for _, tc := range []struct {
		name     string
		content  string // "" = no lock file
		age      time.Duration
		alive    bool
		wantTake bool
		wantMsg  string // in tookOver or the error
	}{
		{"no lock", "", 0, true, true, ""},
		{"live holder", record(4242), time.Minute, true, false, "pid 4242"},
		{"holder gone", record(4242), time.Minute, false, true, "no longer running"},
		{"live holder older than any run", record(4242), MaxRun + time.Minute, true, true, "older than the longest possible run"},
		{"live holder just within the longest run", record(4242), MaxRun - time.Minute, true, false, "holds"},
		{"unparseable, recent", "pid 1 since yesterday", time.Minute, false, false, "pid 1 since yesterday"},
		{"unparseable, old", "pid 1 since yesterday", MaxRun + time.Hour, false, true, "older than the longest possible run"},
		{"pid 0", `{"pid":0}`, time.Minute, false, false, "holds"},
		{"binary garbage, old", "\x00\xff\xfe", MaxRun + time.Hour, true, true, "older than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, LockFile)
			if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
				mt := now.Add(-tc.age)
				if err := os.Chtimes(path, mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			defer func(f func(int, time.Time) (bool, error)) { processAlive = f }(processAlive)
			var asked int
			processAlive = func(pid int, start time.Time) (bool, error) {
				asked = pid
				if !start.Equal(now.Add(-time.Hour)) {
					t.Errorf("asked about pid %d started %s, want the recorded start", pid, start)
				}
				return tc.alive, nil
			}
			unlock, tookOver, err := Lock(dir, now)
			if !tc.wantTake {
				if err == nil || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), path) {
					t.Fatalf("Lock: %v, want a refusal naming %s and %q", err, path, tc.wantMsg)
				}
				if got, _ := os.ReadFile(path); string(got) != tc.content {
					t.Errorf("the refused lock changed: %q", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lock: %v", err)
			}
			if !strings.Contains(tookOver, tc.wantMsg) || (tc.content == "") != (tookOver == "") {
				t.Errorf("tookOver %q, want it to mention %q", tookOver, tc.wantMsg)
			}
			if tc.content != "" && strings.HasPrefix(tc.content, "{") && asked != 4242 {
				t.Errorf("the holder's process was not checked (asked about %d)", asked)
			}
			var l lockInfo
			b, _ := os.ReadFile(path)
			if err := json.Unmarshal(b, &l); err != nil || l.PID != os.Getpid() || !l.Since.Equal(now) {
				t.Errorf("lock now holds %q (%v), want this process since %s", b, err, now)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("state directory holds %d files, want only the lock", len(entries))
			}
			unlock()
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("unlock left the lock: %v", err)
			}
		})
	}
}

// TestProcessAliveOS: this process runs; a child that has exited does not.
func TestProcessAliveOS(t *testing.T) {
	if alive, err := processAliveOS(os.Getpid(), processStartOS()); !alive || err != nil {
		t.Errorf("this process: alive %v, %v", alive, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if alive, err := processAliveOS(cmd.Process.Pid, time.Time{}); alive || err != nil {
		t.Errorf("exited child %d: alive %v, %v", cmd.Process.Pid, alive, err)
	}
	if alive, _ := processAliveOS(os.Getpid(), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)); alive && !processStartOS().IsZero() {
		t.Errorf("this PID with another start time (PID reuse) counts as alive")
	}
}
