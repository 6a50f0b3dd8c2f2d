package doctor

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entra8344/internal/winhost"
)

// Off Windows doctor claims no Windows fact: what the Linux prober says
// ("ADSync absent") and a private POSIX directory are not passed off as
// a checked service or a DACL private to SYSTEM and Administrators; every
// check names where its fact came from.
func TestDoctorFactSources(t *testing.T) {
	linux := env(nil, &fakeRunner{}, winhost.Facts{ComputerName: "vm", ADSyncService: winhost.ServiceAbsent, Notes: []string{"not a Windows host"}})
	linux.Platform, linux.Dialer = "linux", nil
	linux.NoDirectoryReason = "the live directory is read through Windows' LDAP client (wldap32), which this platform does not have"
	linux.Process = func() Process { return Process{User: "uid 1000", Problem: notWindows} }
	linux.Exe = func() Exe { return Exe{Path: "/usr/local/bin/entra8344", Problem: notWindows} }
	linux.StateDir = func() winhost.StateDirStatus {
		return winhost.StateDirStatus{Path: "/tmp/entra8344-1000", CheckedAs: winhost.StateDirPOSIXMode, Exists: boolp(true), Secure: boolp(true), Writable: boolp(true)}
	}
	linux.EventLog = func() winhost.EventSourceStatus {
		return winhost.EventSourceStatus{Source: "entra8344", Problem: "the Windows event log exists only on Windows"}
	}
	for _, c := range []struct {
		name    string
		env     Env
		sources map[string]string // check id -> source, every check listed
		never   []string          // in no message and nowhere in the document
	}{
		{"linux", linux, map[string]string{
			"process.identity": SourceNotChecked, "exe.version_resource": SourceNotChecked, "host.role": SourceNotChecked,
			"adsync.service": SourceNotChecked, "ldap.bind": SourceNotChecked, "adminsdholder.write_dacl": SourceNotChecked,
			"protect_task.trigger": SourceNotChecked, "powershell.language_mode": SourceNotChecked, "adsync.module_import": SourceNotChecked,
			"adsync.cmdlets": SourceNotChecked, "csexport.found": SourceNotChecked, "state_dir": SourcePOSIX, "event_log.source": SourceNotChecked,
		}, []string{"SYSTEM and Administrators", "ADSync is not installed", `"absent"`, "not_applicable"}},
		{"windows", env(directory("15"), &fakeRunner{out: psOK}, pdcFacts), map[string]string{
			"process.identity": SourceWindows, "exe.version_resource": SourceWindows, "host.role": SourceWindows, "adsync.service": SourceWindows,
			"ldap.bind": SourceDirectory, "ldap.identity": SourceDirectory, "ldap.sign_seal": SourceDirectory, "adminsdholder.write_dacl": SourceDirectory, "protect_task.trigger": SourceDirectory,
			"powershell.language_mode": SourcePowerShell, "adsync.module_import": SourcePowerShell, "adsync.cmdlets": SourcePowerShell,
			"csexport.found": SourceFile, "state_dir": SourceWindows, "event_log.source": SourceWindows,
		}, []string{"not checked"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Run(context.Background(), c.env, Options{DirectoryTimeout: time.Minute, PowerShellTimeout: time.Minute})
			doc, _ := json.Marshal(r)
			for _, s := range c.never {
				if strings.Contains(string(doc), s) {
					t.Errorf("the report says %q:\n%s", s, doc)
				}
			}
			for _, ch := range r.Checks {
				want, ok := c.sources[ch.ID]
				if !ok || ch.Source != want {
					t.Errorf("%s: source %q, want %q (%s)", ch.ID, ch.Source, want, ch.Message)
				}
				if ch.Source == SourceNotChecked && (ch.Status != StatusSkipped || !strings.HasPrefix(ch.Message, notWindows)) {
					t.Errorf("%s: %s %q; want skipped, %q", ch.ID, ch.Status, ch.Message, notWindows)
				}
			}
			if c.name == "linux" && (r.Platform != "linux" || r.Host.Role != "not_checked" || r.Status != "ok" ||
				!strings.Contains(find(r, "state_dir").Message, "private to this user")) {
				t.Errorf("platform %q role %q status %s state_dir %+v", r.Platform, r.Host.Role, r.Status, find(r, "state_dir"))
			}
		})
	}
}
