package detect

import (
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
	"entra8344/schema"
)

// Conversions from collected facts to verdict types; no decisions here.

func hostOf(f winhost.Facts) schema.Host {
	h := schema.Host{
		Computer:      f.ComputerName,
		DNSDomain:     f.DNSDomain,
		IsDC:          f.IsDC,
		IsPDCEmulator: f.IsPDCEmulator,
		ADSyncService: string(f.ADSyncService),
	}
	if h.ADSyncService == "" {
		h.ADSyncService = string(winhost.ServiceUnknown)
	}
	if f.ConnectVersion != "" {
		h.ConnectVersion = &f.ConnectVersion
	}
	if f.SyncEngineDir != "" {
		h.SyncEngineDir = &f.SyncEngineDir
	}
	return h
}

func syncOf(st *adsync.State) *schema.Sync {
	s := &schema.Sync{
		PowerShell: &schema.PowerShell{
			Version: st.PowerShell, LanguageMode: st.LanguageMode, ModuleVersion: st.ModuleVersion,
		},
		Connectors:          []schema.Connector{},
		MissingCapabilities: append([]string{}, st.Missing...),
	}
	if sc := st.Scheduler; sc != nil {
		s.Scheduler = &schema.Scheduler{
			SyncCycleEnabled:    sc.SyncCycleEnabled,
			StagingModeEnabled:  sc.StagingModeEnabled,
			SchedulerSuspended:  sc.SchedulerSuspended,
			SyncCycleInProgress: sc.SyncCycleInProgress,
			MaintenanceEnabled:  sc.MaintenanceEnabled,
			NextCycleStartUTC:   timePtr(sc.NextCycleStart),
			NextCyclePolicyType: sc.NextPolicyType,
			IntervalMinutes:     sc.IntervalMinutes,
		}
	}
	for _, c := range st.Connectors {
		vc := schema.Connector{
			Name: c.Name, ID: c.ID, Kind: string(c.Kind), Type: c.Type, Sub: c.Subtype,
			Partitions: []string{}, Runs: []schema.Run{}, CSExport: "skipped",
		}
		if c.Kind == adsync.KindAD && (c.LoginDomain != "" || c.LoginUser != "") {
			vc.Account = &schema.Account{Domain: c.LoginDomain, User: c.LoginUser}
		}
		for _, p := range c.Partitions {
			if p.Selected || c.Kind != adsync.KindAD {
				vc.Partitions = append(vc.Partitions, p.DN)
			}
		}
		for _, r := range c.Runs {
			vr := schema.Run{
				RunNumber: r.RunNumber, Profile: r.Profile, Result: r.Result,
				Start: timePtr(r.Start), End: timePtr(r.End), StepDetails: r.StepDetails, Steps: []schema.Step{},
			}
			for _, st := range r.Steps {
				vr.Steps = append(vr.Steps, schema.Step{
					Number: st.Number, Result: st.Result,
					ExportAdd: st.ExportAdd, ExportUpdate: st.ExportUpdate, ExportDelete: st.ExportDelete,
					ExportFailure: st.ExportFailure, SyncErrorsCount: len(st.SyncErrors),
				})
			}
			vc.Runs = append(vc.Runs, vr)
		}
		s.Connectors = append(s.Connectors, vc)
	}
	return s
}

// rfc3339 renders a time as the verdict does everywhere: UTC, milliseconds when present.
func rfc3339(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

func timePtr(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := rfc3339(*t)
	return &s
}
