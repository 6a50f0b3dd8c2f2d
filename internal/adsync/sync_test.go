package adsync

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"entra8344/internal/winhost"
)

// syncRunner answers the sync script with the outputs in order.
type syncRunner struct {
	outs  []string
	calls int
	envs  [][]string
}

func (r *syncRunner) Run(_ context.Context, c winhost.Command) (winhost.Result, error) {
	if string(c.Stdin) != string(SyncScript) {
		return winhost.Result{}, errors.New("not the sync script")
	}
	out := r.outs[min(r.calls, len(r.outs)-1)]
	r.calls++
	r.envs = append(r.envs, c.Env)
	return winhost.Result{Stdout: []byte(out)}, nil
}

func TestStartDeltaSync(t *testing.T) {
	busy := JSONMarker + `{"started":false,"busy":true,"error":"Sync is already running. Cannot start a new run till this one completes."}`
	ok := "\ufeff" + JSONMarker + `{"started":true,"busy":false,"error":"","result":"Success"}`
	noisy := noiseBefore + JSONMarker + `{"started":true,"busy":false,"error":"","result":"Success"}` + noiseAfter
	for _, tc := range []struct {
		name   string
		outs   []string
		tries  int
		calls  int
		sleeps []time.Duration
		err    string
	}{
		{"accepted", []string{ok}, 5, 1, nil, ""},
		{"busy then accepted, backing off", []string{busy, busy, ok}, 5, 3, []time.Duration{15 * time.Second, 30 * time.Second}, ""},
		{"busy every time", []string{busy}, 3, 3, []time.Duration{15 * time.Second, 30 * time.Second}, "busy"},
		{"accepted amid warnings and banners", []string{noisy}, 5, 1, nil, ""},
		{"other error", []string{JSONMarker + `{"started":false,"busy":false,"error":"The term 'Start-ADSyncSyncCycle' is not recognized"}`}, 5, 1, nil, "not recognized"},
		{"garbage", []string{"Import-Module : access denied"}, 5, 1, nil, "unexpected output"},
		{"document without its marked line", []string{`{"started":true}`}, 5, 1, nil, "printed no " + JSONMarker},
		{"two marked lines", []string{ok + "\r\n" + busy}, 5, 1, nil, "want exactly one"},
		{"marked line not JSON", []string{JSONMarker + `{"started":tr`}, 5, 1, nil, "not JSON"},
	} {
		// The same busy, backoff and error handling for both policies
		// (issue 16 §3), each run told its PolicyType.
		for _, p := range []Policy{PolicyDelta, PolicyInitial} {
			t.Run(tc.name+"/"+string(p), func(t *testing.T) {
				r := &syncRunner{outs: tc.outs}
				var slept []time.Duration
				err := StartSync(context.Background(), r, CollectOptions{PowerShell: `C:\ps.exe`}, p, tc.tries,
					func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil })
				for _, env := range r.envs {
					if !slices.Contains(env, "ENTRA8344_SYNC_POLICY="+string(p)) {
						t.Errorf("run environment %q does not carry the policy %s", env, p)
					}
				}
				if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				if tc.err == "busy" && !errors.Is(err, ErrSyncBusy) {
					t.Errorf("a busy engine must be ErrSyncBusy: %v", err)
				}
				if r.calls != tc.calls || len(slept) != len(tc.sleeps) {
					t.Fatalf("%d runs, slept %v", r.calls, slept)
				}
				for i := range slept {
					if slept[i] != tc.sleeps[i] {
						t.Errorf("backoff %v, want %v", slept, tc.sleeps)
					}
				}
			})
		}
	}
	if err := StartSync(context.Background(), &syncRunner{outs: []string{"{}"}}, CollectOptions{PowerShell: `C:\ps.exe`}, "Full", 1, nil); err == nil {
		t.Error("a policy other than Delta or Initial was accepted")
	}
}

func TestSyncScriptRules(t *testing.T) {
	for i, b := range SyncScript {
		if b >= 0x80 {
			t.Fatalf("sync.ps1 byte %d is not ASCII", i)
		}
	}
	lower := strings.ToLower(string(SyncScript))
	for _, banned := range []string{"add-type", "new-object", "[adsi", "::new(", "-encodedcommand"} {
		if strings.Contains(lower, banned) {
			t.Errorf("sync.ps1 uses %q (not CLM-safe)", banned)
		}
	}
}
