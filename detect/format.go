package detect

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"entra8344/internal/textout"
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
	// One line, whatever the messages held, and nothing a terminal or an
	// RMM console would act on.
	s = textout.Escape(strings.Join(strings.Fields(s), " "))
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
