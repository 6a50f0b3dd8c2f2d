package winhost

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeMachine is an injected registry: the system environment's raw
// PSModulePath and the variables it may name.
type fakeMachine struct {
	raw  string
	err  error
	vars map[string]string
}

func (m fakeMachine) PSModulePath() (string, error) { return m.raw, m.err }
func (m fakeMachine) Lookup(name string) (string, bool) {
	v, ok := m.vars[strings.ToLower(name)]
	return v, ok
}

var windowsVars = map[string]string{"programfiles": `C:\Program Files`, "systemroot": `C:\Windows`}

const defaultRaw = `%ProgramFiles%\WindowsPowerShell\Modules;%SystemRoot%\system32\WindowsPowerShell\v1.0\Modules`

func TestMachinePSModulePath(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		err       error
		want, bad string
	}{
		{"Windows Server default", defaultRaw, nil, `C:\Program Files\WindowsPowerShell\Modules;C:\Windows\system32\WindowsPowerShell\v1.0\Modules`, ""},
		{"a vendor's folder kept", defaultRaw + `;C:\Program Files\Microsoft Azure AD Sync\Bin\ADSync;`, nil,
			`C:\Program Files\WindowsPowerShell\Modules;C:\Windows\system32\WindowsPowerShell\v1.0\Modules;C:\Program Files\Microsoft Azure AD Sync\Bin\ADSync`, ""},
		{"unknown variable: that folder left out", `%PS7HOME%\Modules;%SystemRoot%\Modules`, nil, `C:\Windows\Modules`, ""},
		{"unterminated %", `C:\x%;%SystemRoot%\Modules`, nil, `C:\Windows\Modules`, ""},
		{"none defined", "", nil, "", ""},
		{"registry unreadable", "", errors.New("Access is denied."), "", "Access is denied."},
		{"nothing resolvable", `%Nope%\Modules`, nil, "", "names no folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := machinePSModulePath(fakeMachine{raw: c.raw, err: c.err, vars: windowsVars})
			if got != c.want || (err == nil) != (c.bad == "") || (err != nil && !strings.Contains(err.Error(), c.bad)) {
				t.Errorf("got %q, %v; want %q, error with %q", got, err, c.want, c.bad)
			}
		})
	}
}

// TestChildEnvironment: the environment the runner builds for a child, seen
// by the child. The parent is a PowerShell 7 session (its PSModulePath) with
// the approval in its environment; the child gets the machine's
// PSModulePath, no approval, and everything else.
func TestChildEnvironment(t *testing.T) {
	t.Setenv("PSMODULEPATH", `C:\Users\tech\Documents\PowerShell\Modules;C:\Program Files\PowerShell\7\Modules`)
	t.Setenv("ENTRA8344_APPROVAL_TOKEN", "t-secret")
	t.Setenv("ENTRA8344_KEEP", "kept")
	for _, c := range []struct {
		name    string
		machine fakeMachine
		want    string // the child's PSModulePath; "" = none
		note    string
	}{
		{"machine value", fakeMachine{raw: defaultRaw, vars: windowsVars}, `C:\Program Files\WindowsPowerShell\Modules;C:\Windows\system32\WindowsPowerShell\v1.0\Modules`, ""},
		{"registry unreadable: none, and a note", fakeMachine{err: errors.New("The system cannot find the file specified.")}, "", "got no PSModulePath"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &liveRunner{waitDelay: defaultWaitDelay, machine: c.machine}
			res, err := r.Run(context.Background(), helperCommand(t, "env"))
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("run: %v, exit %d, stderr %s", err, res.ExitCode, res.Stderr)
			}
			var paths []string
			for _, line := range strings.Split(strings.ReplaceAll(string(res.Stdout), "\r\n", "\n"), "\n") {
				name, value, _ := strings.Cut(line, "=")
				if strings.EqualFold(name, "PSModulePath") {
					paths = append(paths, value)
				}
			}
			if (c.want == "" && len(paths) != 0) || (c.want != "" && (len(paths) != 1 || paths[0] != c.want)) {
				t.Errorf("the child's PSModulePath is %q, want %q", paths, c.want)
			}
			if strings.Contains(string(res.Stdout), "secret") || !strings.Contains(string(res.Stdout), "ENTRA8344_KEEP=kept") {
				t.Errorf("environment:\n%s", res.Stdout)
			}
			if got := strings.Join(res.Notes, "; "); (c.note == "") != (got == "") || !strings.Contains(got, c.note) {
				t.Errorf("notes %q, want %q", got, c.note)
			}
		})
	}
}
