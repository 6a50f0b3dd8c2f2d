package rmmtemplates

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The wrapper's folder (%ProgramData%\entra8344-rmm) is where SYSTEM runs the
// exe from. These tests read the rendered scripts of every RMM: no
// PowerShell runs here (Debian has none, Wine's powershell.exe is a stub), so
// they pin the order and the decisions of the shared core's text.

// psFunc returns the body of `function name { ... }` in a script, braces
// matched outside strings and comments; "" when the function is missing.
func psFunc(src, name string) string {
	i := strings.Index(src, "\nfunction "+name+" {")
	if i < 0 {
		return ""
	}
	start := i + len("\nfunction "+name+" {")
	depth := 1
	for j := start; j < len(src); j++ {
		switch src[j] {
		case '#':
			for j < len(src) && src[j] != '\n' {
				j++
			}
		case '\'':
			for j++; j < len(src); j++ {
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
		case '"':
			for j++; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '`' {
					j++
				}
			}
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return src[start:j]
			}
		}
	}
	return ""
}

// inOrder reports the first of want that does not follow its predecessor in
// text ("" when all appear in that order).
func inOrder(text string, want ...string) string {
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			return w
		}
		at += i + len(w)
	}
	return ""
}

func renderedScripts(t *testing.T, kinds ...string) map[string]string {
	t.Helper()
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range RMMs {
		for _, s := range r.Scripts {
			for _, k := range kinds {
				if s.Kind == k {
					out[r.ID+"/"+s.File] = string(files[r.ID+"/"+s.File])
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %v scripts rendered", kinds)
	}
	return out
}

func sortedNames(m map[string]string) []string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// TestRMMDirSDDLIsTheExes: the folder is created with the security descriptor
// the exe gives its own state directory (internal/winhost privateDirSDDL).
func TestRMMDirSDDLIsTheExes(t *testing.T) {
	b, err := os.ReadFile("../internal/winhost/state_windows.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const privateDirSDDL = "([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("privateDirSDDL not found in internal/winhost/state_windows.go")
	}
	scripts := renderedScripts(t, "detect", "remediate")
	for _, n := range sortedNames(scripts) {
		src := scripts[n]
		if !strings.Contains(src, "\n$E8DirSddl = '"+string(m[1])+"'\n") {
			t.Errorf("%s: $E8DirSddl is not the exe's privateDirSDDL %s", n, m[1])
		}
	}
}

// TestRMMDirCheckedBeforeExeRuns: in every detect and remediate script the
// folder is created with its final permissions (no icacls grant over
// whatever was there), judged by SID like the exe's state directory, and
// checked before anything is staged or run; the exe is hashed through a
// handle that denies writers, held until it has exited; a refusal throws into
// the main catch, which reports exit 3 (could not tell) and runs nothing.
func TestRMMDirCheckedBeforeExeRuns(t *testing.T) {
	scripts := renderedScripts(t, "detect", "remediate")
	for _, n := range sortedNames(scripts) {
		src := scripts[n]
		r := rmmOf(t, n)
		t.Run(n, func(t *testing.T) {
			for _, banned := range []string{"icacls", "Set-Acl", "$env:ProgramData"} {
				if strings.Contains(src, banned) {
					t.Errorf("uses %s: the folder is created private and refused when it is not, never patched, and not located by the environment", banned)
				}
			}
			if !strings.Contains(src, "$E8Dir = Join-Path ([Environment]::GetFolderPath('CommonApplicationData')) 'entra8344-rmm'") {
				t.Error("$E8Dir is not under the known folder CommonApplicationData")
			}

			judge := psFunc(src, "Get-E8DirProblem")
			for _, want := range []string{
				"$E8SidSystem = 'S-1-5-18'", "$E8SidAdmins = 'S-1-5-32-544'",
			} {
				if !strings.Contains(src, want) {
					t.Errorf("missing %s", want)
				}
			}
			for _, cond := range []string{
				"if ($Owner -ne $E8SidSystem -and $Owner -ne $E8SidAdmins) { return",
				"if ($NullDacl) { return",
				"if (-not $Protected) { return",
				"if ($a.Allow -and $a.Mask -ne 0 -and $a.Sid -ne $E8SidSystem -and $a.Sid -ne $E8SidAdmins) { $others += $a.Sid }",
				"if ($others.Count -gt 0) { return",
			} {
				if !strings.Contains(judge, cond) {
					t.Errorf("Get-E8DirProblem lacks the rule %q", cond)
				}
			}

			assert := psFunc(src, "Assert-E8Dir")
			if miss := inOrder(assert,
				"$script:E8DirTrusted = $false",
				"[System.IO.FileAttributes]::ReparsePoint",
				"Get-Acl -LiteralPath $E8Dir",
				"RawSecurityDescriptor",
				"[System.Security.AccessControl.ControlFlags]::DiscretionaryAclProtected",
				"foreach ($ace in $sd.DiscretionaryAcl)",
				"Sid = ('an ACE of type ' + $type)",
				"Get-E8DirProblem -Owner $owner -Protected $protected -NullDacl $nullDacl -Aces $aces",
				"if ($problem) {", "throw (", "Delete the folder",
				"$script:E8DirTrusted = $true",
			); miss != "" {
				t.Errorf("Assert-E8Dir: %q missing or out of order", miss)
			}
			if strings.Contains(assert, "GetAccessRules") {
				t.Error("Assert-E8Dir must read the raw DACL: GetAccessRules skips callback ACEs")
			}
			// Its one catch (SYSTEM may not read the DACL) refuses too.
			if c := strings.Split(assert, "} catch {"); len(c) != 2 || !strings.HasPrefix(strings.TrimSpace(c[1]), "throw ('refusing ' + $E8Dir") {
				t.Error("Assert-E8Dir must not swallow a refusal: its only catch must throw one")
			}

			init := psFunc(src, "Initialize-E8Dir")
			if miss := inOrder(init, "SetSecurityDescriptorSddlForm($E8DirSddl)", "[System.IO.Directory]::CreateDirectory($E8Dir, $sec)"); miss != "" {
				t.Errorf("Initialize-E8Dir: %q missing or out of order", miss)
			}
			if lines := strings.Split(strings.TrimSpace(init), "\n"); strings.TrimSpace(lines[len(lines)-1]) != "Assert-E8Dir" {
				t.Errorf("Initialize-E8Dir must end with Assert-E8Dir, outside any try (an existing or raced folder is judged too); ends with %q", lines[len(lines)-1])
			}

			run := psFunc(src, "Invoke-E8Exe")
			if miss := inOrder(run,
				"Assert-E8Dir",
				"New-Object System.IO.FileStream -ArgumentList $E8Exe, ([System.IO.FileMode]::Open), ([System.IO.FileAccess]::Read), ([System.IO.FileShare]::Read)",
				"try {",
				"$got = Get-E8StreamSha256 -Stream $stream",
				"if ($got -ne $pin) { throw",
				"& $E8Exe @Arguments",
				"} finally {",
				"$stream.Close()",
			); miss != "" {
				t.Errorf("Invoke-E8Exe: %q missing or out of order (check the folder, open without write sharing, hash that handle, run, then close)", miss)
			}
			if strings.Count(src, "& $E8Exe") != 1 || !strings.Contains(run, "& $E8Exe") {
				t.Error("the exe must be started in exactly one place, Invoke-E8Exe")
			}

			logf := psFunc(src, "Write-E8Log")
			if miss := inOrder(logf, "if (-not $script:E8DirTrusted) { return }", "Add-Content"); miss != "" {
				t.Errorf("Write-E8Log writes before the folder is trusted (%q)", miss)
			}

			main := src[strings.Index(src, "# ---- Main ----"):]
			runFn := "Invoke-E8Detect"
			if strings.HasSuffix(n, "remediate.ps1") {
				runFn = "Invoke-E8Remediate"
			}
			if miss := inOrder(main, "try {", "Initialize-E8Dir", "Install-E8Exe", "$E8Doc = "+runFn, "} catch {", "New-E8Failure"); miss != "" {
				t.Errorf("main: %q missing or out of order (the folder check must come before staging and running)", miss)
			}
			catch := main[strings.Index(main, "} catch {"):]
			catch = catch[:strings.Index(catch, "\n}")]
			if strings.Contains(catch, "Remove-Item") && !strings.Contains(catch, "$script:E8DirTrusted -and") {
				t.Error("the main catch deletes in a folder that may have been refused")
			}
			if !strings.Contains(psFunc(src, "New-E8Failure"), "ExitCode = 3") {
				t.Error("New-E8Failure no longer reports exit 3")
			}
			out := r.Detect[3]
			if strings.HasSuffix(n, "remediate.ps1") {
				out = r.Remediate[3]
			}
			if !out.Alert || (out.Code == 0 && r.Writer != WriterImmy) {
				t.Errorf("a refused folder (exit 3) maps to %+v: it must alert and not look like success", out)
			}
		})
	}
}

// TestRMMDirMonitorReadsOnlyAPrivateFolder: a monitor does not read a
// verdict from a folder someone else could have written.
func TestRMMDirMonitorReadsOnlyAPrivateFolder(t *testing.T) {
	scripts := renderedScripts(t, "monitor")
	for _, n := range sortedNames(scripts) {
		src := scripts[n]
		cache := psFunc(src, "Read-E8Cache")
		if miss := inOrder(cache, "try { Assert-E8Dir } catch { return (New-E8Failure", "Read-E8Document -Path $E8Verdict"); miss != "" {
			t.Errorf("%s: Read-E8Cache: %q missing or out of order", n, miss)
		}
		if psFunc(src, "Assert-E8Dir") == "" {
			t.Errorf("%s: no Assert-E8Dir", n)
		}
	}
}

func rmmOf(t *testing.T, name string) RMM {
	t.Helper()
	id := name[:strings.Index(name, "/")]
	for _, r := range RMMs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no RMM %s", id)
	return RMM{}
}
