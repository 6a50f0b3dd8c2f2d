package cli

import (
	"context"
	"encoding/json"
	"time"

	"entra8344/internal/doctor"
)

// DoctorCmd is the read-only self-check a technician runs once on a new
// client's server (see internal/doctor). Exit codes: doctorExit.
type DoctorCmd struct {
	Server            string        `help:"Domain controller to ask (default: the locator's choice)."`
	DirectoryTimeout  time.Duration `help:"Give up on the directory checks after this long. ${durations}" default:"1m"`
	PowerShellTimeout time.Duration `name:"powershell-timeout" help:"Kill PowerShell (language mode, ADSync module import) after this long. ${durations}" default:"3m"`
}

// doctorExit: 0 no check failed (warnings and unknowns included), 1 at
// least one check failed; a misused command line is exitCLIUsage as always.
var doctorExit = map[string]int{"ok": exitOK, "attention": exitPerson}

func (c *DoctorCmd) Run(stdio *IO) error {
	env := doctor.DefaultEnv()
	env.Tool = doctor.Tool{Name: "entra8344", Version: version, Commit: commit, Built: built}
	h, err := NewHost(HostSpec{Command: "doctor"})
	if err != nil {
		return err
	}
	defer h.Close()
	if d, err := h.Dialer(); err == nil {
		env.Dialer = d
	} else {
		env.NoDirectoryReason = err.Error()
	}
	r := doctor.Run(context.Background(), env, doctor.Options{Server: c.Server,
		DirectoryTimeout: c.DirectoryTimeout, PowerShellTimeout: c.PowerShellTimeout})
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if _, err := stdio.Stdout.Write(append(b, '\n')); err != nil {
		return err
	}
	return exitError{doctorExit[r.Status]}
}
