package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/internal/winhost"
	"entra8344/remediate"
)

// TestHostParts: for each mode (live, replay, replay as the DC, record) and
// command, what each part of the host is: prober, runner, directory,
// approval key and its source (a replay never uses the live MSP-wide key,
// even when the environment sets one), state directory, clock, events,
// export polling and the protection wait.
func TestHostParts(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the default state directory
	sessions := t.TempDir()
	t.Setenv(sessionsEnv, sessions) // the replays' sessions, whose state directories they use
	msp := bytes.Repeat([]byte{0x42}, 32)
	t.Setenv("ENTRA8344_APPROVAL_KEY", hex.EncodeToString(msp))
	t.Setenv("ENTRA8344_STATE_DIR", "")
	explicit := filepath.Join(t.TempDir(), "state")

	// The live directory is the platform's: Windows' LDAP client, or none
	// with its reason (what newLiveDialer says here).
	liveDialer, liveWhy := newLiveDialer()
	liveDir, recDir := "<nil>", "<nil>"
	if liveDialer != nil {
		liveDir, recDir = "cli.liveDirectory", "*replay.recordedDirectory"
	}

	type want struct {
		mode                 Mode
		name                 string
		prober, runner, dir  string // the parts' types (%T)
		noDirectory          string // a substring of NoDirectoryReason ("" = none)
		keySource            string
		key                  []byte // nil: the replay key of name
		stateDir             string
		replayClock, events  bool
		pollExport, protWait time.Duration // protWait for an asked 10m
		computer             string        // the prober's computer name ("" = not checked)
	}
	for _, c := range []struct {
		row  string
		spec HostSpec
		want want
		err  string // NewHost fails with this
	}{
		{row: "detect live", spec: HostSpec{Command: "detect"},
			want: want{mode: Live, prober: "winhost.hostProber", runner: "*winhost.liveRunner", dir: liveDir, noDirectory: liveWhy,
				keySource: "msp", key: msp, events: true, pollExport: 30 * time.Second, protWait: 10 * time.Minute}},
		{row: "detect replay", spec: HostSpec{Command: "detect", Replay: "demo"},
			want: want{mode: Replay, name: "keycredlink-admin", prober: "replay.prober", runner: "*replay.Runner", dir: "*replay.Directory",
				keySource: "replay", replayClock: true, pollExport: 30 * time.Second, protWait: 10 * time.Minute}},
		{row: "detect replay without a directory snapshot", spec: HostSpec{Command: "detect", Replay: "healthy"},
			want: want{mode: Replay, name: "healthy", prober: "replay.prober", runner: "*replay.Runner", dir: "<nil>", noDirectory: "no directory snapshot",
				keySource: "replay", replayClock: true, pollExport: 30 * time.Second, protWait: 10 * time.Minute}},
		{row: "detect record", spec: HostSpec{Command: "detect", Record: filepath.Join(t.TempDir(), "rec")},
			want: want{mode: Record, prober: "replay.recProber", runner: "replay.recRunner", dir: recDir, noDirectory: liveWhy,
				keySource: "msp", key: msp, events: true, pollExport: 30 * time.Second, protWait: 10 * time.Minute}},
		{row: "remediate live, explicit state directory", spec: HostSpec{Command: "remediate", StateDir: explicit},
			want: want{mode: Live, prober: "winhost.hostProber", runner: "*winhost.liveRunner", dir: liveDir, noDirectory: liveWhy,
				keySource: "msp", key: msp, stateDir: explicit, events: true, pollExport: 30 * time.Second, protWait: 10 * time.Minute}},
		{row: "remediate replay", spec: HostSpec{Command: "remediate", Replay: "demo"},
			want: want{mode: Replay, name: "keycredlink-admin", prober: "replay.prober", runner: "*replay.Runner", dir: "*replay.Directory",
				keySource: "replay", stateDir: filepath.Join(sessions, "keycredlink-admin", "state"), replayClock: true,
				pollExport: 100 * time.Millisecond}},
		{row: "remediate replay of a member server (no --plan)", spec: HostSpec{Command: "remediate", Replay: "member-server"},
			want: want{mode: Replay, name: "member-server", prober: "replay.prober", runner: "*replay.Runner", dir: "*replay.Directory",
				keySource: "replay", stateDir: filepath.Join(sessions, "member-server", "state"), replayClock: true,
				pollExport: 100 * time.Millisecond, computer: "AADC01"}},
		{row: "remediate replay as the DC (--plan)", spec: HostSpec{Command: "remediate", Replay: "member-server", AsDC: true, StateDir: explicit},
			want: want{mode: Replay, name: "member-server", prober: "replay.prober", runner: "*replay.Runner", dir: "*replay.Directory",
				keySource: "replay", stateDir: explicit, replayClock: true, pollExport: 100 * time.Millisecond, computer: "DC01"}},
		{row: "remediate replay without a snapshot", spec: HostSpec{Command: "remediate", Replay: "healthy"}, err: "nothing to change"},
		{row: "revert replay", spec: HostSpec{Command: "revert", Replay: "demo"},
			want: want{mode: Replay, name: "keycredlink-admin", prober: "replay.prober", runner: "*replay.Runner", dir: "*replay.Directory",
				keySource: "replay", stateDir: filepath.Join(sessions, "keycredlink-admin", "state"), replayClock: true,
				pollExport: 100 * time.Millisecond}},
		{row: "unknown scenario", spec: HostSpec{Command: "detect", Replay: "no-such-scenario"}, err: "--replay no-such-scenario"},
		{row: "unknown command", spec: HostSpec{Command: "frobnicate"}, err: "no host for the command"},
	} {
		t.Run(c.row, func(t *testing.T) {
			h, err := NewHost(c.spec)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("NewHost: %v, want an error with %q", err, c.err)
				}
				if h != nil {
					t.Fatalf("a failed NewHost returned a host")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			w := c.want
			got := fmt.Sprintf("%v %q %T %T %T", h.Mode, h.Name, h.Prober, h.Runner, h.Directory)
			if exp := fmt.Sprintf("%v %q %s %s %s", w.mode, w.name, w.prober, w.runner, w.dir); got != exp {
				t.Errorf("mode, name, prober, runner, directory:\n got %s\nwant %s", got, exp)
			}
			if (w.noDirectory == "") != (h.NoDirectoryReason == "") || !strings.Contains(h.NoDirectoryReason, w.noDirectory) {
				t.Errorf("no-directory reason %q, want %q", h.NoDirectoryReason, w.noDirectory)
			}
			key, source, err := h.Key()
			if w.key == nil {
				w.key = remediate.ReplayKey(w.name)
			}
			if err != nil || source != w.keySource || !bytes.Equal(key, w.key) {
				t.Errorf("approval key from %q (err %v), want %q; the expected key: %v", source, err, w.keySource, bytes.Equal(key, w.key))
			}
			if h.StateDir != w.stateDir {
				t.Errorf("state directory %q, want %q", h.StateDir, w.stateDir)
			}
			facts, err := h.Prober.Facts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if w.computer != "" && facts.ComputerName != w.computer {
				t.Errorf("the prober's host is %q, want %q", facts.ComputerName, w.computer)
			}
			if now := h.Now(); w.replayClock != (time.Since(now) > time.Hour || time.Until(now) > time.Hour) {
				t.Errorf("clock says %s: replay clock %v", now, w.replayClock)
			}
			if h.WritesEvents != w.events {
				t.Errorf("writes events %v, want %v", h.WritesEvents, w.events)
			}
			if h.PollExport() != w.pollExport || h.ProtectionWait(10*time.Minute) != w.protWait {
				t.Errorf("poll export %s, protection wait %s; want %s, %s", h.PollExport(), h.ProtectionWait(10*time.Minute), w.pollExport, w.protWait)
			}
			if h.Sync == nil || h.Log == nil {
				t.Errorf("sync %v, log %v: every host has both", h.Sync != nil, h.Log != nil)
			}
		})
	}
}

// TestLiveRevertNeedsTheDirectory: a live revert without a dialer (off
// Windows) fails in NewHost, after the state directory, with the reason.
func TestLiveRevertNeedsTheDirectory(t *testing.T) {
	if d, _ := newLiveDialer(); d != nil {
		t.Skip("this platform has a live directory")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the default state directory's parent
	_, why := newLiveDialer()
	_, err := NewHost(HostSpec{Command: "revert", StateDir: filepath.Join(t.TempDir(), "state")})
	if err == nil || err.Error() != why {
		t.Fatalf("NewHost: %v, want %q", err, why)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("a refused revert opened the default state directory (its log): %v", left)
	}
}

// TestEmptyStateDirIsUnset: ENTRA8344_STATE_DIR set to "" (an RMM variable
// left empty) means no explicit state directory, never the working
// directory; a relative one becomes absolute.
func TestEmptyStateDirIsUnset(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	for _, dir := range []string{"", "  "} {
		h, err := NewHost(HostSpec{Command: "remediate", Replay: "demo", StateDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		if h.StateDir == wd || h.StateDir == "" || !filepath.IsAbs(h.StateDir) {
			t.Errorf("state dir %q for %q: want the replay session's, absolute", h.StateDir, dir)
		}
		h.Close()
	}
}

// TestReplayRefusesALiveStateDir: a replay's --state-dir may be any folder
// but a live host's (one holding a host approval key, or the default state
// directory): its replay-key records would lock out or confuse live runs.
func TestReplayRefusesALiveStateDir(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	live := t.TempDir()
	if err := os.WriteFile(filepath.Join(live, remediate.KeyFile), make([]byte, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHost(HostSpec{Command: "remediate", Replay: "demo", StateDir: live}); err == nil || !strings.Contains(err.Error(), "live state directory") {
		t.Errorf("a folder with a host key: %v", err)
	}
	if dflt, err := winhost.StateDir(); err == nil {
		if err := os.MkdirAll(dflt, 0o700); err == nil {
			if _, err := NewHost(HostSpec{Command: "revert", Replay: "demo", StateDir: dflt}); err == nil {
				t.Errorf("the default state directory %s accepted for a replay", dflt)
			}
		}
	}
	h, err := NewHost(HostSpec{Command: "remediate", Replay: "demo", StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("an ordinary folder refused: %v", err)
	}
	h.Close()
}
