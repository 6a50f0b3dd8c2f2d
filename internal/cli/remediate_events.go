package cli

import (
	"fmt"
	"log"

	"entra8344/internal/winhost"
	"entra8344/schema"
)

// reportResult writes the Application log events of a live remediate or
// revert run: one per step that changed the directory (with the DN, the ACE
// in SDDL and the journal id) and one for the outcome. A replay writes none;
// a failure to write is only logged (never the JSON, never the exit code).
func reportResult(l *log.Logger, res *schema.Result, live bool) {
	if !live {
		return
	}
	journal := ""
	if res.Journal != nil {
		journal = res.Journal.ID
	}
	report := func(id winhost.EventID, level winhost.EventLevel, msg string) {
		if err := winhost.ReportEvent(id, level, msg+"\r\njournal: "+journal+"\r\nhost: "+res.Host); err != nil {
			l.Printf("event log: %v", err)
		}
	}
	for _, s := range res.Steps {
		if s.Status != schema.StepDone {
			continue
		}
		switch {
		case res.Command == "remediate" && s.Name == "write":
			report(winhost.EventRemediateACEAdded, winhost.EventInfo, fmt.Sprintf("entra8344 added an ACE to %s on %s: %s", s.DN, s.Server, s.Evidence.ACE))
		case res.Command == "remediate" && s.Name == "remove":
			report(winhost.EventRemediateACERemoved, winhost.EventInfo, fmt.Sprintf("entra8344 removed a stale connector-account ACE from %s on %s: %s", s.DN, s.Server, s.Evidence.ACE))
		case s.Name == "trigger":
			report(winhost.EventRemediateProtectTask, winhost.EventInfo, "entra8344 triggered the AdminSDHolder protection task on "+s.Server)
		case s.Name == "sync":
			report(winhost.EventRemediateSyncStarted, winhost.EventInfo, "entra8344 started a delta sync cycle")
		case res.Command == "revert" && s.Name == "remove":
			report(winhost.EventRevertACERemoved, winhost.EventInfo, fmt.Sprintf("entra8344 removed the ACE it had added from %s on %s: %s", s.DN, s.Server, s.Evidence.ACE))
		}
	}
	outcome := map[string]map[schema.ResultStatus]struct {
		id    winhost.EventID
		level winhost.EventLevel
	}{
		"remediate": {
			schema.ResultVerified: {winhost.EventRemediateVerified, winhost.EventInfo},
			schema.ResultPending:  {winhost.EventRemediatePending, winhost.EventWarning},
			schema.ResultRefused:  {winhost.EventRemediateRefused, winhost.EventWarning},
			schema.ResultError:    {winhost.EventRemediateFailed, winhost.EventError},
		},
		"revert": {
			schema.ResultError: {winhost.EventRevertFailed, winhost.EventError},
		},
	}
	if ev, ok := outcome[res.Command][res.Status]; ok {
		report(ev.id, ev.level, "entra8344 "+res.Command+": "+res.Summary)
	}
	if res.Command == "revert" && res.Status == schema.ResultVerified {
		done := false
		for _, s := range res.Steps {
			done = done || (s.Name == "remove" && s.Status == schema.StepDone)
		}
		if !done {
			report(winhost.EventRevertNothingToDo, winhost.EventInfo, "entra8344 revert: nothing of ours to remove")
		}
	}
}
