package remediate_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/remediate"
	"entra8344/schema"
)

// TestRemediateTakesOverDeadRunsLock: a run killed mid-way (its process is
// gone) leaves remediate.lock; the next run takes it over, says so in the
// lock step, and carries out the plan.
func TestRemediateTakesOverDeadRunsLock(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(w.stateDir, remediate.LockFile)
	os.WriteFile(lock, []byte(fmt.Sprintf(`{"pid":%d,"since":"%s"}`, dead.Process.Pid, time.Now().UTC().Format(time.RFC3339))), 0o600)
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified {
		t.Fatalf("remediate after a dead run: %s %+v (%s)", res.Status, res.Refusal, res.Summary)
	}
	if msg := messageOf(res, "lock"); !strings.Contains(msg, "took over a stale lock") || !strings.Contains(msg, fmt.Sprint("pid ", dead.Process.Pid)) {
		t.Errorf("lock step %q does not say it took over the dead run's lock", msg)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the lock is still there after the run: %v", err)
	}
}

// TestRemediateRefusesDurationsBeyondMaxRun: the flags' maximums are what
// bound a run (and so the age of a lock that can still be live).
func TestRemediateRefusesDurationsBeyondMaxRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*remediate.Env)
	}{
		{"--wait", func(e *remediate.Env) { e.Wait = remediate.MaxWait + time.Second }},
		{"--wait-export", func(e *remediate.Env) { e.WaitExport = remediate.MaxWaitExport + time.Second }},
		{"--directory-timeout", func(e *remediate.Env) { e.Options.DirectoryTimeout = remediate.MaxDirectoryTimeout + time.Second }},
		{"--wait", func(e *remediate.Env) { e.Wait = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "keycredlink-admin", true)
			_, tok := w.approve()
			res := w.remediateWith(tok, tc.edit)
			if res.Status != schema.ResultRefused || res.Refusal == nil || res.Refusal.Code != "parameter-out-of-range" || !strings.Contains(res.Refusal.Message, tc.name) {
				t.Fatalf("got %s %+v, want refusal parameter-out-of-range naming %s", res.Status, res.Refusal, tc.name)
			}
			if n := len(w.dir.Modifications()); n != 0 {
				t.Errorf("%d modifications", n)
			}
		})
	}
}
