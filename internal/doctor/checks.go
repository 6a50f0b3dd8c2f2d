package doctor

import (
	"fmt"

	"entra8344/internal/winhost"
)

// assess turns the report's sections into the summary lines, one per
// check, in a fixed order with stable ids.
func assess(r *Report) []Check {
	var cs []Check
	src := SourceWindows // the source of the add and unknown calls that follow
	add := func(id, status, format string, a ...any) {
		cs = append(cs, Check{ID: id, Status: status, Source: src, Message: fmt.Sprintf(format, a...)})
	}
	unknown := func(id, why string) { add(id, StatusUnknown, "%s", why) }
	// notChecked: nothing was read for this check; why says what is missing.
	notChecked := func(id, why string) {
		cs = append(cs, Check{ID: id, Status: StatusSkipped, Source: SourceNotChecked, Message: why})
	}
	win := r.Platform == "windows"
	if !win {
		// Off Windows no Windows fact is read (the prober answers "ADSync
		// absent" there, which doctor must not pass off as checked).
		for _, c := range []struct{ id, what string }{
			{"process.identity", "SYSTEM and elevation are Windows notions; this process runs as " + r.Process.User},
			{"exe.version_resource", "version resources exist only in Windows executables"},
			{"host.role", "domain controller or member server"},
			{"adsync.service", "the ADSync service"},
		} {
			notChecked(c.id, notWindows+" ("+c.what+")")
		}
	}

	if win {
		// Who we are.
		switch p := r.Process; {
		case p.IsSystem == nil:
			unknown("process.identity", p.Problem)
		case *p.IsSystem:
			add("process.identity", StatusOK, "runs as SYSTEM (%s), as the RMM will", p.User)
		case p.Elevated != nil && *p.Elevated:
			add("process.identity", StatusWarn, "runs as %s (elevated), not as SYSTEM: the RMM runs it as SYSTEM, whose directory identity is the computer account", p.User)
		default:
			add("process.identity", StatusFail, "runs as %s, not elevated: the host checks, the state directory and the event log need SYSTEM or an elevated administrator", p.User)
		}
		switch e := r.Exe; {
		case e.MatchesBuild == nil:
			unknown("exe.version_resource", e.Problem)
		case *e.MatchesBuild:
			add("exe.version_resource", StatusOK, "file properties show version %s (file version %s), as `version` does", e.ProductVersion, e.FileVersion)
		default:
			add("exe.version_resource", StatusWarn, "file properties show product version %q, file version %q; this build is %q (not a release build?)", e.ProductVersion, e.FileVersion, r.Tool.Version)
		}

		// The host.
		switch h := r.Host; h.Role {
		case "unknown":
			unknown("host.role", "the host role could not be read: see host.notes")
		default:
			add("host.role", StatusOK, "%s is a %s", h.Computer, map[string]string{"pdc_emulator": "domain controller holding the PDC emulator role (where remediate can trigger the protection task)",
				"domain_controller": "domain controller, not the PDC emulator", "member": "member server"}[h.Role])
		}
		switch s := winhost.ServiceState(r.Host.ADSyncService); s {
		case winhost.ServiceRunning:
			add("adsync.service", StatusOK, "ADSync is running (Entra Connect %s)", r.Host.ConnectVersion)
		case winhost.ServiceAbsent:
			add("adsync.service", StatusWarn, "ADSync is not installed: detect answers not_applicable on this host")
		case winhost.ServiceUnknown, "":
			unknown("adsync.service", "the ADSync service state could not be read: see host.notes")
		default:
			add("adsync.service", StatusWarn, "ADSync is %s: detect reports sync_service_down", s)
		}
	}

	// The directory.
	l := r.LDAP
	src = SourceDirectory
	switch {
	case l.Bound == nil && !win:
		notChecked("ldap.bind", notWindows+": "+l.Problem)
	case l.Bound == nil:
		unknown("ldap.bind", "no directory connection: "+l.Problem)
	case !*l.Bound:
		add("ldap.bind", StatusFail, "%s", l.Problem)
	case l.Problem != "":
		add("ldap.bind", StatusFail, "bound to %s, but %s", l.Server, l.Problem)
	default:
		add("ldap.bind", StatusOK, "bound to %s (domain %s) with %d LDAP operations", l.Server, l.DomainNC, l.Operations)
	}
	if l.Bound != nil && *l.Bound {
		if l.Identity != "" {
			add("ldap.identity", StatusOK, "the directory sees this process as %s", l.Identity)
		} else {
			unknown("ldap.identity", "WhoAmI: "+l.IdentityProblem)
		}
		switch {
		case l.SignSeal != nil && *l.SignSeal && l.Sealed != nil && *l.Sealed:
			add("ldap.sign_seal", StatusOK, "signing and sealing were required and sealing is on")
		case l.SignSeal != nil && *l.SignSeal:
			add("ldap.sign_seal", StatusWarn, "signing and sealing were required for the bind, but sealing did not read back as on")
		default:
			unknown("ldap.sign_seal", l.ProtectionNote)
		}
	}
	switch h := r.AdminSDHolder; {
	case l.Bound == nil && !win:
		notChecked("adminsdholder.write_dacl", notWindows+": no directory connection")
	case h.MayWriteDACL == nil:
		unknown("adminsdholder.write_dacl", h.Problem)
	case *h.MayWriteDACL:
		add("adminsdholder.write_dacl", StatusOK, "this identity may write the DACL of %s (sDRightsEffective %d)", h.DN, *h.SDRightsEffective)
	default:
		add("adminsdholder.write_dacl", StatusWarn, "this identity may not write the DACL of %s (sDRightsEffective %d): remediate must run where it may, usually on a domain controller", h.DN, *h.SDRightsEffective)
	}
	switch p := r.ProtectTask; {
	case l.Bound == nil && !win:
		notChecked("protect_task.trigger", notWindows+": no directory connection")
	case p.MayTrigger == nil:
		unknown("protect_task.trigger", p.Problem)
	case *p.MayTrigger:
		add("protect_task.trigger", StatusOK, "this identity holds %s (%s); the PDC emulator is %s", p.Right, p.Evidence, p.PDCEmulator)
	default:
		add("protect_task.trigger", StatusWarn, "this identity does not hold %s (%s): after a fix, the protection task runs within its 60-minute period instead", p.Right, p.Evidence)
	}

	// PowerShell and the sync engine.
	if !win {
		for _, id := range []string{"powershell.language_mode", "adsync.module_import", "adsync.cmdlets", "csexport.found"} {
			notChecked(id, notWindows+" (Windows PowerShell, the ADSync module and csexport)")
		}
	} else {
		// "ADSync is not installed" is the service manager's answer.
		noADSync := func(id string) {
			cs = append(cs, Check{ID: id, Status: StatusSkipped, Source: SourceWindows, Message: "ADSync is not installed"})
		}
		src = SourcePowerShell
		ps := r.PowerShell
		switch {
		case ps.LanguageMode == "":
			unknown("powershell.language_mode", ps.Problem)
		case ps.LanguageMode == "FullLanguage" || ps.LanguageMode == "ConstrainedLanguage":
			add("powershell.language_mode", StatusOK, "Windows PowerShell %s runs in %s (the collector works in both)", ps.Version, ps.LanguageMode)
		default:
			add("powershell.language_mode", StatusFail, "Windows PowerShell %s runs in %s: the collector cannot run", ps.Version, ps.LanguageMode)
		}
		switch m := ps.Module; {
		case r.Host.ADSyncService == string(winhost.ServiceAbsent):
			noADSync("adsync.module_import")
		case m == nil:
			unknown("adsync.module_import", "not measured: "+ps.Problem)
		case !m.Imported:
			add("adsync.module_import", StatusFail, "Import-Module %s failed: %s", orDefault(m.Path, "ADSync"), m.Error)
		case m.ImportMS != nil && *m.ImportMS > 60_000:
			add("adsync.module_import", StatusWarn, "importing the ADSync module %s took %d ms: raise detect's --collector-timeout", m.Version, *m.ImportMS)
		default:
			add("adsync.module_import", StatusOK, "importing the ADSync module %s took %d ms", m.Version, deref(m.ImportMS))
		}
		switch m := ps.Module; {
		case r.Host.ADSyncService == string(winhost.ServiceAbsent):
			noADSync("adsync.cmdlets")
		case m == nil || m.SchedulerRead == nil:
			unknown("adsync.cmdlets", "Get-ADSyncScheduler was not tried: the ADSync module did not import")
		case *m.SchedulerRead:
			add("adsync.cmdlets", StatusOK, "Get-ADSyncScheduler answered: this identity may use the ADSync cmdlets the collector calls")
		default:
			add("adsync.cmdlets", StatusFail, "Get-ADSyncScheduler failed: %s; detect's collector calls the same cmdlets as this identity: add it to the ADSyncAdmins group on this server (or find what else refuses it)", m.SchedulerError)
		}
		src = SourceFile
		switch c := r.CSExport; {
		case r.Host.ADSyncService == string(winhost.ServiceAbsent):
			noADSync("csexport.found")
		case c.Found == nil:
			unknown("csexport.found", c.Problem)
		case *c.Found:
			add("csexport.found", StatusOK, "%s exists", c.Path)
		default:
			add("csexport.found", StatusFail, "%s: %s", c.Path, c.Problem)
		}
	}

	// What entra8344 keeps on the host.
	// The state directory is checked on every platform, each its own way;
	// "SYSTEM and Administrators" is said only of a checked Windows DACL.
	src = map[string]string{winhost.StateDirWindowsDACL: SourceWindows, winhost.StateDirPOSIXMode: SourcePOSIX}[r.StateDir.CheckedAs]
	if src == "" {
		src = SourceNotChecked
	}
	switch s := r.StateDir; {
	case s.Exists != nil && !*s.Exists:
		add("state_dir", StatusWarn, "%s %s", s.Path, s.Problem)
	case s.Writable != nil && *s.Writable && s.CheckedAs == winhost.StateDirWindowsDACL:
		add("state_dir", StatusOK, "%s is private to SYSTEM and Administrators and writable", s.Path)
	case s.Writable != nil && *s.Writable:
		add("state_dir", StatusOK, "%s is private to this user (owner and mode 0700) and writable; %s (its Windows DACL)", s.Path, notWindows)
	case s.Secure != nil || s.Writable != nil:
		add("state_dir", StatusFail, "%s", s.Problem)
	default:
		unknown("state_dir", s.Problem)
	}
	src = SourceWindows
	switch e := r.EventLog; {
	case !win:
		notChecked("event_log.source", notWindows+" (the Application event log)")
	case e.Registered == nil:
		unknown("event_log.source", e.Problem)
	case *e.Registered:
		add("event_log.source", StatusOK, "the Application log source %s is registered (message file %s)", e.Source, e.MessageFile)
	default:
		add("event_log.source", StatusWarn, "%s: %s", e.Source, e.Problem)
	}
	return cs
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
