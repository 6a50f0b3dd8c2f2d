package remediate_test

import (
	"bytes"
	"context"
	"entra8344/internal/schemacheck"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/fixtures"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/replay"
	"entra8344/remediate"
	"entra8344/schema"
)

// world is one replayed scenario: its directory lives across runs, like a
// real one, with the protection task simulated.
type world struct {
	t        *testing.T
	sc       *replay.Scenario
	dir      *replay.Directory
	stateDir string
	key      []byte
}

func newWorld(t *testing.T, name string, simulate bool) *world {
	t.Helper()
	fsys, n, err := fixtures.Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := replay.Load(fsys, n)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, sc: sc, dir: sc.Directory(), stateDir: t.TempDir(), key: remediate.ReplayKey(n)}
	if simulate {
		w.dir.SimulateProtectionTask()
	}
	return w
}

func (w *world) detectEnv() detect.Env {
	return detect.Env{Prober: w.sc.Prober(), Runner: w.sc.Runner(), Replay: w.sc.Name, Directory: w.dir, Now: func() time.Time { return w.sc.Now }}
}

// approve runs detect and issues the token an approver would pass on.
func (w *world) approve() (*schema.Verdict, string) {
	v := detect.Run(context.Background(), w.detectEnv(), detect.DefaultOptions())
	if len(v.Directory.Plan.Changes) == 0 {
		return v, ""
	}
	// As detect's approval: this host's part of the plan (the whole plan
	// when all of it is this host's, or none of it).
	p := v.Directory.Plan
	if parts := detect.PlanParts(p); len(parts) > 0 && parts[0].RemediableHere {
		p = parts[0]
	}
	tok, err := remediate.Issue(w.key, remediate.Digest(p), remediate.HostID(v.Host.Computer, v.Host.DNSDomain), w.sc.Now.Add(remediate.DefaultExpiry))
	if err != nil {
		w.t.Fatal(err)
	}
	return v, tok
}

type remediateEnv = remediate.Env

func (w *world) keyFunc() func() ([]byte, string, error) {
	return func() ([]byte, string, error) { return w.key, "replay", nil }
}

func (w *world) remediate(token string) *schema.Result { return w.remediateWith(token, nil) }

func (w *world) remediateWith(token string, edit func(*remediate.Env)) *schema.Result {
	runner := w.sc.Runner()
	env := remediate.Env{Detect: w.detectEnv(), Options: detect.DefaultOptions(), Token: token, StateDir: w.stateDir,
		Key: func() ([]byte, string, error) { return w.key, "replay", nil }}
	env.Detect.Runner = runner
	env.Sync = func(ctx context.Context) error {
		return adsync.StartDeltaSync(ctx, runner, adsync.CollectOptions{PowerShell: w.sc.Facts.PowerShellPath}, 1, nil)
	}
	if edit != nil {
		edit(&env)
	}
	res := remediate.Run(context.Background(), env)
	doc, err := schema.Marshal(res)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := schemacheck.Validate("result", doc); err != nil {
		w.t.Fatalf("result does not validate: %v\n%s", err, doc)
	}
	return res
}

// holder reads AdminSDHolder's DACL-only descriptor bytes.
func (w *world) holder() []byte { return w.readSD(holderDN) }

const holderDN = "CN=AdminSDHolder,CN=System,DC=contoso,DC=com"

// readSD reads dn's DACL-only descriptor bytes.
func (w *world) readSD(dn string) []byte {
	d, err := w.dir.Dialer(w.sc.Name)
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := d.Dial(context.Background(), "")
	if err != nil {
		w.t.Fatal(err)
	}
	es, err := c.Search(context.Background(), &ldap.SearchRequest{BaseDN: dn, Scope: ldap.ScopeBase,
		Filter: "(objectClass=*)", Attributes: []string{"nTSecurityDescriptor"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if err != nil || len(es) != 1 {
		w.t.Fatalf("read %s: %v", dn, err)
	}
	return es[0].Value("nTSecurityDescriptor")
}

func messageOf(res *schema.Result, name string) string {
	for _, s := range res.Steps {
		if s.Name == name {
			return s.Message
		}
	}
	return ""
}

func stepStatus(res *schema.Result, name string) schema.StepStatus {
	for _, s := range res.Steps {
		if s.Name == name {
			return s.Status
		}
	}
	return ""
}

// TestRemediateRevertDemo: detect -> token -> remediate (verified, one ACE,
// on the object) -> a second run is a no-op -> revert restores the DACL
// byte for byte -> the token of the applied plan no longer approves anything.
func TestRemediateRevertDemo(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	before := w.holder()
	v, tok := w.approve()
	if v.Status != schema.StatusRemediable || tok == "" {
		t.Fatalf("demo: status %s", v.Status)
	}
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified || res.ExitCode != 0 {
		t.Fatalf("remediate: %s (%s)", res.Status, res.Summary)
	}
	after := w.holder()
	if len(after) != len(before)+56 {
		t.Errorf("AdminSDHolder grew by %d bytes, want one 56-byte ACE", len(after)-len(before))
	}
	want := "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-1004336348-1177238915-682003330-1109)"
	for _, s := range res.Steps {
		if s.Name == "verify" && (s.Evidence.ACE != want || !strings.Contains(s.Evidence.After, want) || strings.Contains(s.Evidence.Before, want)) {
			t.Errorf("verify evidence %+v", s.Evidence)
		}
		if s.Name == "wait" && (len(s.Evidence.ObjectsVerified) != 1 || len(s.Evidence.ObjectsPending) != 0) {
			t.Errorf("wait evidence %+v", s.Evidence)
		}
	}
	mods := len(w.dir.Modifications())

	again := w.remediate(tok)
	if again.Status != schema.ResultAlreadyPresent || again.ExitCode != 0 || stepStatus(again, "write") != schema.StepAlreadyPresent {
		t.Fatalf("second run: %s (%s)", again.Status, again.Summary)
	}
	if n := len(w.dir.Modifications()); n != mods {
		t.Errorf("the second run wrote %d times", n-mods)
	}

	d, _ := w.dir.Dialer(w.sc.Name)
	rev := remediate.Revert(context.Background(), remediate.RevertEnv{StateDir: w.stateDir, Journal: res.Journal.ID, Key: w.keyFunc(),
		Dial: func(ctx context.Context, s string) (ldap.Conn, error) { return d.Dial(ctx, s) }})
	if rev.Status != schema.ResultVerified || stepStatus(rev, "remove") != schema.StepDone {
		t.Fatalf("revert: %s (%s)", rev.Status, rev.Summary)
	}
	if !bytes.Equal(w.holder(), before) {
		t.Error("after revert AdminSDHolder's DACL differs from before the remediation")
	}
	// Replayed after revert: the revert ran the task again, so Jane fails
	// as before and the live plan equals the approved one; the approval was
	// used once and reverted, so it approves nothing, and nothing is written.
	if stepStatus(rev, "trigger") != schema.StepDone {
		t.Errorf("revert did not run the protection task again: %s", stepStatus(rev, "trigger"))
	}
	mods = len(w.dir.Modifications())
	if third := w.remediate(tok); third.Status != schema.ResultRefused || third.Refusal.Code != "token-reverted" {
		t.Errorf("token replayed after revert: %s %+v", third.Status, third.Refusal)
	}
	if n := len(w.dir.Modifications()); n != mods {
		t.Errorf("a refused run wrote %d times", n-mods)
	}
}

// TestRemediateRefusesAndWritesNothing: every refusal leaves the directory untouched.
func TestRemediateRefusesAndWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		name, scenario, code string
		token                func(w *world, tok string) string
		setup                func(w *world)
	}{
		{"missing token", "keycredlink-admin", "token-missing", func(*world, string) string { return "" }, nil},
		{"tampered token", "keycredlink-admin", "token-bad-mac", func(_ *world, tok string) string { return tok[:10] + flip(tok[10]) + tok[11:] }, nil},
		{"truncated token", "keycredlink-admin", "token-malformed", func(_ *world, tok string) string { return tok[:30] }, nil},
		{"token of another scenario", "keycredlink-admin", "token-bad-mac", func(w *world, tok string) string {
			w.key = remediate.ReplayKey("other")
			return tok
		}, nil},
		{"not remediable here", "member-server", "not-here", nil, nil},
		{"locked", "keycredlink-admin", "locked", nil, func(w *world) {
			os.WriteFile(filepath.Join(w.stateDir, remediate.LockFile), []byte("pid 1"), 0o600)
		}},
		{"journal not writable", "keycredlink-admin", "journal-unwritable", nil, func(w *world) {
			os.WriteFile(filepath.Join(w.stateDir, remediate.JournalDir), []byte("a file, not a folder"), 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.scenario, true)
			_, tok := w.approve()
			if tc.name == "not remediable here" {
				// The member server's own verdict has no token: forge one
				// with the right key, as if carried over from elsewhere.
				v := detect.Run(context.Background(), w.detectEnv(), detect.DefaultOptions())
				tok, _ = remediate.Issue(w.key, remediate.Digest(v.Directory.Plan), remediate.HostID(v.Host.Computer, v.Host.DNSDomain), w.sc.Now.Add(time.Hour))
			}
			if tc.token != nil {
				tok = tc.token(w, tok)
			}
			if tc.setup != nil {
				tc.setup(w)
			}
			res := w.remediate(tok)
			if res.Status != schema.ResultRefused || res.ExitCode != 2 || res.Refusal == nil || res.Refusal.Code != tc.code {
				t.Fatalf("got %s %+v, want refusal %s", res.Status, res.Refusal, tc.code)
			}
			if n := len(w.dir.Modifications()); n != 0 {
				t.Errorf("a refused run wrote %d modifications", n)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestRemediateFaults: a write the DC refuses, and a protection task the DC
// will not run on request; each ends in a clear status and a journal that
// says what state AD is in.
func TestRemediateFaults(t *testing.T) {
	t.Run("write refused (50)", func(t *testing.T) {
		w := newWorld(t, "keycredlink-admin", true)
		_, tok := w.approve()
		before := w.holder()
		w.failModify(func(dn string) error {
			if strings.HasPrefix(dn, "CN=AdminSDHolder") {
				return &ldap.Error{Op: "modify", DN: dn, Code: ldap.ResultInsufficientAccess, Message: "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0"}
			}
			return nil
		})
		res := w.remediate(tok)
		if res.Status != schema.ResultError || res.ExitCode != 3 || stepStatus(res, "write") != schema.StepFailed {
			t.Fatalf("%s: %s", res.Status, res.Summary)
		}
		if !bytes.Equal(w.holder(), before) {
			t.Error("AdminSDHolder changed although the write was refused")
		}
		j, err := remediate.LoadJournal(w.stateDir, res.Journal.ID, w.key, "replay")
		if err != nil || j.Status != "error" || j.Steps[len(j.Steps)-1].Name != "write" || j.Steps[len(j.Steps)-1].State != "failed" || j.Steps[0].Backup == nil {
			t.Errorf("journal %+v (%v)", j, err)
		}
	})
	t.Run("protection task refused (53)", func(t *testing.T) {
		w := newWorld(t, "keycredlink-admin", false) // Samba's answer: no such task
		_, tok := w.approve()
		res := w.remediate(tok)
		if res.Status != schema.ResultPending || res.ExitCode != 1 || stepStatus(res, "verify") != schema.StepDone ||
			stepStatus(res, "trigger") != schema.StepPending || stepStatus(res, "wait") != schema.StepPending {
			t.Fatalf("%s: %s", res.Status, res.Summary)
		}
	})
}

func (w *world) failModify(f func(dn string) error) {
	w.failOn(func(op, dn string) error {
		if op == "modify" {
			return f(dn)
		}
		return nil
	})
}

func (w *world) failOn(f func(op, dn string) error) {
	d, _ := w.dir.Dialer(w.sc.Name)
	d.(interface {
		SetFail(func(op, dn string) error)
	}).SetFail(f)
}

// editHolder is another administrator changing AdminSDHolder's DACL: it
// adds a harmless read ACE for Everyone.
func (w *world) editHolder() {
	w.editDACL(holderDN, func(d *ntsd.ACL) {
		d.Insert(ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.Everyone})
	})
}

// TestConcurrentRemediate: two runs at once never add the ACE twice: one
// applies, the other is refused by the lock or finds it already present.
func TestConcurrentRemediate(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	before := len(w.holder())
	_, tok := w.approve()
	results := make(chan *schema.Result, 2)
	for i := 0; i < 2; i++ {
		go func() { results <- w.remediate(tok) }()
	}
	a, b := <-results, <-results
	applied := 0
	for _, r := range []*schema.Result{a, b} {
		switch {
		case r.Status == schema.ResultVerified:
			applied++
		case r.Status == schema.ResultRefused && r.Refusal.Code == "locked", r.Status == schema.ResultAlreadyPresent:
		default:
			t.Errorf("unexpected %s %+v", r.Status, r.Refusal)
		}
	}
	if applied != 1 || len(w.holder()) != before+56 {
		t.Errorf("%d runs applied; AdminSDHolder grew by %d bytes (want exactly one 56-byte ACE)", applied, len(w.holder())-before)
	}
}

// TestRevertOnlyOursOrRestoreExact: another administrator adds an ACE after
// the remediation. revert removes exactly ours and keeps theirs;
// --restore-exact first shows the difference beyond the journal (theirs)
// and refuses, writing nothing; with the token it hands out for exactly
// that difference it writes the backup back, undoing both, and says so.
func TestRevertOnlyOursOrRestoreExact(t *testing.T) {
	for _, exact := range []bool{false, true} {
		w := newWorld(t, "keycredlink-admin", true)
		before := w.holder()
		_, tok := w.approve()
		res := w.remediate(tok)
		if res.Status != schema.ResultVerified {
			t.Fatalf("remediate: %s", res.Summary)
		}
		w.editHolder()
		edited, _ := ntsd.Parse(w.holder())
		env := w.revertEnv(res.Journal.ID, exact)
		if exact {
			mods := len(w.dir.Modifications())
			rev := w.revert(env)
			if rev.Status != schema.ResultRefused || rev.Refusal.Code != "restore-beyond-journal" || !strings.Contains(rev.Refusal.Message, "-(A;;RC;;;WD)") {
				t.Fatalf("restore-exact over another admin's ACE: %s %+v, want refused showing -(A;;RC;;;WD)", rev.Status, rev.Refusal)
			}
			env.Token = tok // an approval of something else approves no difference
			if other := w.revert(env); other.Status != schema.ResultRefused || other.Refusal.Code != "token-plan-changed" {
				t.Fatalf("restore-exact with the remediation's token: %s %+v, want token-plan-changed", other.Status, other.Refusal)
			}
			if n := len(w.dir.Modifications()); n != mods {
				t.Fatalf("the refused restore wrote %d times", n-mods)
			}
			_, env.Token, _ = strings.Cut(rev.Refusal.Message, "--token ")
		}
		rev := w.revert(env)
		if rev.Status != schema.ResultVerified {
			t.Fatalf("exact=%v: %s", exact, rev.Summary)
		}
		now, _ := ntsd.Parse(w.holder())
		theirs := ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.Everyone}
		if exact {
			if !bytes.Equal(w.holder(), before) || !strings.Contains(messageOf(rev, "restore"), "removed 2 ACEs") {
				t.Errorf("restore-exact: DACL equal to backup %v, message %q", bytes.Equal(w.holder(), before), messageOf(rev, "restore"))
			}
		} else if now.DACL.Index(theirs) < 0 || len(now.DACL.ACEs) != len(edited.DACL.ACEs)-1 {
			t.Errorf("revert removed more or less than our one ACE: %d ACEs, had %d", len(now.DACL.ACEs), len(edited.DACL.ACEs))
		}
	}
}

// revert runs a revert and validates its result against the schema.
func (w *world) revert(env remediate.RevertEnv) *schema.Result {
	w.t.Helper()
	rev := remediate.Revert(context.Background(), env)
	doc, _ := schema.Marshal(rev)
	if err := schemacheck.Validate("result", doc); err != nil {
		w.t.Fatalf("revert result does not validate: %v\n%s", err, doc)
	}
	return rev
}

// TestSyncBusyIsPending: the grant is verified, but the engine stays busy:
// the result is pending (exit 1), not an error, and says what to do.
func TestSyncBusyIsPending(t *testing.T) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	res := w.remediateWith(tok, func(e *remediate.Env) {
		e.Sync = func(context.Context) error { return adsync.ErrSyncBusy }
	})
	if res.Status != schema.ResultPending || res.ExitCode != 1 || stepStatus(res, "verify") != schema.StepDone || stepStatus(res, "sync") != schema.StepPending {
		t.Fatalf("%s: %s", res.Status, res.Summary)
	}
}
