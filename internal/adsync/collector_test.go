package adsync

import (
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/collector/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wrapConnector places raw cmdlet output (the reference samples) where the
// collector would put it, to prove the parser reads the raw 5.1 forms too.
func wrapConnector(runs string) []byte {
	return []byte(`{"collector_version":1,"module":{"loaded":true},"connectors":{"Name":"contoso.com","Identifier":"{FFFB4A69-4ED6-444D-8B89-73BC16F373DD}","Type":"AD","LoginDomain":"CONTOSO","LoginUser":"MSOL_1","Partitions":null,"Runs":` + runs + `}}`)
}

func TestParseCollectorRawRunHistory(t *testing.T) {
	// samples/run-profile-results.json: raw ConvertTo-Json, \/Date()\/, RunStepResults null;
	// and the connector given as a lone object instead of a list.
	st, err := ParseCollector(wrapConnector(string(readTestdata(t, "run-profile-results.json"))))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Connectors) != 1 {
		t.Fatalf("%d connectors", len(st.Connectors))
	}
	c := st.Connectors[0]
	if c.Kind != KindAD || c.ID != "fffb4a69-4ed6-444d-8b89-73bc16f373dd" || len(c.Partitions) != 0 {
		t.Errorf("connector %+v", c)
	}
	if len(c.Runs) != 3 {
		t.Fatalf("%d runs", len(c.Runs))
	}
	r := c.Runs[0]
	if r.RunNumber != 48213 || r.Profile != "Export" || r.Result != "completed-export-errors" || r.StepDetails || len(r.Steps) != 0 {
		t.Errorf("run %+v", r)
	}
	if want := time.UnixMilli(1750084205120).UTC(); r.Start == nil || !r.Start.Equal(want) {
		t.Errorf("start %v, want %v", r.Start, want)
	}
}

func TestParseCollectorProjectedStep(t *testing.T) {
	// samples/run-step-projection.json: one run as a lone object, \u003c-escaped XML.
	st, err := ParseCollector(wrapConnector(string(readTestdata(t, "run-step-projection.json"))))
	if err != nil {
		t.Fatal(err)
	}
	r := st.Connectors[0].Runs[0]
	if !r.StepDetails || len(r.Steps) != 1 {
		t.Fatalf("run %+v", r)
	}
	s := r.Steps[0]
	if s.ExportFailure == nil || *s.ExportFailure != 2 || *s.ExportUpdate != 1 {
		t.Errorf("step counters %+v", s)
	}
	if len(s.SyncErrors) != 2 || s.SyncErrorsInvalid != "" {
		t.Fatalf("sync errors %d (%s)", len(s.SyncErrors), s.SyncErrorsInvalid)
	}
	e := s.SyncErrors[1]
	if e.DN != "CN=Bob Ops,OU=Admins,DC=contoso,DC=com" || e.Code != 8344 || e.RetryCount != 2113 || e.ErrorType != "permission-issue" {
		t.Errorf("sync error %+v", e)
	}
	// "2025-06-16T14:30:05.1200000" has no zone: the engine keeps UTC.
	if want := time.Date(2025, 6, 16, 14, 30, 5, 120000000, time.UTC); !r.Start.Equal(want) {
		t.Errorf("start %v", r.Start)
	}
}

func TestParseCollectorRawScheduler(t *testing.T) {
	raw := readTestdata(t, "scheduler.json")
	st, err := ParseCollector([]byte(`{"module":{"loaded":true},"scheduler":` + string(raw) + `,"connectors":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := st.Scheduler
	if s == nil || s.SyncCycleEnabled == nil || !*s.SyncCycleEnabled || *s.StagingModeEnabled || *s.SyncCycleInProgress {
		t.Fatalf("scheduler %+v", s)
	}
	if s.NextPolicyType == nil || *s.NextPolicyType != "Delta" {
		t.Errorf("policy %v", s.NextPolicyType)
	}
	if s.IntervalMinutes == nil || *s.IntervalMinutes != 30 {
		t.Errorf("interval %v", s.IntervalMinutes)
	}
	if want := time.UnixMilli(1750086005000).UTC(); s.NextCycleStart == nil || !s.NextCycleStart.Equal(want) {
		t.Errorf("next %v", s.NextCycleStart)
	}
	// The 2016 build has no SchedulerSuspended / SyncCycleInProgress: unknown, not false.
	var kept []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.Contains(line, "SchedulerSuspended") && !strings.Contains(line, "SyncCycleInProgress") {
			kept = append(kept, line)
		}
	}
	old := strings.Replace(strings.Join(kept, "\n"), ",\n}", "\n}", 1)
	st, err = ParseCollector([]byte(`{"scheduler":` + old + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if st.Scheduler.SchedulerSuspended != nil || st.Scheduler.SyncCycleInProgress != nil {
		t.Errorf("missing booleans must stay unknown: %+v", st.Scheduler)
	}
}

func TestParseCollectorEncodingsAndShapes(t *testing.T) {
	doc := `{"module":{"loaded":"True"},"missing":"Get-ADSyncScheduler","scheduler":{"StagingModeEnabled":1,"CurrentlyEffectiveSyncCycleInterval":"1.02:03:00"},"connectors":[{"Name":"Zo\u00eb","Type":"Extensible2","Subtype":"Windows Azure Active Directory (Microsoft)","Runs":null}]}`
	utf16le := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	for name, raw := range map[string][]byte{
		"plain":        []byte(doc),
		"utf-8 bom":    append([]byte{0xEF, 0xBB, 0xBF}, doc+"\r\n"...),
		"utf-16le bom": utf16le(doc),
		"wrapped":      []byte("[" + doc + "]"),
	} {
		st, err := ParseCollector(raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !st.ModuleLoaded || len(st.Missing) != 1 || *st.Scheduler.StagingModeEnabled != true {
			t.Errorf("%s: %+v", name, st)
		}
		if *st.Scheduler.IntervalMinutes != 26*60+3 {
			t.Errorf("%s: interval %v", name, *st.Scheduler.IntervalMinutes)
		}
		if c := st.Connectors[0]; c.Name != "Zoë" || c.Kind != KindAAD || c.Runs != nil {
			t.Errorf("%s: connector %+v", name, c)
		}
	}
}

func TestParseCollectorRejects(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":      "",
		"only bom":   "\xEF\xBB\xBF\r\n",
		"text":       "Import-Module : The specified module 'ADSync' was not loaded",
		"truncated":  `{"connectors":[{"Name":"x"`,
		"number":     "42",
		"two docs":   `[{"a":1},{"b":2}]`,
		"not utf-8":  "{\"Name\":\"\xff\xfe\xfd\"}",
		"odd utf-16": "\xFF\xFE{\x00\"",
	} {
		if _, err := ParseCollector([]byte(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseCollector(f *testing.F) {
	for _, name := range []string{"run-profile-results.json", "run-step-projection.json", "scheduler.json"} {
		b, err := os.ReadFile("testdata/collector/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(wrapConnector(string(b)))
	}
	f.Add([]byte(`{"scheduler":{"NextSyncCycleStartTimeInUTC":"\/Date(-62135596800000)\/"}}`))
	for _, b := range scenarioCollectors(f) { // every scenario's collector.json (issue 19 §5)
		f.Add(b)
		f.Add(utf16With(string(b), false))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		st, err := ParseCollector(raw)
		if err != nil {
			return
		}
		for _, c := range st.Connectors {
			if c.Kind != KindAD && c.Kind != KindAAD && c.Kind != KindOther {
				t.Fatalf("kind %q", c.Kind)
			}
			for _, r := range c.Runs {
				if !r.StepDetails && len(r.Steps) > 0 {
					t.Fatalf("steps without step details")
				}
			}
		}
	})
}

// The collector is read by powershell.exe from stdin in the console code
// page, runs under Constrained Language Mode, and takes no parameters in its
// text: check what can be checked without PowerShell.
func TestCollectorScriptRules(t *testing.T) {
	for i, b := range CollectorScript {
		if b >= 0x80 {
			t.Fatalf("collector.ps1 byte %d is not ASCII", i)
		}
	}
	var code []string // the rules apply to code, not to the comments that state them
	for _, line := range strings.Split(string(CollectorScript), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			code = append(code, line)
		}
	}
	lower := strings.ToLower(strings.Join(code, "\n"))
	for _, banned := range []string{"add-type", "new-object", "[adsi", "[system.reflection", "::new(", "[console]::", "-encodedcommand", "start-process", "set-adsync", "start-adsync"} {
		if strings.Contains(lower, banned) {
			t.Errorf("collector.ps1 uses %q (not CLM-safe or not read-only)", banned)
		}
	}
	for _, arg := range CollectorArgs() {
		if strings.Contains(arg, "ENTRA8344_") {
			t.Errorf("parameters must not appear on the command line: %q", arg)
		}
	}
	if !strings.Contains(string(CollectorScript), "ConvertTo-Json -InputObject $out -Depth 10 -Compress") {
		t.Errorf("collector must serialise with -InputObject and a high -Depth")
	}
}

func TestLocate(t *testing.T) {
	exe, err := CSExportPath(`"C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe"`, "")
	if err != nil || exe != `C:\Program Files\Microsoft Azure AD Sync\Bin\csexport.exe` {
		t.Errorf("from ImagePath: %q %v", exe, err)
	}
	exe, err = CSExportPath("", `D:\AADSync\`)
	if err != nil || exe != `D:\AADSync\Bin\csexport.exe` {
		t.Errorf("from Location: %q %v", exe, err)
	}
	if _, err := CSExportPath("", ""); err == nil {
		t.Errorf("no path must be an error")
	}
	if got := ModulePath(`C:\Program Files\Microsoft Azure AD Sync\`); got != `C:\Program Files\Microsoft Azure AD Sync\Bin\ADSync\ADSync.psd1` {
		t.Errorf("module %q", got)
	}
	if got := CSExportArgs("contoso.com", `C:\t\x.xml`); strings.Join(got, "|") != `contoso.com|C:\t\x.xml|/f:e` {
		t.Errorf("args %q", got)
	}
}
