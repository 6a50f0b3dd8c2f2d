package detect

import (
	"fmt"
	"strings"
	"time"

	"entra8344/internal/adsync"
)

// CSExportHistoryClean is a connector's csexport value when csexport was not
// started because its run history already proves there is no export error.
const CSExportHistoryClean = "history-clean"

// needsCSExport decides whether csexport must run for connector c: it may be
// left out only when the run history proves that the connector space holds
// no export error now. Every export retries the objects that failed before
// (they stay pending export), so the newest export run's failure count is
// the connector space's; the proof needs that run to be the last cycle's.
//
// "Covers the last cycle": the scheduler is idle (SyncCycleInProgress known
// false: NextSyncCycleStartTimeInUTC does not move while a cycle runs), its
// next start is known and still ahead of now, and the newest export run
// started no earlier than next start minus the effective interval, the
// start of the cycle that set it. Anything unknown or odd is a reason to run
// csexport: a quiet server is worth less than a missed export error. The
// reason is "" when csexport can be left out.
func needsCSExport(c adsync.Connector, s *adsync.Scheduler, now time.Time) string {
	for _, run := range c.Runs {
		if strings.Contains(strings.ToLower(run.Result), "export-error") {
			return fmt.Sprintf("run %d (%q) ended %q", run.RunNumber, run.Profile, run.Result)
		}
		for _, st := range run.Steps {
			switch {
			case st.ExportFailure != nil && *st.ExportFailure != 0:
				return fmt.Sprintf("run %d (%q) counted %d export failures", run.RunNumber, run.Profile, *st.ExportFailure)
			case len(st.SyncErrors) > 0 || st.SyncErrorsOmitted > 0 || st.SyncErrorsInvalid != "":
				return fmt.Sprintf("run %d (%q) lists sync errors", run.RunNumber, run.Profile)
			}
		}
	}
	last := newestExport(c.Runs)
	switch {
	case last == nil:
		return "no export run in the run history read"
	case last.Result != "success":
		return fmt.Sprintf("the newest export run %d ended %q", last.RunNumber, last.Result)
	case last.End == nil:
		return fmt.Sprintf("the newest export run %d has no end time (still running?)", last.RunNumber)
	case !last.StepDetails || len(last.Steps) == 0:
		return fmt.Sprintf("the newest export run %d has no step details", last.RunNumber)
	}
	for _, st := range last.Steps {
		if st.ExportFailure == nil || st.Result != "success" {
			return fmt.Sprintf("step %d of the newest export run %d does not state zero export failures", st.Number, last.RunNumber)
		}
	}
	switch {
	case s == nil || s.SyncCycleInProgress == nil || s.NextCycleStart == nil || s.IntervalMinutes == nil || *s.IntervalMinutes <= 0:
		return "the scheduler's state (cycle in progress, next start, interval) is not fully known"
	case *s.SyncCycleInProgress:
		return "a sync cycle is in progress"
	case !now.Before(*s.NextCycleStart):
		return "the next sync cycle's start time has passed (a cycle may be running)"
	}
	cycle := s.NextCycleStart.Add(-time.Duration(*s.IntervalMinutes * float64(time.Minute)))
	if last.Start.Before(cycle) {
		return fmt.Sprintf("the newest export run %d started %s, before the last cycle (%s)", last.RunNumber,
			last.Start.UTC().Format(time.RFC3339), cycle.UTC().Format(time.RFC3339))
	}
	return ""
}

// newestExport is the export run (profile "Export", the name Connect gives
// it) that started last; a run without a start time makes it unknown (nil).
func newestExport(runs []adsync.Run) *adsync.Run {
	var last *adsync.Run
	for i := range runs {
		r := &runs[i]
		if !strings.EqualFold(r.Profile, "Export") {
			continue
		}
		if r.Start == nil {
			return nil
		}
		if last == nil || r.Start.After(*last.Start) {
			last = r
		}
	}
	return last
}
