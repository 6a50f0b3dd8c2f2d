package rmmtemplates

import (
	"regexp"
	"strings"
	"testing"
)

// Issue 14 §6: the templates as each platform really behaves, checked on
// the rendered scripts and READMEs.

func renderedFile(t *testing.T, name string) string {
	t.Helper()
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	b, ok := files[name]
	if !ok {
		t.Fatalf("%s is not rendered", name)
	}
	return string(b)
}

// TestTacticalTimeoutAlerts: 98 is the Tactical agent's own timeout (a
// detect that never finished): the README must not make it a success code,
// and must name it among the alerting ones.
func TestTacticalTimeoutAlerts(t *testing.T) {
	readme := renderedFile(t, "tactical-rmm/README.md")
	alert := readme[strings.Index(readme, "## Alert"):]
	alert = alert[:strings.Index(alert, "## Approval")]
	if regexp.MustCompile("[Ss]uccess codes `[^`]*98").MatchString(alert) {
		t.Errorf("the Tactical alert setup makes 98 (the agent's timeout) a success code:\n%s", alert)
	}
	if !strings.Contains(alert, "Informational codes `3, 98`") {
		t.Errorf("the Tactical alert setup does not alert on 98 as could-not-tell:\n%s", alert)
	}
	for _, r := range RMMs {
		if r.ID != "tactical-rmm" {
			continue
		}
		for c, o := range r.Detect {
			if o.Code == 98 {
				t.Errorf("detect exit %d maps to Tactical's timeout code 98", c)
			}
		}
	}
}

// TestDeclaredParamIsRead: a remediate script that declares -ApprovalToken
// reads it (Tactical and N-sight pass script arguments); and every README
// says which channel the token takes.
func TestDeclaredParamIsRead(t *testing.T) {
	scripts := renderedScripts(t, "remediate")
	for _, n := range sortedNames(scripts) {
		src := scripts[n]
		if !strings.Contains(src, "\nparam([string]$ApprovalToken = '')") {
			continue
		}
		get := psFunc(src, "Get-E8Token")
		if !strings.Contains(get, "$candidates += [string]$ApprovalToken") && !strings.Contains(get, "Get-Variable -Name 'ApprovalToken'") {
			t.Errorf("%s declares -ApprovalToken but Get-E8Token never reads it", n)
		}
	}
	for _, r := range RMMs {
		readme := renderedFile(t, r.ID+"/README.md")
		m := regexp.MustCompile(`Token channel: (\S[^\n]*)`).FindStringSubmatch(readme)
		if m == nil || len(r.TokenChannel) < 20 {
			t.Errorf("%s: the README does not say which channel the token takes", r.ID)
		}
		if strings.Contains(readme, "The token is never passed on a command line") && r.HasParam {
			t.Errorf("%s: the README says the token never passes a command line, but the script takes -ApprovalToken", r.ID)
		}
	}
	tac := renderedFile(t, "tactical-rmm/README.md")
	if !strings.Contains(tac, "Tactical logs script arguments") || !strings.Contains(tac, "prefer the environment variable") {
		t.Error("the Tactical README does not say that arguments are logged and environment variables are preferred")
	}
}

// TestReadmeExitClaimsMatchTable: a README that says the detect job exits
// non-zero only when detect could not tell must have a table that does so
// (Datto's said it while mapping 1, 2 and 3 to 1).
func TestReadmeExitClaimsMatchTable(t *testing.T) {
	claim := regexp.MustCompile(`(?i)\b1 only when detect could not tell`)
	for _, r := range RMMs {
		readme := renderedFile(t, r.ID+"/README.md")
		if !claim.MatchString(readme) {
			continue
		}
		if r.Detect[1].Code != 0 || r.Detect[2].Code != 0 || r.Detect[3].Code == 0 {
			t.Errorf("%s: the README says the job exits 1 only when detect could not tell, the table maps 1→%d 2→%d 3→%d",
				r.ID, r.Detect[1].Code, r.Detect[2].Code, r.Detect[3].Code)
		}
	}
}

// TestSyncroClosesTheTicket: a recovered host closes the alert and the
// ticket made from it.
func TestSyncroClosesTheTicket(t *testing.T) {
	src := renderedFile(t, "syncro/detect.ps1")
	if !strings.Contains(psFunc(src, "Publish-E8Detect"), "Close-Rmm-Alert -Category $E8AlertCategory -CloseAlertTicket 'true'") {
		t.Error("syncro detect closes the alert without -CloseAlertTicket 'true': its ticket stays open")
	}
}

// TestAutomateResultVariable: Automate's PowerShell step returns its output
// in @PowerShellResult@ (vendor and ProVal docs), not @Result@.
func TestAutomateResultVariable(t *testing.T) {
	for _, f := range []string{"connectwise-automate/README.md", "connectwise-automate/detect.ps1"} {
		src := renderedFile(t, f)
		if strings.Contains(src, "@Result@") {
			t.Errorf("%s names @Result@", f)
		}
		if !strings.Contains(src, "@PowerShellResult@") {
			t.Errorf("%s does not name @PowerShellResult@", f)
		}
	}
}
