package remediate_test

import (
	"context"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/winhost"
	"entra8344/remediate"
	"entra8344/schema"
)

const janeDN = "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"

// ourACE is the grant keycredlink-admin's plan adds to AdminSDHolder.
func ourACE(t *testing.T) ntsd.ACE {
	sid, err := ntsd.ParseSIDString("S-1-5-21-1004336348-1177238915-682003330-1109")
	if err != nil {
		t.Fatal(err)
	}
	g, err := ntsd.ParseGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063") // msDS-KeyCredentialLink
	if err != nil {
		t.Fatal(err)
	}
	return ntsd.NewObjectAllow(ntsd.RightWriteProperty, g, sid)
}

// faultRunner answers like inner, except where fault takes over; synced
// says whether inner has accepted a delta sync (the export step's calls
// come after it, detect's before).
type faultRunner struct {
	inner  winhost.Runner
	synced bool
	fault  func(c winhost.Command, synced bool) (winhost.Result, error, bool)
}

func (f *faultRunner) Run(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	if f.fault != nil {
		if res, err, ok := f.fault(c, f.synced); ok {
			return res, err
		}
	}
	res, err := f.inner.Run(ctx, c)
	f.synced = f.synced || string(c.Stdin) == string(adsync.SyncScript)
	return res, err
}

// hangs is what a runner returns for a process killed at its timeout.
func hangs(c winhost.Command) (winhost.Result, error, bool) {
	return winhost.Result{ExitCode: 1}, &winhost.TimeoutError{Path: c.Path, Timeout: time.Minute}, true
}

// withExport runs remediate with the replayed export simulated (or not),
// the runner wrapped in fault, and --wait-export wait.
func (w *world) withExport(simulate bool, wait time.Duration, fault func(winhost.Command, bool) (winhost.Result, error, bool)) func(*remediate.Env) {
	return func(e *remediate.Env) {
		inner := w.sc.Runner()
		if simulate {
			inner.SimulateExport(w.dir)
		}
		runner := &faultRunner{inner: inner, fault: fault}
		e.Detect.Runner = runner
		e.Sync = func(ctx context.Context) error {
			return adsync.StartDeltaSync(ctx, runner, adsync.CollectOptions{PowerShell: w.sc.Facts.PowerShellPath, Timeout: time.Minute}, 1, nil)
		}
		e.WaitExport, e.PollExport = wait, time.Millisecond
	}
}

func findStep(t *testing.T, res *schema.Result, name string) schema.ResultStep {
	t.Helper()
	for _, s := range res.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no %s step in %s (%s)", name, res.Status, res.Summary)
	return schema.ResultStep{}
}

// journalEntry is the journal's last entry named name.
func (w *world) journalEntry(res *schema.Result, name string) (*remediate.Journal, remediate.JournalEntry) {
	j, err := remediate.LoadJournal(w.stateDir, res.Journal.ID, w.key, "replay")
	if err != nil {
		w.t.Fatal(err)
	}
	var e remediate.JournalEntry
	for _, s := range j.Steps {
		if s.Name == name {
			e = s
		}
	}
	return j, e
}

// TestWaitExportVerified: the replayed export after the delta sync no
// longer lists the planned object: the export step is done and says so.
func TestWaitExportVerified(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	res := w.remediateWith(tok, w.withExport(true, time.Minute, nil))
	s := findStep(t, res, "export")
	if res.Status != schema.ResultVerified || res.ExitCode != 0 || s.Status != schema.StepDone ||
		len(s.Evidence.ObjectsVerified) != 1 || s.Evidence.ObjectsVerified[0] != janeDN || len(s.Evidence.ObjectsPending) != 0 {
		t.Fatalf("%s: %s; export step %+v", res.Status, res.Summary, s)
	}
	if !strings.Contains(res.Summary, "export done") || !strings.Contains(s.Message, "csexport /f:e") {
		t.Errorf("summary %q, message %q", res.Summary, s.Message)
	}
	if _, e := w.journalEntry(res, "export"); e.State != "done" || e.Message != s.Message {
		t.Errorf("journal export entry %+v", e)
	}
}

// TestWaitExportOutcomes: each way the confirmation can end short of
// verified, with the status, exit code and message a technician needs.
func TestWaitExportOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		simulate bool
		wait     time.Duration
		fault    func(winhost.Command, bool) (winhost.Result, error, bool)
		tamper   bool // take the grant off Jane after the wait step
		dryRun   bool
		result   schema.ResultStatus
		step     schema.StepStatus
		message  []string
		pending  []string
	}{
		{name: "grant not effective on the object", simulate: true, wait: time.Minute, tamper: true,
			result: schema.ResultPending, step: schema.StepPending, message: []string{"1 planned objects still fail with 8344", "run detect"}, pending: []string{janeDN}},
		// A 1ns bound: one look at the history, then the deadline has passed.
		{name: "no export run before the deadline", simulate: false, wait: time.Nanosecond,
			result: schema.ResultPending, step: schema.StepPending, message: []string{`no export run of "contoso.com" started after the delta sync`, "the scheduled sync cycle will export"}, pending: []string{janeDN}},
		{name: "csexport fails", simulate: true, wait: time.Minute, fault: func(c winhost.Command, synced bool) (winhost.Result, error, bool) {
			if synced && strings.HasSuffix(c.Path, "csexport.exe") {
				return winhost.Result{ExitCode: 2, Stderr: []byte("Error: the connector is busy")}, nil, true
			}
			return winhost.Result{}, nil, false
		}, result: schema.ResultError, step: schema.StepFailed, message: []string{`csexport for connector "contoso.com" exited 2`, "the connector is busy", "the grant is in place"}, pending: []string{janeDN}},
		// An object over the parser's limits may be ours, still failing.
		{name: "csexport output with a skipped object", simulate: true, wait: time.Minute, fault: func(c winhost.Command, synced bool) (winhost.Result, error, bool) {
			if synced && strings.HasSuffix(c.Path, "csexport.exe") && len(c.Args) > 1 {
				doc := "<cs-objects>\n<cs-object cs-dn=\"CN=Deep\">" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</cs-object>\n</cs-objects>\n"
				return winhost.Result{}, os.WriteFile(c.Args[1], []byte(doc), 0o600), true
			}
			return winhost.Result{}, nil, false
		}, result: schema.ResultError, step: schema.StepFailed, message: []string{`csexport output for connector "contoso.com": 1 cs-object(s) skipped`, "#1 at line 2: elements nested more than 64 deep", "cannot be confirmed", "the grant is in place"}, pending: []string{janeDN}},
		{name: "collector hangs", simulate: true, wait: time.Minute, fault: func(c winhost.Command, synced bool) (winhost.Result, error, bool) {
			if synced && string(c.Stdin) == string(adsync.CollectorScript) {
				return hangs(c)
			}
			return winhost.Result{}, nil, false
		}, result: schema.ResultPending, step: schema.StepPending, message: []string{"PowerShell (the ADSync collector) did not answer within 1m0s", "the grant is in place", "next scheduled sync cycle will export", "ADSync service"}, pending: []string{janeDN}},
		{name: "ADSync module not loaded", simulate: true, wait: time.Minute, fault: func(c winhost.Command, synced bool) (winhost.Result, error, bool) {
			if synced && string(c.Stdin) == string(adsync.CollectorScript) {
				return winhost.Result{Stdout: []byte(`{"collector_version":1,"module":{"loaded":false},"connectors":[]}`)}, nil, true
			}
			return winhost.Result{}, nil, false
		}, result: schema.ResultError, step: schema.StepFailed, message: []string{"module could not be loaded", "the grant is in place"}, pending: []string{janeDN}},
		{name: "dry run", simulate: true, wait: time.Minute, dryRun: true,
			result: schema.ResultDryRun, step: schema.StepSkipped, message: []string{"dry run"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "keycredlink-admin", true)
			_, tok := w.approve()
			res := w.remediateWith(tok, func(e *remediate.Env) {
				w.withExport(tc.simulate, tc.wait, tc.fault)(e)
				e.DryRun = tc.dryRun
				if tc.tamper {
					sync := e.Sync
					e.Sync = func(ctx context.Context) error {
						w.editDACL(janeDN, func(d *ntsd.ACL) { d.Remove(ourACE(t)) })
						return sync(ctx)
					}
				}
			})
			s := findStep(t, res, "export")
			if res.Status != tc.result || res.ExitCode != remediate.ResultExitCode(tc.result) || s.Status != tc.step {
				t.Fatalf("%s (exit %d): %s; export step %s: %s", res.Status, res.ExitCode, res.Summary, s.Status, s.Message)
			}
			for _, m := range tc.message {
				if !strings.Contains(s.Message, m) {
					t.Errorf("message %q lacks %q", s.Message, m)
				}
			}
			if strings.Join(s.Evidence.ObjectsPending, "|") != strings.Join(tc.pending, "|") || len(s.Evidence.ObjectsVerified) != 0 {
				t.Errorf("objects pending %q verified %q, want pending %q", s.Evidence.ObjectsPending, s.Evidence.ObjectsVerified, tc.pending)
			}
			if tc.dryRun {
				return
			}
			if j, e := w.journalEntry(res, "export"); e.State != string(tc.step) || e.Message != s.Message || j.Status != string(tc.result) {
				t.Errorf("journal %s, export entry %+v", j.Status, e)
			}
		})
	}
}

// TestSyncHangIsPending: PowerShell hangs on Start-ADSyncSyncCycle. The
// grant is in place and read back, so the run is pending (exit 1), not an
// error; the step and the journal say what happened and what to check, and
// AdminSDHolder holds exactly the journal's backup plus the journaled ACE.
func TestSyncHangIsPending(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	res := w.remediateWith(tok, w.withExport(true, 0, func(c winhost.Command, _ bool) (winhost.Result, error, bool) {
		if string(c.Stdin) == string(adsync.SyncScript) {
			return hangs(c)
		}
		return winhost.Result{}, nil, false
	}))
	s := findStep(t, res, "sync")
	if res.Status != schema.ResultPending || res.ExitCode != 1 || s.Status != schema.StepPending || stepStatus(res, "verify") != schema.StepDone {
		t.Fatalf("%s (exit %d): %s; sync step %s: %s", res.Status, res.ExitCode, res.Summary, s.Status, s.Message)
	}
	for _, m := range []string{"PowerShell (Start-ADSyncSyncCycle) did not answer within 1m0s", "the grant is in place", "next scheduled sync cycle will export", "ADSync service"} {
		if !strings.Contains(s.Message, m) {
			t.Errorf("sync message %q lacks %q", s.Message, m)
		}
	}
	if stepStatus(res, "export") != "" {
		t.Error("an export step without --wait-export")
	}
	j, e := w.journalEntry(res, "sync")
	if e.State != "pending" || e.Message != s.Message || j.Status != "pending" {
		t.Errorf("journal %s, sync entry %+v", j.Status, e)
	}
	var backup []byte
	var ace string
	for _, e := range j.Steps {
		if e.Name == "backup" && e.Backup != nil {
			backup, _ = hex.DecodeString(e.Backup.SDHex)
		}
		if e.Name == "write" && e.State == "done" {
			ace = e.ACEHex
		}
	}
	if ace != hex.EncodeToString(ourACE(t).Bytes()) {
		t.Fatalf("journaled ACE %s, want the plan's grant", ace)
	}
	now, err := ntsd.Parse(w.holder())
	if err != nil {
		t.Fatal(err)
	}
	if !now.DACL.Remove(ourACE(t)) || hex.EncodeToString(now.Marshal()) != hex.EncodeToString(backup) {
		t.Error("AdminSDHolder is not exactly the journal's backup plus the journaled ACE")
	}
}

// editDACL changes dn's DACL in the replayed directory (another party's edit).
func (w *world) editDACL(dn string, edit func(*ntsd.ACL)) {
	sd, err := ntsd.Parse(w.readSD(dn))
	if err != nil {
		w.t.Fatal(err)
	}
	edit(sd.DACL)
	d, _ := w.dir.Dialer(w.sc.Name)
	c, _ := d.Dial(context.Background(), "")
	if err := c.Modify(context.Background(), dn, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd.Marshal()}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}); err != nil {
		w.t.Fatal(err)
	}
}

// TestWaitExportFollowsThePlanCarriedOut: with --wait-export, each plan
// waits for its own objects only. stale-msol-ace has a grant plan (Jane
// Admin) and a cleanup (no failing object): the cleanup must not wait for
// the grant plan's objects, and the grant plan confirms its own.
func TestWaitExportFollowsThePlanCarriedOut(t *testing.T) {
	for _, tc := range []struct {
		plan    string
		status  schema.StepStatus
		objects int // objects the export step verified
	}{
		{"grant", schema.StepDone, 1},
		{"cleanup", schema.StepSkipped, 0},
	} {
		t.Run(tc.plan, func(t *testing.T) {
			w := newWorld(t, "stale-msol-ace", true)
			v := detect.Run(context.Background(), w.detectEnv(), detect.DefaultOptions())
			p := v.Directory.Plan
			if tc.plan == "cleanup" {
				p = v.Directory.Cleanup
			}
			tok, err := remediate.Issue(w.key, remediate.Digest(p), remediate.HostID(v.Host.Computer, v.Host.DNSDomain), w.sc.Now.Add(remediate.DefaultExpiry))
			if err != nil {
				t.Fatal(err)
			}
			res := w.remediateWith(tok, w.withExport(true, time.Second, nil))
			s := findStep(t, res, "export")
			if res.Status != schema.ResultVerified || s.Status != tc.status || len(s.Evidence.ObjectsVerified) != tc.objects || len(s.Evidence.ObjectsPending) != 0 {
				t.Fatalf("%s plan: result %s, export step %s (%s) verified %v pending %v", tc.plan, res.Status, s.Status, s.Message, s.Evidence.ObjectsVerified, s.Evidence.ObjectsPending)
			}
		})
	}
}
