package doctor

import (
	"context"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"errors"
	"strings"
	"testing"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

// Off Windows doctor claims no Windows fact: what the Linux prober says
// ("ADSync absent") and a private POSIX directory are not passed off as
// a checked service or a DACL private to SYSTEM and Administrators; every
// check names where its fact came from.
func TestDoctorFactSources(t *testing.T) {
	linux := linuxEnv()
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

// Every report doctor produces validates against `entra8344 schema doctor`
// (the native Linux run and Wine's are validated in internal/cli), and
// the schema refuses what doctor must not print.
func TestDoctorReportSchema(t *testing.T) {
	unknowns := env(directory("15"), &fakeRunner{}, winhost.Facts{ADSyncService: winhost.ServiceAbsent})
	unknowns.Dialer = fakeDialer{err: errors.New("bind refused")}
	member := env(directory("0"), &fakeRunner{out: adsync.JSONMarker + `{"language_mode":"NoLanguage","version":"5.1","module":{"path":"","imported":false,"import_ms":40,"version":"","error":"x"}}`}, pdcFacts)
	member.StateDir = func() winhost.StateDirStatus { return winhost.StateDirStatus{Problem: "locate %ProgramData%: failed"} }
	var docs [][]byte
	for _, e := range []Env{linuxEnv(), env(directory("15"), &fakeRunner{out: psOK}, pdcFacts), unknowns, member} {
		r := Run(context.Background(), e, Options{DirectoryTimeout: time.Minute, PowerShellTimeout: time.Minute})
		doc, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemacheck.Validate("doctor", doc); err != nil {
			t.Errorf("%s report (%s): %v\n%s", e.Platform, checks(r), err, doc)
		}
		docs = append(docs, doc)
	}
	for _, c := range []struct{ name, from, to string }{
		{"a claim from nowhere", `"source":"windows"`, `"source":"not_checked"`},
		{"an unknown field", `"platform":`, `"extra":1,"platform":`},
		{"an unknown source", `"source":"windows"`, `"source":"guess"`},
		{"another schema version", `"entra8344.doctor.v1"`, `"entra8344.doctor.v2"`},
	} {
		bad := strings.Replace(string(docs[1]), c.from, c.to, 1)
		if bad == string(docs[1]) || schemacheck.Validate("doctor", []byte(bad)) == nil {
			t.Errorf("%s: the schema accepts it", c.name)
		}
	}
}

// linuxEnv is what DefaultEnv gives off Windows.
func linuxEnv() Env {
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
	return linux
}
