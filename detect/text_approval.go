package detect

import (
	"fmt"
	"strings"

	"entra8344/internal/shellquote"
	"entra8344/internal/textout"
	"entra8344/schema"
)

// exeName is what the printed command lines call: the name the release
// ships under.
const exeName = "entra8344.exe"

// writeApprovalText prints an approval with every field the JSON has and
// the exact lines that carry it out, in PowerShell and in cmd.exe.
func writeApprovalText(b *strings.Builder, title string, a *schema.Approval, v *schema.Verdict) {
	if a == nil {
		return
	}
	fmt.Fprintf(b, "\n%s (scope %s):\n", title, e(a.Scope))
	fmt.Fprintf(b, "  Token:       %s\n", e(a.Token))
	fmt.Fprintf(b, "  Expires:     %s\n", e(a.ExpiresAt))
	fmt.Fprintf(b, "  Scope:       %s\n", e(a.Scope))
	fmt.Fprintf(b, "  Run on:      %s\n", e(a.RunOn))
	fmt.Fprintf(b, "  Plan digest: %s\n", e(a.PlanDigest))
	fmt.Fprintf(b, "  Key:         %s\n", e(a.KeySource))
	if a.Plan != "" {
		fmt.Fprintf(b, "  Plan:        %s\n", e(a.Plan))
	}
	if len(a.Changes) > 0 {
		fmt.Fprintf(b, "  Changes:     %s\n", e(strings.Join(a.Changes, ", ")))
	}
	vars := [][2]string{{"ENTRA8344_APPROVAL_TOKEN", a.Token}}
	if a.Plan != "" {
		vars = append(vars, [2]string{"ENTRA8344_APPROVAL_PLAN", a.Plan})
	}
	args := []string{"remediate"}
	if v.Collection.Replay != nil {
		args = append(args, "--replay", *v.Collection.Replay)
	}
	if a.Scope == "dc" {
		fmt.Fprintf(b, "  Run it on %s (not on this host), in PowerShell:\n", e(a.RunOn))
	} else {
		fmt.Fprintf(b, "  Run it on this host (%s), in PowerShell:\n", e(a.RunOn))
	}
	fmt.Fprintf(b, "    %s\n", textout.Command(powerShellLine(vars, args)))
	b.WriteString("  or in cmd.exe:\n")
	for _, l := range cmdLines(vars, args) {
		fmt.Fprintf(b, "    %s\n", textout.Command(l))
	}
}

// powerShellLine: one line that sets the variables for this session and
// runs the command. Every value is quoted by shellquote, though a token and
// plan parameters are base64url: the line is pasted into a shell.
func powerShellLine(vars [][2]string, args []string) string {
	var parts []string
	for _, kv := range vars {
		q, err := shellquote.PowerShell(kv[1])
		if err != nil {
			return fmt.Sprintf("(cannot be written as a PowerShell line: %s %v)", kv[0], err)
		}
		parts = append(parts, "$env:"+kv[0]+"="+q)
	}
	cmd := exeName
	for _, a := range args {
		q, err := shellquote.PowerShell(a)
		if err != nil {
			return fmt.Sprintf("(cannot be written as a PowerShell line: %q %v)", a, err)
		}
		if q == "'"+a+"'" && plainArg(a) {
			q = a
		}
		cmd += " " + q
	}
	return strings.Join(append(parts, cmd), "; ")
}

// cmdLines: set "NAME=value" (the quotes keep a trailing space or a & out
// of the value), then the command, one per line.
func cmdLines(vars [][2]string, args []string) []string {
	var lines []string
	for _, kv := range vars {
		q, err := shellquote.Cmd(kv[0] + "=" + kv[1])
		if err != nil {
			return []string{fmt.Sprintf("(cannot be written as a cmd.exe line: %s %v)", kv[0], err)}
		}
		lines = append(lines, "set "+q)
	}
	cmd := exeName
	for _, a := range args {
		if plainArg(a) {
			cmd += " " + a
			continue
		}
		q, err := shellquote.Cmd(a)
		if err != nil {
			return append(lines, fmt.Sprintf("(cannot be written as a cmd.exe line: %q %v)", a, err))
		}
		cmd += " " + q
	}
	return append(lines, cmd)
}

// plainArg: an argument both shells take as it is (letters, digits, - _ .).
func plainArg(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}

// writePlanApprovals prints every approval of the plan (one per part:
// this host's and each DC's), then says which changes none covers and
// where they can be approved. A verdict without approvals (written before
// parts) has its one approval.
func writePlanApprovals(b *strings.Builder, v *schema.Verdict) {
	list := v.Approvals
	if len(list) == 0 && v.Approval != nil {
		list = []schema.Approval{*v.Approval}
	}
	covered := map[string]bool{}
	for i := range list {
		a := &list[i]
		title := "Approval of the plan"
		if len(list) > 1 {
			title = fmt.Sprintf("Approval %d of %d of the plan, changes %s", i+1, len(list), e(strings.Join(a.Changes, ", ")))
		}
		writeApprovalText(b, title, a, v)
		for _, id := range a.Changes {
			covered[id] = true
		}
		if len(a.Changes) == 0 {
			return // an approval without change ids binds the whole plan
		}
	}
	rest := v.Directory.Plan
	rest.Changes = nil
	for _, c := range v.Directory.Plan.Changes {
		if !covered[c.ID] {
			rest.Changes = append(rest.Changes, c)
		}
	}
	if len(rest.Changes) == 0 {
		return
	}
	if len(list) > 0 {
		// Some of the plan is approved: the rest is for other DCs.
		rest.RemediableHere = false
		fmt.Fprintf(b, "\nChanges %s:", e(changeIDs(rest.Changes)))
	}
	writeNoApproval(b, rest)
}

// writeNoApproval says why a plan with changes has no token, and where it
// can be approved instead.
func writeNoApproval(b *strings.Builder, p schema.Plan) {
	if p.RemediableHere {
		b.WriteString("\nApproval of the plan: none issued (see the warnings)\n")
		return
	}
	var servers []string
	for _, c := range p.Changes {
		if !contains(servers, c.Server) {
			servers = append(servers, c.Server)
		}
	}
	fmt.Fprintf(b, "\nApproval of the plan: none issued here. Run entra8344 detect on %s and approve that verdict, or set the same MSP-wide key (ENTRA8344_APPROVAL_KEY) here and there, so that this verdict approves the plan for one DC.\n",
		e(strings.Join(servers, ", ")))
}
