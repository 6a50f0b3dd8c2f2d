package detect

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/fixtures"
	"entra8344/internal/adsync"
)

// No scenario hides an export error behind history-clean: for every
// connector detect did not run csexport on, the scenario's recorded csexport
// output (read here directly) lists no export error.
func TestHistoryCleanHidesNoExportError(t *testing.T) {
	skipped := 0
	for _, name := range fixtures.Names() {
		sc := loadScenario(t, name)
		v := runScenario(sc, sc.Runner())
		if v.Sync == nil {
			continue
		}
		for i, c := range v.Sync.Connectors {
			if c.CSExport != CSExportHistoryClean {
				continue
			}
			skipped++
			n := 0
			dir := t.TempDir()
			_, err := adsync.ExportErrorsOf(context.Background(), sc.Runner(), `C:\csexport.exe`, c.Name, dir, i, time.Minute, func(adsync.ExportError) error { n++; return nil })
			if err != nil && !os.IsNotExist(err) && !strings.Contains(err.Error(), "no recorded") {
				t.Errorf("%s/%s: read the recorded csexport: %v", name, c.Name, err)
			}
			if n > 0 {
				t.Errorf("%s: connector %q was not exported although its recorded csexport lists %d export errors", name, c.Name, n)
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no scenario left csexport out: the test proves nothing")
	}
}

func TestNeedsCSExport(t *testing.T) {
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	i64 := func(n int64) *int64 { return &n }
	bl := func(b bool) *bool { return &b }
	f64 := func(f float64) *float64 { return &f }
	now := *at("2025-06-16T15:00:00Z")
	sched := func() *adsync.Scheduler {
		return &adsync.Scheduler{SyncCycleInProgress: bl(false), NextCycleStart: at("2025-06-16T15:00:05Z"), IntervalMinutes: f64(30)}
	}
	export := func(start string, fail *int64) adsync.Run {
		return adsync.Run{RunNumber: 7, Profile: "Export", Result: "success", Start: at(start), End: at(start), StepDetails: true,
			Steps: []adsync.Step{{Number: 1, Result: "success", ExportFailure: fail}}}
	}
	clean := export("2025-06-16T14:30:06Z", i64(0))
	for _, c := range []struct {
		name  string
		runs  []adsync.Run
		sched func(*adsync.Scheduler) *adsync.Scheduler
		want  string // "" = csexport left out; else a word of the reason
	}{
		{"clean last cycle", []adsync.Run{clean}, nil, ""},
		{"run at the cycle's start", []adsync.Run{export("2025-06-16T14:30:05Z", i64(0))}, nil, ""},
		{"export failures", []adsync.Run{export("2025-06-16T14:30:06Z", i64(3))}, nil, "export failures"},
		{"older run with failures", []adsync.Run{clean, export("2025-06-16T14:00:06Z", i64(1))}, nil, "export failures"},
		{"result names export errors", []adsync.Run{{Profile: "Custom", Result: "completed-export-errors"}, clean}, nil, "export-errors"},
		{"sync errors listed", []adsync.Run{clean, {Profile: "Delta Import", Steps: []adsync.Step{{SyncErrorsOmitted: 2}}}}, nil, "sync errors"},
		{"no export run", []adsync.Run{{Profile: "Delta Import", Result: "success"}}, nil, "no export run"},
		{"failure count unknown", []adsync.Run{export("2025-06-16T14:30:06Z", nil)}, nil, "zero export failures"},
		{"no step details", []adsync.Run{{Profile: "Export", Result: "success", Start: at("2025-06-16T14:30:06Z"), End: at("2025-06-16T14:31:00Z")}}, nil, "step details"},
		{"export stopped", []adsync.Run{{Profile: "Export", Result: "stopped-server-down", Start: at("2025-06-16T14:30:06Z")}}, nil, "stopped"},
		{"export still running", []adsync.Run{{Profile: "Export", Result: "success", Start: at("2025-06-16T14:30:06Z"), StepDetails: true}}, nil, "no end time"},
		{"before the last cycle", []adsync.Run{export("2025-06-16T14:30:04Z", i64(0))}, nil, "before the last cycle"},
		{"cycle in progress", []adsync.Run{clean}, func(s *adsync.Scheduler) *adsync.Scheduler { s.SyncCycleInProgress = bl(true); return s }, "in progress"},
		{"in-progress unknown (old build)", []adsync.Run{clean}, func(s *adsync.Scheduler) *adsync.Scheduler { s.SyncCycleInProgress = nil; return s }, "not fully known"},
		{"next start passed", []adsync.Run{clean}, func(s *adsync.Scheduler) *adsync.Scheduler { s.NextCycleStart = at("2025-06-16T14:59:00Z"); return s }, "has passed"},
		{"no interval", []adsync.Run{clean}, func(s *adsync.Scheduler) *adsync.Scheduler { s.IntervalMinutes = nil; return s }, "not fully known"},
		{"no scheduler", []adsync.Run{clean}, func(*adsync.Scheduler) *adsync.Scheduler { return nil }, "not fully known"},
		{"an export run without start", []adsync.Run{clean, {Profile: "Export", Result: "success"}}, nil, "no export run"},
	} {
		s := sched()
		if c.sched != nil {
			s = c.sched(s)
		}
		got := needsCSExport(adsync.Connector{Name: "contoso.com", Runs: c.runs}, s, now)
		if (got == "") != (c.want == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.want)
		}
	}
}
