package doctor

import (
	"regexp"
	"strings"
	"testing"

	"entra8344/internal/adsync"
)

// Every script powershell.exe runs for entra8344 (the collector, the sync
// step, doctor): what can be checked without PowerShell. The Go parsers
// read only the marked line, so each script must print exactly one, through
// the same non-ASCII escaping; the preference variables keep the module's
// warnings and progress out of the output in the first place.
func TestShippedScriptsOutput(t *testing.T) {
	escaping := func(s string) string {
		i, j := strings.Index(s, "# --- ConvertTo-AsciiJson"), strings.Index(s, "# --- end ConvertTo-AsciiJson ---")
		if i < 0 || j < i {
			return ""
		}
		return s[i:j]
	}
	reference := escaping(string(adsync.CollectorScript))
	if reference == "" {
		t.Fatal("collector.ps1 has no ConvertTo-AsciiJson block")
	}
	marked := regexp.MustCompile(`(?m)^'` + regexp.QuoteMeta(adsync.JSONMarker) + `' \+ \(ConvertTo-AsciiJson -Text `)
	// Calls, not the comments and error-step labels that name the cmdlet.
	importLine := regexp.MustCompile(`(?im)^[^#'\r\n]*Import-Module -[^\r\n]*`)
	for name, script := range map[string][]byte{"collector.ps1": adsync.CollectorScript, "sync.ps1": adsync.SyncScript, "doctor.ps1": script} {
		s := string(script)
		for i, b := range script {
			if b >= 0x80 {
				t.Fatalf("%s byte %d is not ASCII (powershell.exe reads the script in the console code page)", name, i)
			}
		}
		for _, pref := range []string{"$ErrorActionPreference = 'Stop'", "$ProgressPreference = 'SilentlyContinue'", "$WarningPreference = 'SilentlyContinue'",
			"$InformationPreference = 'SilentlyContinue'", "$VerbosePreference = 'SilentlyContinue'", "$DebugPreference = 'SilentlyContinue'"} {
			if !strings.Contains(s, pref+"\n") {
				t.Errorf("%s does not set %s", name, pref)
			}
		}
		if got := escaping(s); got != reference {
			t.Errorf("%s: ConvertTo-AsciiJson differs from the collector's (or is missing)", name)
		}
		if n := len(marked.FindAllString(s, -1)); n != 1 {
			t.Errorf("%s prints %d %s lines through ConvertTo-AsciiJson, want 1", name, n, adsync.JSONMarker)
		}
		imports := importLine.FindAllString(s, -1)
		if len(imports) == 0 {
			t.Errorf("%s: no Import-Module call found", name)
		}
		for _, imp := range imports {
			if !strings.Contains(imp, "-DisableNameChecking") || !strings.Contains(imp, "-WarningAction SilentlyContinue") {
				t.Errorf("%s: %q must pass -DisableNameChecking -WarningAction SilentlyContinue", name, imp)
			}
		}
	}
	if !strings.Contains(string(script), "Get-ADSyncScheduler -ErrorAction Stop") {
		t.Error("doctor.ps1 must call Get-ADSyncScheduler, not only import the module")
	}
}
