package rmmtemplates

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18 §3: hosts under WDAC/AppLocker run the wrappers in Constrained
// Language Mode. The wrappers refuse there (src/core.ps1.tmpl says why), so
// every script must check the language mode before any construct CLM
// blocks, and report the refusal as "could not tell" with what to do.

const fullLanguageIf = "if ($ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage') {"

// TestCLMRefusedBeforeAnythingRuns: in every script the main block enters
// the strong path only under the FullLanguage check, and otherwise reports
// the CLM refusal through New-E8Failure (exit 3, alerts in every RMM).
func TestCLMRefusedBeforeAnythingRuns(t *testing.T) {
	scripts := renderedScripts(t, "detect", "monitor", "remediate")
	for _, n := range sortedNames(scripts) {
		src := scripts[n]
		main := src[strings.Index(src, "# ---- Main ----"):]
		first := "Initialize-E8Dir"
		if strings.HasSuffix(n, "monitor.ps1") {
			first = "Read-E8Cache"
		}
		if miss := inOrder(main, "# CLM exception:", fullLanguageIf, first, "} else {", "New-E8Failure -Kind", "-Why $E8ClmWhy"); miss != "" {
			t.Errorf("%s: main: %q missing or out of order (FullLanguage check, strong path, else the CLM refusal)", n, miss)
		}
		if i, j := strings.Index(src, fullLanguageIf), strings.Index(src, "[Environment]::GetFolderPath"); i < 0 || j < i {
			t.Errorf("%s: the known folder is located before the language mode is checked", n)
		}
		for _, want := range []string{"nothing was run", "FullLanguage", "signed, or a script rule"} {
			if !strings.Contains(src, "$E8ClmWhy = ") || !strings.Contains(src[strings.Index(src, "$E8ClmWhy = "):], want) {
				t.Errorf("%s: the CLM refusal does not say %q", n, want)
			}
		}
	}
}

// TestPowerShellLint runs the tree-sitter lint: its CLM rule's own fixtures
// (--selftest), then every .ps1 in the repository (syntax and the CLM rule).
// Skipped where node or the lint's node_modules are missing (scripts/test.sh
// installs them and runs the lint itself).
func TestPowerShellLint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	if _, err := os.Stat(filepath.Join("lint", "node_modules", "web-tree-sitter")); err != nil {
		t.Skip("run: cd rmm-templates/lint && npm ci --ignore-scripts --no-audit --no-fund")
	}
	for _, args := range [][]string{{"lint/lint.cjs", "--selftest"}, {"lint/lint.cjs", ".."}} {
		out, err := exec.Command(node, args...).CombinedOutput()
		if err != nil {
			t.Errorf("node %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if strings.Contains(string(out), "warning: ") {
			t.Logf("node %s warns:\n%s", strings.Join(args, " "), out)
		}
	}
}
