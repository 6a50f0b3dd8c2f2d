package detect

import (
	"fmt"
	"io"
	"strings"

	"entra8344/internal/textout"
	"entra8344/schema"
)

// e escapes a host-supplied string for the console (textout.Escape): every
// string of a verdict or result goes through it, the tool's own included,
// since most of them quote a name or a DN.
var e = textout.Escape

// WriteText renders the verdict for a technician at a console: everything
// the JSON holds that a person acts on, the approval and the commands to
// run with it included.
func WriteText(w io.Writer, v *schema.Verdict) error {
	var b strings.Builder
	fmt.Fprintf(&b, "entra8344 detect: %s (exit %d)\n", e(strings.ToUpper(string(v.Status))), v.ExitCode)
	fmt.Fprintf(&b, "%s\n\n", Summary(v))
	writeHostText(&b, v)
	for i, f := range v.Findings {
		fmt.Fprintf(&b, "\nFinding %d: %s, connector %s (%s), %s\n", i+1, e(string(f.Kind)), e(f.Connector), e(f.Direction), textout.Count(f.ObjectCount, "object"))
		fmt.Fprintf(&b, "  %s\n  Next: %s\n", e(f.Explanation), e(f.NextStep))
		for _, o := range f.Objects {
			fmt.Fprintf(&b, "  - %s: %s %s, %s", e(o.DN), e(o.ErrorType), e(firstNonEmpty(o.ErrorCode, o.ErrorName)), retries(o.RetryCount))
			if len(o.Attributes) > 0 {
				fmt.Fprintf(&b, ", attributes %s", e(strings.Join(o.Attributes, ", ")))
			}
			b.WriteString("\n")
		}
		if f.ObjectsOmitted > 0 {
			fmt.Fprintf(&b, "  ... and %s more\n", textout.Count(f.ObjectsOmitted, "object"))
		}
	}
	writeDirectoryText(&b, v.Directory)
	writePlanText(&b, "Plan", v.Directory.Plan)
	writePlanApprovals(&b, v)
	writePlanText(&b, "Cleanup (stale connector ACEs, approved apart)", v.Directory.Cleanup)
	writeApprovalText(&b, "Approval of the cleanup", v.CleanupApproval, v)
	for _, n := range v.Warnings {
		fmt.Fprintf(&b, "\nWarning (%s): %s", e(n.Code), e(n.Message))
	}
	for _, n := range v.Errors {
		fmt.Fprintf(&b, "\nError (%s): %s", e(n.Code), e(n.Message))
	}
	if len(v.Warnings)+len(v.Errors) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHostText(b *strings.Builder, v *schema.Verdict) {
	fmt.Fprintf(b, "Host:      %s (ADSync service %s", e(orDash(v.Host.Computer)), e(orDash(v.Host.ADSyncService)))
	if v.Host.ConnectVersion != nil {
		fmt.Fprintf(b, ", Entra Connect %s", e(*v.Host.ConnectVersion))
	}
	b.WriteString(")\n")
	if v.Labels.Client != "" || v.Labels.Site != "" {
		fmt.Fprintf(b, "Client:    %s, site %s\n", e(orDash(v.Labels.Client)), e(orDash(v.Labels.Site)))
	}
	s := v.Sync
	if s == nil {
		return
	}
	if sc := s.Scheduler; sc != nil {
		fmt.Fprintf(b, "Scheduler: sync cycle enabled %s, staging mode %s, cycle in progress %s, next cycle %s\n",
			yesNo(sc.SyncCycleEnabled), yesNo(sc.StagingModeEnabled), yesNo(sc.SyncCycleInProgress), e(orDashP(sc.NextCycleStartUTC)))
	}
	for _, c := range s.Connectors {
		fmt.Fprintf(b, "Connector: %s (%s", e(c.Name), e(c.Kind))
		if c.Account != nil {
			fmt.Fprintf(b, ", account %s", e(c.Account.Domain+`\`+c.Account.User))
		}
		if len(c.Runs) > 0 {
			fmt.Fprintf(b, ", last run %s: %s", e(c.Runs[0].Profile), e(c.Runs[0].Result))
		}
		if c.CSExport == CSExportHistoryClean {
			b.WriteString("), csexport not run: the last cycle's run history shows no export error\n")
			continue
		}
		fmt.Fprintf(b, "), csexport %s, %s\n", e(c.CSExport), textout.Count(c.ExportErrors, "export error"))
	}
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

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

func retries(n *int64) string {
	if n == nil {
		return "retries unknown"
	}
	if *n == 1 {
		return "1 retry"
	}
	return fmt.Sprintf("%d retries", *n)
}

func writeDirectoryText(b *strings.Builder, d schema.Directory) {
	if !d.Performed {
		// Reasons read either "the directory was not read (why)" or just why.
		if rest, ok := strings.CutPrefix(d.Reason, "the directory was not read"); ok {
			fmt.Fprintf(b, "\nDirectory: not read%s\n", e(rest))
		} else {
			fmt.Fprintf(b, "\nDirectory: not read: %s\n", e(d.Reason))
		}
		return
	}
	fmt.Fprintf(b, "\nDirectory: %s (%s)\n", e(d.Reason), textout.Count(d.LDAPOperations, "LDAP operation"))
	for _, dom := range d.Domains {
		fmt.Fprintf(b, "  Domain %s (%s): read from %s, PDC emulator %s", e(dom.DNSName), e(dom.SID), e(orDash(dom.ReadFrom)), e(orDash(dom.PDCEmulator)))
		if h := dom.AdminSDHolder; h != nil {
			fmt.Fprintf(b, ", AdminSDHolder writable here: %s", yesNo(&h.WritableHere))
		}
		if dom.Error != "" {
			fmt.Fprintf(b, ", error: %s", e(dom.Error))
		}
		b.WriteString("\n")
	}
	for _, a := range d.ConnectorAccounts {
		fmt.Fprintf(b, "  Connector account %s (connector %s): ", e(a.Account), e(a.Connector))
		switch {
		case a.Error != "":
			fmt.Fprintf(b, "error: %s\n", e(a.Error))
		case !a.Found:
			b.WriteString("not found in the directory\n")
		default:
			fmt.Fprintf(b, "%s, %s\n", e(a.SID), e(a.DN))
		}
	}
	for _, g := range d.Diagnoses {
		writeDiagnosisText(b, g)
	}
}

func writeDiagnosisText(b *strings.Builder, g schema.Diagnosis) {
	fmt.Fprintf(b, "\nDiagnosis %s: %s, remediation: %s", e(g.ID), e(string(g.Kind)), e(string(g.Remediation)))
	switch len(g.Changes) {
	case 0:
	case 1:
		fmt.Fprintf(b, " (change %s)", e(g.Changes[0]))
	default:
		fmt.Fprintf(b, " (changes %s)", e(strings.Join(g.Changes, ", ")))
	}
	b.WriteString("\n  ")
	var where []string
	for _, f := range [][2]string{{"connector", g.Connector}, {"domain", g.Domain}, {"attribute", g.Attribute}} {
		if f[1] != "" {
			where = append(where, f[0]+" "+e(f[1]))
		}
	}
	if len(where) > 0 {
		b.WriteString(strings.Join(where, ", ") + ": ")
	}
	if g.Kind == schema.DiagStaleConnectorACE {
		b.WriteString(textout.Count(len(g.AdminSDHolderACEs), "ACE") + " on AdminSDHolder\n")
	} else {
		b.WriteString(textout.Count(g.ObjectCount, "object") + "\n")
	}
	fmt.Fprintf(b, "  %s\n  Next: %s\n", e(g.Explanation), e(g.NextStep))
	for _, o := range g.Objects {
		fmt.Fprintf(b, "  - %s: %s\n", e(o.DN), e(o.Decision))
	}
	if g.ObjectsOmitted > 0 {
		fmt.Fprintf(b, "  ... and %s more\n", textout.Count(g.ObjectsOmitted, "object"))
	}
	for _, a := range g.AdminSDHolderACEs {
		fmt.Fprintf(b, "  AdminSDHolder ACE: %s\n", e(a))
	}
	writeManual(b, g.Manual)
}

// writeManual prints the lines a person would type instead.
func writeManual(b *strings.Builder, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("  By hand (PowerShell; the dsacls lines also run in cmd.exe):\n")
	for _, m := range lines {
		fmt.Fprintf(b, "    %s\n", textout.Command(m))
	}
}

func writePlanText(b *strings.Builder, title string, p schema.Plan) {
	if len(p.Changes) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s: %s, remediable here: %s (%s)\n", title, textout.Count(len(p.Changes), "change"), yesNo(&p.RemediableHere), e(p.RemediableReason))
	for _, c := range p.Changes {
		switch c.Action {
		case schema.ActionAddACE:
			fmt.Fprintf(b, "  %s add %s to %s on %s: %s may then write %s\n", e(c.ID), e(c.ACE), e(c.TargetDN), e(c.Server), e(orDash(c.TrusteeName)), e(orDash(c.Attribute)))
		case schema.ActionAddOUACE:
			fmt.Fprintf(b, "  %s add %s to %s on %s: %s may then write %s on the objects below it of the ACE's class\n", e(c.ID), e(c.ACE), e(c.TargetDN), e(c.Server), e(orDash(c.TrusteeName)), e(orDash(c.Attribute)))
		case schema.ActionRemoveACE:
			fmt.Fprintf(b, "  %s remove %s (%s) from %s on %s\n", e(c.ID), e(c.ACE), e(orDash(c.TrusteeName)), e(c.TargetDN), e(c.Server))
		case schema.ActionRunProtectTask:
			fmt.Fprintf(b, "  %s run the protection task on %s (domain %s)\n", e(c.ID), e(c.Server), e(c.Domain))
		default:
			fmt.Fprintf(b, "  %s %s %s on %s\n", e(c.ID), e(c.Action), e(c.TargetDN), e(c.Server))
		}
	}
	writeManual(b, p.Manual)
	for _, r := range p.RiskNotes {
		fmt.Fprintf(b, "  Risk (%s): %s\n", e(r.ID), e(r.Text))
	}
}
