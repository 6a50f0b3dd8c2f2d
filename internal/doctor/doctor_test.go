package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
	"entra8344/internal/ntsd"
	"entra8344/internal/winhost"
)

const (
	nc       = "DC=corp,DC=example"
	userDN   = "CN=DC01,OU=Domain Controllers,DC=corp,DC=example"
	domSID   = "S-1-5-21-1-2-3"
	ntdsDN   = "CN=NTDS Settings,CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=corp,DC=example"
	serverDN = "CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=corp,DC=example"
)

func sdBytes(aces ...ntsd.ACE) []byte {
	sd := &ntsd.SecurityDescriptor{Revision: 1, Control: ntsd.ControlDACLPresent | ntsd.ControlSelfRelative,
		DACL: &ntsd.ACL{Revision: 4, ACEs: aces}}
	return sd.Marshal()
}

// fakeConn is a directory of a few entries, with WhoAmI and Protection.
type fakeConn struct {
	entries  map[string]*ldap.Entry
	whoami   string
	whoErr   error
	prot     wldap32.Protection
	searches []string
}

func (c *fakeConn) Search(_ context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	c.searches = append(c.searches, req.BaseDN+" "+req.Filter)
	if req.Scope == ldap.ScopeSubtree {
		for _, e := range c.entries {
			if strings.Contains(req.Filter, "(sAMAccountName="+e.String("sAMAccountName")+")") && e.Has("sAMAccountName") {
				return []*ldap.Entry{e}, nil
			}
		}
		return nil, nil
	}
	e, ok := c.entries[strings.ToLower(req.BaseDN)]
	if !ok {
		return nil, &ldap.Error{Op: "search", DN: req.BaseDN, Code: ldap.ResultNoSuchObject, Message: "no such object"}
	}
	return []*ldap.Entry{e}, nil
}
func (c *fakeConn) Modify(context.Context, string, []ldap.Mod, []ldap.Control) error {
	return errors.New("doctor must not modify")
}
func (c *fakeConn) Server() string                         { return "dc01.corp.example" }
func (c *fakeConn) Close() error                           { return nil }
func (c *fakeConn) Protection() wldap32.Protection         { return c.prot }
func (c *fakeConn) WhoAmI(context.Context) (string, error) { return c.whoami, c.whoErr }

type fakeDialer struct {
	c   *fakeConn
	err error
}

func (d fakeDialer) Dial(context.Context, string) (ldap.Conn, error) {
	if d.err != nil {
		return nil, d.err
	}
	return d.c, nil
}

func entry(dn string, attrs map[string][]byte) *ldap.Entry {
	e := &ldap.Entry{DN: dn}
	for k, v := range attrs {
		e.Attributes = append(e.Attributes, ldap.Attribute{Name: k, Values: [][]byte{v}})
	}
	return e
}

// directory: the DC's computer account, member of Domain Controllers (-516),
// and a domain object whose DACL grants the protect-task right to aceSID.
func directory(sdRights string, domainACEs ...ntsd.ACE) *fakeConn {
	self := ntsd.MustSID(domSID + "-1000")
	dc := entry(userDN, map[string][]byte{"objectSid": self.Bytes(), "sAMAccountName": []byte("DC01$")})
	dc.Attributes = append(dc.Attributes, ldap.Attribute{Name: "tokenGroups", Values: [][]byte{ntsd.MustSID(domSID + "-516").Bytes(), ntsd.MustSID("S-1-5-9").Bytes()}})
	es := map[string]*ldap.Entry{
		"":                        entry("", map[string][]byte{"defaultNamingContext": []byte(nc)}),
		strings.ToLower(nc):       entry(nc, map[string][]byte{"nTSecurityDescriptor": sdBytes(domainACEs...), "fSMORoleOwner": []byte(ntdsDN)}),
		strings.ToLower(serverDN): entry(serverDN, map[string][]byte{"dNSHostName": []byte("dc01.corp.example")}),
		strings.ToLower(userDN):   dc,
		"cn=adminsdholder,cn=system," + strings.ToLower(nc): entry("CN=AdminSDHolder,CN=System,"+nc, map[string][]byte{"sDRightsEffective": []byte(sdRights)}),
	}
	return &fakeConn{entries: es, whoami: `u:CORP\DC01$`, prot: wldap32.Protection{SignSeal: true, Sealed: true}}
}

type fakeProber struct{ f winhost.Facts }

func (p fakeProber) Facts(context.Context) (winhost.Facts, error) { return p.f, nil }

type fakeRunner struct {
	out  string
	err  error
	seen []winhost.Command
}

func (r *fakeRunner) Run(_ context.Context, c winhost.Command) (winhost.Result, error) {
	r.seen = append(r.seen, c)
	return winhost.Result{Stdout: []byte(r.out), Duration: 1500 * time.Millisecond}, r.err
}

func boolp(b bool) *bool { return &b }

func env(conn *fakeConn, runner *fakeRunner, facts winhost.Facts) Env {
	clock := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	return Env{
		Tool:     Tool{Name: "entra8344", Version: "1.2.0", Commit: "abc", Built: "2026-11-20T00:00:00Z"},
		Platform: "windows",
		Now:      func() time.Time { clock = clock.Add(time.Millisecond); return clock },
		Process: func() Process {
			return Process{User: `NT AUTHORITY\SYSTEM`, SID: "S-1-5-18", IsSystem: boolp(true), Elevated: boolp(true)}
		},
		Exe: func() Exe {
			return Exe{Path: `C:\Tools\entra8344.exe`, FileVersion: "1.2.0.0", ProductVersion: "1.2.0"}
		},
		Prober: fakeProber{facts},
		Runner: runner,
		Dialer: fakeDialer{c: conn},
		Stat:   func(p string) error { return nil },
		StateDir: func() winhost.StateDirStatus {
			return winhost.StateDirStatus{Path: `C:\ProgramData\entra8344`, CheckedAs: winhost.StateDirWindowsDACL, Exists: boolp(true), Secure: boolp(true), Writable: boolp(true)}
		},
		EventLog: func() winhost.EventSourceStatus {
			return winhost.EventSourceStatus{Source: "entra8344", Registered: boolp(true), MessageFile: winhost.EventMessageFile}
		},
		LogFile: func() string { return `C:\ProgramData\entra8344\entra8344.log` },
	}
}

var pdcFacts = winhost.Facts{ComputerName: "DC01", DNSDomain: "corp.example", ADSyncService: winhost.ServiceRunning,
	ADSyncImagePath: `C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe`, SyncEngineDir: `C:\Program Files\Microsoft Azure AD Sync`,
	ConnectVersion: "2.4.18.0", IsDC: boolp(true), IsPDCEmulator: boolp(true), PowerShellPath: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`}

const psOK = adsync.JSONMarker + `{"language_mode":"FullLanguage","version":"5.1.20348.2849","module":{"path":"C:\\Program Files\\Microsoft Azure AD Sync\\Bin\\ADSync\\ADSync.psd1","imported":true,"import_ms":2310,"version":"1.0.0.0","error":"","scheduler_read":true,"scheduler_error":""}}`

func checks(r *Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s=%s ", c.ID, c.Status)
	}
	return strings.TrimSpace(b.String())
}

func TestDoctorHealthyPDC(t *testing.T) {
	conn := directory("15", ntsd.NewObjectAllow(ntsd.RightControlAccess, runProtectTaskRight, ntsd.MustSID(domSID+"-516")))
	runner := &fakeRunner{out: "\xEF\xBB\xBF" + psOK + "\r\n"}
	r := Run(context.Background(), env(conn, runner, pdcFacts), Options{DirectoryTimeout: time.Minute, PowerShellTimeout: time.Minute})
	want := "process.identity=ok exe.version_resource=ok host.role=ok adsync.service=ok ldap.bind=ok ldap.identity=ok ldap.sign_seal=ok " +
		"adminsdholder.write_dacl=ok protect_task.trigger=ok powershell.language_mode=ok adsync.module_import=ok adsync.cmdlets=ok csexport.found=ok state_dir=ok event_log.source=ok"
	if got := checks(r); got != want {
		t.Errorf("checks:\n got %s\nwant %s", got, want)
	}
	if r.ExitCode != 0 || r.Status != "ok" || r.ProtectTask.PDCEmulator != "dc01.corp.example" || r.LDAP.Operations != 6 || r.Host.Role != "pdc_emulator" {
		t.Errorf("exit %d status %s pdc %q ops %d role %s", r.ExitCode, r.Status, r.ProtectTask.PDCEmulator, r.LDAP.Operations, r.Host.Role)
	}
	if !strings.Contains(r.ProtectTask.Evidence, "7726b9d5") || r.PowerShell.Module == nil || *r.PowerShell.Module.ImportMS != 2310 {
		t.Errorf("evidence %q, module %+v", r.ProtectTask.Evidence, r.PowerShell.Module)
	}
	if len(runner.seen) != 1 || !strings.Contains(strings.Join(runner.seen[0].Env, " "), "ENTRA8344_DOCTOR_IMPORT=1") || !bytes.Equal(runner.seen[0].Stdin, script) {
		t.Errorf("PowerShell run: %+v", runner.seen)
	}
	for _, s := range conn.searches {
		if strings.Contains(strings.ToLower(s), "runprotect") {
			t.Errorf("doctor touched the protection task: %s", s)
		}
	}
	// One JSON document with every section, no unknown field names.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"schema_version":"entra8344.doctor.v1"`, `"may_trigger":true`, `"may_write_dacl":true`, `"identity":"u:CORP\\DC01$"`, `"matches_build":true`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("report lacks %s", k)
		}
	}
}

func TestDoctorMemberServerProblems(t *testing.T) {
	facts := pdcFacts
	facts.IsDC, facts.IsPDCEmulator = boolp(false), boolp(false)
	deny := ntsd.ACE{Type: ntsd.AccessDeniedObject, Mask: ntsd.RightControlAccess, ObjectFlags: ntsd.ObjectTypePresent, ObjectType: runProtectTaskRight, SID: ntsd.MustSID("S-1-5-9")}
	conn := directory("0", deny, ntsd.NewObjectAllow(ntsd.RightControlAccess, runProtectTaskRight, ntsd.MustSID(domSID+"-516")))
	runner := &fakeRunner{out: adsync.JSONMarker + `{"language_mode":"ConstrainedLanguage","version":"5.1","module":{"path":"","imported":false,"import_ms":40,"version":"","error":"The specified module 'ADSync' was not loaded"}}`}
	e := env(conn, runner, facts)
	e.Process = func() Process { return Process{User: `CORP\tech`, IsSystem: boolp(false), Elevated: boolp(true)} }
	e.Exe = func() Exe {
		return Exe{Path: "x", Problem: "no version resource (The specified resource type cannot be found)"}
	}
	e.Stat = func(string) error { return os.ErrNotExist }
	e.StateDir = func() winhost.StateDirStatus {
		return winhost.StateDirStatus{Exists: boolp(true), Secure: boolp(false), Problem: "is owned by S-1-5-21-9-9-9-1001"}
	}
	e.EventLog = func() winhost.EventSourceStatus {
		return winhost.EventSourceStatus{Registered: boolp(false), Problem: "not registered yet"}
	}
	r := Run(context.Background(), e, Options{DirectoryTimeout: time.Minute})
	want := "process.identity=warn exe.version_resource=unknown host.role=ok adsync.service=ok ldap.bind=ok ldap.identity=ok ldap.sign_seal=ok " +
		"adminsdholder.write_dacl=warn protect_task.trigger=warn powershell.language_mode=ok adsync.module_import=fail adsync.cmdlets=unknown csexport.found=fail state_dir=fail event_log.source=warn"
	if got := checks(r); got != want {
		t.Errorf("checks:\n got %s\nwant %s", got, want)
	}
	if r.ExitCode != 1 || r.Status != "attention" || !strings.Contains(r.ProtectTask.Evidence, "denies") {
		t.Errorf("exit %d status %s evidence %q", r.ExitCode, r.Status, r.ProtectTask.Evidence)
	}
}

// What Wine against Samba looks like: no WhoAmI, sealing unverifiable,
// PowerShell a stub that prints nothing, no ADSync.
func TestDoctorUnknowns(t *testing.T) {
	facts := pdcFacts
	facts.ADSyncService, facts.IsDC, facts.IsPDCEmulator = winhost.ServiceAbsent, boolp(false), boolp(false)
	conn := directory("15")
	conn.whoami, conn.whoErr = "", &ldap.Error{Op: "whoami", Code: 2, Message: "Extended Operation(1.3.6.1.4.1.4203.1.11.3) not supported"}
	conn.prot = wldap32.Protection{Unverified: "Wine's wldap32 does not implement LDAP_OPT_SIGN/LDAP_OPT_ENCRYPT (92): sealing not verified"}
	runner := &fakeRunner{}
	r := Run(context.Background(), env(conn, runner, facts), Options{DirectoryTimeout: time.Minute})
	want := "process.identity=ok exe.version_resource=ok host.role=ok adsync.service=warn ldap.bind=ok ldap.identity=unknown ldap.sign_seal=unknown " +
		"adminsdholder.write_dacl=ok protect_task.trigger=unknown powershell.language_mode=unknown adsync.module_import=skipped adsync.cmdlets=skipped csexport.found=skipped state_dir=ok event_log.source=ok"
	if got := checks(r); got != want {
		t.Errorf("checks:\n got %s\nwant %s", got, want)
	}
	if r.ExitCode != 0 || !strings.Contains(r.ProtectTask.Problem, "which identity the directory sees is not known (WhoAmI: ldap whoami") || !strings.Contains(r.PowerShell.Problem, "printed no doctor JSON") {
		t.Errorf("exit %d, protect task %q, powershell %q", r.ExitCode, r.ProtectTask.Problem, r.PowerShell.Problem)
	}
	if strings.Contains(strings.Join(runner.seen[0].Env, " "), "IMPORT=1") {
		t.Error("the ADSync module import was attempted on a host without ADSync")
	}
}

func TestDoctorNoDirectory(t *testing.T) {
	e := env(nil, &fakeRunner{out: psOK}, pdcFacts)
	e.Dialer, e.NoDirectoryReason = nil, "the live directory is read through wldap32, which this platform does not have"
	r := Run(context.Background(), e, Options{})
	for _, id := range []string{"ldap.bind", "adminsdholder.write_dacl", "protect_task.trigger"} {
		if c := find(r, id); c.Status != StatusUnknown || !strings.Contains(c.Message, "wldap32") {
			t.Errorf("%s: %+v", id, c)
		}
	}
	e = env(nil, &fakeRunner{out: psOK}, pdcFacts)
	e.Dialer = fakeDialer{err: &ldap.Error{Op: "bind", Code: 49, Message: "invalid credentials"}}
	r = Run(context.Background(), e, Options{})
	if c := find(r, "ldap.bind"); c.Status != StatusFail || !strings.Contains(c.Message, "invalid credentials") || r.ExitCode != 1 {
		t.Errorf("bind failure: %+v, exit %d", c, r.ExitCode)
	}
	if find(r, "ldap.identity").ID != "" {
		t.Error("identity checked without a bind")
	}
}

func find(r *Report, id string) Check {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return Check{}
}

func TestCanControlAccess(t *testing.T) {
	me, grp := ntsd.MustSID(domSID+"-1000"), ntsd.MustSID(domSID+"-512")
	other := ntsd.MustGUID("00299570-246d-11d0-a768-00aa006e0529")
	allow := func(mask uint32, sid ntsd.SID) ntsd.ACE {
		return ntsd.ACE{Type: ntsd.AccessAllowed, Mask: mask, SID: sid}
	}
	for _, c := range []struct {
		name    string
		aces    []ntsd.ACE
		allowed bool
		ace     int
	}{
		{"object ACE for the right", []ntsd.ACE{ntsd.NewObjectAllow(ntsd.RightControlAccess, runProtectTaskRight, grp)}, true, 0},
		{"object ACE for another right", []ntsd.ACE{ntsd.NewObjectAllow(ntsd.RightControlAccess, other, grp)}, false, -1},
		{"all extended rights", []ntsd.ACE{allow(ntsd.RightControlAccess, me)}, true, 0},
		{"generic all", []ntsd.ACE{allow(ntsd.GenericAll, grp)}, true, 0},
		{"read only", []ntsd.ACE{allow(ntsd.RightReadProperty|ntsd.RightList, me)}, false, -1},
		{"someone else", []ntsd.ACE{allow(ntsd.RightControlAccess, ntsd.MustSID(domSID+"-9999"))}, false, -1},
		{"inherit-only skipped", []ntsd.ACE{{Type: ntsd.AccessAllowed, Flags: ntsd.InheritOnly, Mask: ntsd.RightControlAccess, SID: me}}, false, -1},
		{"deny first wins", []ntsd.ACE{{Type: ntsd.AccessDenied, Mask: ntsd.RightControlAccess, SID: grp}, allow(ntsd.RightControlAccess, me)}, false, 0},
		{"allow first wins", []ntsd.ACE{allow(ntsd.RightControlAccess, me), {Type: ntsd.AccessDenied, Mask: ntsd.RightControlAccess, SID: grp}}, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd, err := ntsd.Parse(sdBytes(c.aces...))
			if err != nil {
				t.Fatal(err)
			}
			d := canControlAccess(sd, []ntsd.SID{me, grp, ntsd.Everyone}, runProtectTaskRight)
			if d.Allowed != c.allowed || d.ACE != c.ace {
				t.Errorf("allowed %v ACE %d (%s); want %v ACE %d", d.Allowed, d.ACE, d.Reason, c.allowed, c.ace)
			}
		})
	}
	if d := canControlAccess(&ntsd.SecurityDescriptor{}, nil, runProtectTaskRight); !d.Allowed {
		t.Error("no DACL must allow")
	}
}
