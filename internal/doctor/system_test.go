package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/ntsd"
)

// SYSTEM binding to its own DC is a loopback logon: WhoAmI names the local
// SYSTEM token, which no sAMAccountName search finds. doctor evaluates that
// token's SIDs instead of reporting unknown on every DC.
func TestDoctorSystemOnItsOwnDC(t *testing.T) {
	admins := ntsd.NewObjectAllow(ntsd.RightControlAccess, runProtectTaskRight, ntsd.MustSID("S-1-5-32-544"))
	dcGroup := ntsd.NewObjectAllow(ntsd.RightControlAccess, runProtectTaskRight, ntsd.MustSID(domSID+"-516"))
	for _, c := range []struct {
		name, whoami, processSID string
		aces                     []ntsd.ACE
		may                      *bool  // nil: unknown
		want                     string // in Evidence, or in Problem when may is nil
	}{
		{"SYSTEM, right held through BUILTIN\\Administrators", `u:NT AUTHORITY\SYSTEM`, "S-1-5-18", []ntsd.ACE{admins}, boolp(true), "local SYSTEM token"},
		{"localised SYSTEM name", `u:AUTORITE NT\Système`, "S-1-5-18", []ntsd.ACE{admins}, boolp(true), "local SYSTEM token"},
		{"the token does not carry the DC account's groups", `u:NT AUTHORITY\SYSTEM`, "S-1-5-18", []ntsd.ACE{dcGroup}, boolp(false), "no ACE"},
		{"SYSTEM seen as the computer account (another DC)", `u:CORP\DC01$`, "S-1-5-18", []ntsd.ACE{dcGroup}, boolp(true), "allows"},
		{"an administrator is looked up, not taken for SYSTEM", `u:NT AUTHORITY\SYSTEM`, "S-1-5-21-9-9-9-500", []ntsd.ACE{admins}, nil, "find u:NT AUTHORITY\\SYSTEM"},
		{"unknown process SID", `u:NT AUTHORITY\SYSTEM`, "", []ntsd.ACE{admins}, nil, "(0 found)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := directory("15", c.aces...)
			conn.whoami = c.whoami
			e := env(conn, &fakeRunner{out: psOK}, pdcFacts)
			e.Process = func() Process {
				return Process{User: `NT AUTHORITY\SYSTEM`, SID: c.processSID, IsSystem: boolp(c.processSID == "S-1-5-18"), Elevated: boolp(true)}
			}
			r := Run(context.Background(), e, Options{DirectoryTimeout: time.Minute, PowerShellTimeout: time.Minute})
			p := r.ProtectTask
			switch {
			case c.may == nil:
				if p.MayTrigger != nil || !strings.Contains(p.Problem, c.want) {
					t.Errorf("may_trigger %v, problem %q; want unknown with %q", p.MayTrigger, p.Problem, c.want)
				}
			case p.MayTrigger == nil || *p.MayTrigger != *c.may || !strings.Contains(p.Evidence, c.want):
				t.Errorf("may_trigger %v, evidence %q, problem %q; want %v with %q", p.MayTrigger, p.Evidence, p.Problem, *c.may, c.want)
			}
			if c.processSID == "S-1-5-18" && !strings.HasSuffix(c.whoami, "$") {
				for _, s := range conn.searches {
					if strings.Contains(s, "sAMAccountName") {
						t.Errorf("looked SYSTEM up by name: %s", s)
					}
				}
			}
		})
	}
}

// doctor.ps1's document is the marked line, whatever the ADSync module and
// Write-Host print around it; Get-ADSyncScheduler's answer is its own check.
func TestDoctorPowerShellOutput(t *testing.T) {
	doc := func(sched string) string {
		return `{"language_mode":"FullLanguage","version":"5.1","module":{"path":"x","imported":true,"import_ms":900,"version":"1.0","error":""` + sched + `}}`
	}
	noise := "WARNING: The names of some imported commands from the module 'ADSync' include unapproved verbs.\r\nBanner from a profile\r\n"
	for _, c := range []struct{ name, out, lang, cmdlets, problem string }{
		{"noise around the marked line", noise + adsync.JSONMarker + doc(`,"scheduler_read":true,"scheduler_error":""`) + "\r\nVERBOSE: done\r\n", "ok", "ok", ""},
		{"scheduler refused", adsync.JSONMarker + doc(`,"scheduler_read":false,"scheduler_error":"Access is denied."`), "ok", "fail", ""},
		{"scheduler not tried", adsync.JSONMarker + doc(``), "ok", "unknown", ""},
		{"document without its marked line", doc(`,"scheduler_read":true`), "unknown", "unknown", "printed no " + adsync.JSONMarker},
		{"marked line of something else", adsync.JSONMarker + `{"started":true}`, "unknown", "unknown", "not the doctor's document"},
		{"two marked lines", adsync.JSONMarker + doc(``) + "\n" + adsync.JSONMarker + doc(``), "unknown", "unknown", "want exactly one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Run(context.Background(), env(directory("15"), &fakeRunner{out: c.out}, pdcFacts), Options{DirectoryTimeout: time.Minute})
			if got := find(r, "powershell.language_mode").Status; got != c.lang {
				t.Errorf("language mode %s, want %s (%s)", got, c.lang, r.PowerShell.Problem)
			}
			if got := find(r, "adsync.cmdlets"); got.Status != c.cmdlets {
				t.Errorf("adsync.cmdlets %+v, want %s", got, c.cmdlets)
			}
			if !strings.Contains(r.PowerShell.Problem, c.problem) {
				t.Errorf("problem %q, want %q", r.PowerShell.Problem, c.problem)
			}
		})
	}
}
