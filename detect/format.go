package detect

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"entra8344/schema"
)

// SummaryMax is the size of the smallest RMM custom field we must fit.
const SummaryMax = 255

// Summary is the one-line verdict for small RMM fields: status first, then
// the worst thing per finding, then the labels, cut to SummaryMax bytes on a
// character boundary.
func Summary(v *schema.Verdict) string {
	var parts []string
	switch v.Status {
	case schema.StatusExportErrors, schema.StatusRemediable:
		for _, f := range v.Findings {
			s := fmt.Sprintf("%s %s: %d obj", f.Connector, f.Kind, f.ObjectCount)
			if len(f.Attributes) > 0 {
				s += " (" + strings.Join(f.Attributes, ",") + ")"
			}
			if f.FirstOccurred != nil {
				s += " since " + (*f.FirstOccurred)[:10]
			}
			if f.MaxRetryCount > 0 {
				s += fmt.Sprintf(" retries %d", f.MaxRetryCount)
			}
			parts = append(parts, s)
		}
		parts = append(parts, directorySummary(v.Directory)...)
	case schema.StatusError:
		if len(v.Errors) > 0 {
			parts = append(parts, v.Errors[0].Message)
		}
	case schema.StatusRunFailures:
		for _, w := range v.Warnings {
			if w.Code == "run-failed" {
				parts = append(parts, w.Message)
			}
		}
	case schema.StatusNotApplicable:
		parts = append(parts, "no ADSync service on this host")
	case schema.StatusSyncServiceDown:
		parts = append(parts, "ADSync service is "+v.Host.ADSyncService)
	case schema.StatusStagingMode:
		parts = append(parts, "staging server, exports suppressed")
	case schema.StatusHealthy:
		if v.Sync != nil {
			parts = append(parts, fmt.Sprintf("%d connectors, no export errors", len(v.Sync.Connectors)))
		}
	}
	s := strings.ToUpper(string(v.Status))
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, "; ")
	}
	if label := strings.Trim(v.Labels.Client+"/"+v.Labels.Site, "/"); label != "" {
		s = "[" + label + "] " + s
	}
	s = strings.Join(strings.Fields(s), " ") // one line, whatever the messages held
	return truncate(s, SummaryMax)
}

// directorySummary: why (diagnosis kinds with object counts) and where the
// fix runs when not here.
func directorySummary(d schema.Directory) []string {
	if !d.Performed || len(d.Diagnoses) == 0 {
		return nil
	}
	var kinds []schema.DiagnosisKind
	count := map[schema.DiagnosisKind]int{}
	for _, g := range d.Diagnoses {
		n := g.ObjectCount
		if g.Kind == schema.DiagStaleConnectorACE {
			n = len(g.AdminSDHolderACEs)
		}
		if _, seen := count[g.Kind]; !seen {
			kinds = append(kinds, g.Kind)
		}
		count[g.Kind] += n
	}
	var why []string
	for _, k := range kinds {
		why = append(why, fmt.Sprintf("%s=%d", k, count[k]))
	}
	out := []string{"why: " + strings.Join(why, ",")}
	if p := d.Plan; len(p.Changes) > 0 && !p.RemediableHere {
		servers := []string{}
		for _, c := range p.Changes {
			if !c.WritableHere && !contains(servers, c.Server) {
				servers = append(servers, c.Server)
			}
		}
		out = append(out, "fix on "+strings.Join(servers, ","))
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// WriteText renders the verdict for a technician at a console.
func WriteText(w io.Writer, v *schema.Verdict) error {
	var b strings.Builder
	fmt.Fprintf(&b, "entra8344 detect: %s\n", strings.ToUpper(string(v.Status)))
	fmt.Fprintf(&b, "%s\n\n", v.Summary)
	fmt.Fprintf(&b, "Host:      %s (ADSync service: %s", orDash(v.Host.Computer), v.Host.ADSyncService)
	if v.Host.ConnectVersion != nil {
		fmt.Fprintf(&b, ", Connect %s", *v.Host.ConnectVersion)
	}
	b.WriteString(")\n")
	if v.Labels.Client != "" || v.Labels.Site != "" {
		fmt.Fprintf(&b, "Client:    %s / %s\n", orDash(v.Labels.Client), orDash(v.Labels.Site))
	}
	if s := v.Sync; s != nil {
		if sc := s.Scheduler; sc != nil {
			fmt.Fprintf(&b, "Scheduler: enabled=%s staging=%s in-progress=%s next=%s\n",
				tri(sc.SyncCycleEnabled), tri(sc.StagingModeEnabled), tri(sc.SyncCycleInProgress), orDashP(sc.NextCycleStartUTC))
		}
		for _, c := range s.Connectors {
			acct := ""
			if c.Account != nil {
				acct = fmt.Sprintf(", account %s\\%s", c.Account.Domain, c.Account.User)
			}
			last := ""
			if len(c.Runs) > 0 {
				last = fmt.Sprintf(", last run %s %s", c.Runs[0].Profile, c.Runs[0].Result)
			}
			fmt.Fprintf(&b, "Connector: %s [%s%s%s] csexport %s, %d export errors\n", c.Name, c.Kind, acct, last, c.CSExport, c.ExportErrors)
		}
	}
	for i, f := range v.Findings {
		fmt.Fprintf(&b, "\nFinding %d: %s on %s (%s), %d objects\n", i+1, f.Kind, f.Connector, f.Direction, f.ObjectCount)
		fmt.Fprintf(&b, "  %s\n  Next: %s\n", f.Explanation, f.NextStep)
		for _, o := range f.Objects {
			fmt.Fprintf(&b, "  - %s [%s] %s retries=%s attrs=%s\n", o.DN, o.ErrorType, firstNonEmpty(o.ErrorCode, o.ErrorName), intP(o.RetryCount), strings.Join(o.Attributes, ","))
		}
		if f.ObjectsOmitted > 0 {
			fmt.Fprintf(&b, "  ... and %d more\n", f.ObjectsOmitted)
		}
	}
	writeDirectoryText(&b, v.Directory)
	for _, n := range v.Warnings {
		fmt.Fprintf(&b, "\nWarning (%s): %s", n.Code, n.Message)
	}
	for _, n := range v.Errors {
		fmt.Fprintf(&b, "\nError (%s): %s", n.Code, n.Message)
	}
	if len(v.Warnings)+len(v.Errors) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orDashP(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func tri(b *bool) string {
	if b == nil {
		return "unknown"
	}
	return fmt.Sprint(*b)
}

func intP(n *int64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

func writeDirectoryText(b *strings.Builder, d schema.Directory) {
	if !d.Performed {
		fmt.Fprintf(b, "\nDirectory: not read: %s\n", d.Reason)
		return
	}
	fmt.Fprintf(b, "\nDirectory: %s (%d LDAP operations)\n", d.Reason, d.LDAPOperations)
	for _, dom := range d.Domains {
		fmt.Fprintf(b, "  Domain %s (%s), read from %s, PDC emulator %s", dom.DNSName, dom.SID, orDash(dom.ReadFrom), orDash(dom.PDCEmulator))
		if h := dom.AdminSDHolder; h != nil {
			fmt.Fprintf(b, ", AdminSDHolder writable here: %v", h.WritableHere)
		}
		b.WriteString("\n")
	}
	for _, g := range d.Diagnoses {
		fmt.Fprintf(b, "\nDiagnosis %s: %s (%s) %s %s %s, %d objects\n  %s\n  Next: %s\n", g.ID, g.Kind, g.Remediation,
			orDash(g.Connector), orDash(g.Domain), orDash(g.Attribute), g.ObjectCount, g.Explanation, g.NextStep)
		for _, o := range g.Objects {
			fmt.Fprintf(b, "  - %s: %s\n", o.DN, o.Decision)
		}
		for _, a := range g.AdminSDHolderACEs {
			fmt.Fprintf(b, "  AdminSDHolder ACE: %s\n", a)
		}
		for _, m := range g.Manual {
			fmt.Fprintf(b, "  > %s\n", m)
		}
	}
	p := d.Plan
	if len(p.Changes) == 0 {
		return
	}
	fmt.Fprintf(b, "\nPlan (remediable here: %v: %s)\n", p.RemediableHere, p.RemediableReason)
	for _, c := range p.Changes {
		switch c.Action {
		case schema.ActionAddACE, schema.ActionAddOUACE:
			fmt.Fprintf(b, "  %s add %s to %s on %s\n", c.ID, c.ACE, c.TargetDN, c.Server)
		case schema.ActionRemoveACE:
			fmt.Fprintf(b, "  %s remove %s from %s on %s\n", c.ID, c.ACE, c.TargetDN, c.Server)
		default:
			fmt.Fprintf(b, "  %s run the protection task on %s (%s)\n", c.ID, c.Server, c.Domain)
		}
	}
	for _, m := range p.Manual {
		fmt.Fprintf(b, "  > %s\n", m)
	}
	for _, r := range p.RiskNotes {
		fmt.Fprintf(b, "  Risk (%s): %s\n", r.ID, r.Text)
	}
}
