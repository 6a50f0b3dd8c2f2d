package winhost

import (
	"fmt"
	"strings"
)

// A PowerShell child must load Windows PowerShell 5.1's modules. When the
// RMM agent or an admin's shell is PowerShell 7, the inherited PSModulePath
// lists PowerShell 7's module folders first, and powershell.exe then loads
// their Utility and Management modules: Select-Object, ConvertTo-Json and
// Get-Date fail (PowerShell/PowerShell#27774, #20804). So no child inherits
// PSModulePath: it gets the machine's value from the registry's system
// environment, expanded, or none, and Windows PowerShell builds its default.

// machineEnv is the registry's system environment (HKLM\SYSTEM\
// CurrentControlSet\Control\Session Manager\Environment) and the folders
// its %variables% name; the tests inject one off Windows.
type machineEnv interface {
	// PSModulePath is the raw (unexpanded) PSModulePath value.
	PSModulePath() (string, error)
	// Lookup resolves a %variable% from trusted sources (the registry, the
	// system directory), never from this process's inherited environment.
	Lookup(name string) (string, bool)
}

// psModulePathEnv names the variable; Windows compares names case-insensitively.
const psModulePathEnv = "PSModulePath"

// machinePSModulePath is the machine's PSModulePath with its %variables%
// expanded. A folder whose variable cannot be resolved is left out rather
// than passed on as a literal %NAME% path.
func machinePSModulePath(m machineEnv) (string, error) {
	raw, err := m.PSModulePath()
	if err != nil {
		return "", fmt.Errorf(`read PSModulePath from HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment: %w`, err)
	}
	if strings.TrimSpace(raw) == "" {
		return "", nil // none defined (off Windows): the child builds its default
	}
	var keep []string
	for _, dir := range strings.Split(raw, ";") {
		if dir, ok := expandVars(strings.TrimSpace(dir), m.Lookup); ok && dir != "" {
			keep = append(keep, dir)
		}
	}
	if len(keep) == 0 {
		return "", fmt.Errorf("the machine's PSModulePath %q names no folder that could be resolved", raw)
	}
	return strings.Join(keep, ";"), nil
}

// expandVars replaces each %NAME% in s; ok is false when one is unknown.
func expandVars(s string, lookup func(string) (string, bool)) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return "", false // an unterminated %: not a path we can trust
		}
		v, ok := lookup(s[i+1 : i+1+j])
		if !ok || strings.ContainsAny(v, "%;") {
			return "", false
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+2+j:]
	}
}

var droppedEnv = append(append([]string{}, secretEnv...), psModulePathEnv)

// childEnv is the environment every child gets: env without the approval's
// variables and without the inherited PSModulePath (names compared
// case-insensitively, as Windows does), plus psModulePath when not empty.
func childEnv(env []string, psModulePath string) []string {
	out := make([]string, 0, len(env)+1)
next:
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		for _, s := range droppedEnv {
			if strings.EqualFold(name, s) {
				continue next
			}
		}
		out = append(out, kv)
	}
	if psModulePath != "" {
		out = append(out, psModulePathEnv+"="+psModulePath)
	}
	return out
}
