package detect

import (
	"fmt"
	"io"
	"strings"

	"entra8344/internal/textout"
	"entra8344/schema"
)

// WriteResultText renders a remediate or revert result for a technician at
// a console: the outcome, the journal (and how to undo it), the refusal,
// and every step with its evidence. It lives beside WriteText so that both
// views share one escaping function and one style.
func WriteResultText(w io.Writer, r *schema.Result) error {
	var b strings.Builder
	cmd := orDash(r.Command)
	fmt.Fprintf(&b, "entra8344 %s: %s (exit %d)", e(cmd), e(strings.ToUpper(string(r.Status))), r.ExitCode)
	if r.DryRun {
		b.WriteString(", dry run: nothing was changed")
	}
	fmt.Fprintf(&b, "\n%s\n\n", e(r.Summary))
	fmt.Fprintf(&b, "Host:        %s\n", e(orDash(r.Host)))
	if r.PlanDigest != "" {
		fmt.Fprintf(&b, "Plan digest: %s\n", e(r.PlanDigest))
	}
	if j := r.Journal; j != nil {
		fmt.Fprintf(&b, "Journal:     %s (%s)\n", e(j.ID), e(j.Path))
		if r.Command == "remediate" && !r.DryRun {
			args := []string{"revert", "--journal", j.ID}
			if r.Collection.Replay != nil {
				args = append(args, "--replay", *r.Collection.Replay)
			}
			fmt.Fprintf(&b, "Undo it:     %s\n", textout.Command(powerShellLine(nil, args)))
		}
	}
	if f := r.Refusal; f != nil {
		fmt.Fprintf(&b, "Refused (%s): %s", e(f.Code), e(f.Message))
		if f.Object != "" {
			fmt.Fprintf(&b, " [%s]", e(f.Object))
		}
		b.WriteString("\n")
	}
	if len(r.Steps) == 0 {
		b.WriteString("\nSteps: none\n")
	} else {
		fmt.Fprintf(&b, "\nSteps (%d):\n", len(r.Steps))
	}
	for i, s := range r.Steps {
		fmt.Fprintf(&b, "%2d. %s: %s", i+1, e(s.Name), e(string(s.Status)))
		var on []string
		for _, f := range [][2]string{{"change", s.Change}, {"server", s.Server}, {"object", s.DN}} {
			if f[1] != "" {
				on = append(on, f[0]+" "+e(f[1]))
			}
		}
		if len(on) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(on, ", "))
		}
		b.WriteString("\n")
		if s.Message != "" {
			fmt.Fprintf(&b, "    %s\n", e(s.Message))
		}
		writeEvidence(&b, s.Evidence)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeEvidence(b *strings.Builder, ev schema.Evidence) {
	if ev.ACE != "" {
		fmt.Fprintf(b, "    ACE:          %s\n", e(ev.ACE))
	}
	if ev.Before != "" {
		fmt.Fprintf(b, "    DACL before:  %s\n", e(ev.Before))
	}
	if ev.After != "" {
		fmt.Fprintf(b, "    DACL after:   %s\n", e(ev.After))
	}
	for _, l := range []struct {
		label string
		dns   []string
	}{{"verified", ev.ObjectsVerified}, {"pending", ev.ObjectsPending}} {
		if len(l.dns) == 0 {
			continue
		}
		fmt.Fprintf(b, "    %s %s:\n", textout.Count(len(l.dns), "object"), l.label)
		for _, dn := range l.dns {
			fmt.Fprintf(b, "      - %s\n", e(dn))
		}
	}
}
