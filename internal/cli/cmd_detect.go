package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"entra8344/detect"
	"entra8344/internal/statefile"
	"entra8344/schema"
)

// DetectCmd is the read-only diagnosis.
type DetectCmd struct {
	Replay           string        `help:"Replay a scenario folder, or a built-in scenario by name (demo, ${scenarios}), instead of the live host." placeholder:"DIR|NAME" xor:"source"`
	Record           string        `help:"Also write the live inputs and the verdict as a scenario folder (must be new or empty)." placeholder:"DIR" type:"path" xor:"source"`
	Format           string        `help:"Output on stdout: ${enum}." enum:"json,text,summary" default:"json"`
	Output           string        `help:"Also write the JSON verdict to this file (atomically)." placeholder:"FILE" type:"path"`
	Client           string        `help:"Client name for the dashboard." env:"ENTRA8344_CLIENT"`
	Site             string        `help:"Site name for the dashboard." env:"ENTRA8344_SITE"`
	CollectorTimeout time.Duration `help:"Kill the PowerShell collector after this long. ${durations}" default:"3m"`
	CSExportTimeout  time.Duration `name:"csexport-timeout" help:"Kill csexport.exe (per connector) after this long. ${durations}" default:"10m"`
	Runs             int           `help:"Run-history entries read per connector." default:"10"`
	NoDirectory      bool          `help:"Skip the Active Directory diagnosis (no LDAP reads)."`
	DirectoryTimeout time.Duration `help:"Give up reading one forest's directory after this long. ${durations}" default:"2m"`
	ApprovalExpiry   time.Duration `help:"How long the approval token of a remediable plan stays valid. ${durations}" default:"72h"`
	LogFile          string        `help:"Append a log of the run's phases to this file." placeholder:"FILE" type:"path"`
	Fresh            bool          `help:"With --replay: start the replay session over (its directory, engine, clock and state; see replay reset)."`
}

func (c *DetectCmd) Run(stdio *IO) error {
	if c.ApprovalExpiry < time.Minute || c.ApprovalExpiry > 30*24*time.Hour {
		return fmt.Errorf("--approval-expiry must be between 1m and 720h, not %s", c.ApprovalExpiry)
	}
	if c.Runs < 1 || c.Runs > 100 {
		return fmt.Errorf("--runs must be between 1 and 100, not %d", c.Runs)
	}
	h, err := NewHost(HostSpec{Command: "detect", Replay: c.Replay, Record: c.Record, LogFile: c.LogFile, Fresh: c.Fresh})
	if err != nil {
		return err
	}
	defer h.Close()
	logger := h.Log
	env := detect.Env{Log: logger, Prober: h.Prober, Runner: h.Runner, Replay: h.Name, Now: h.Now,
		Directory: h.Directory, NoDirectoryReason: h.NoDirectoryReason}
	if c.NoDirectory {
		env.Directory, env.NoDirectoryReason = nil, "skipped (--no-directory)"
	} else {
		env.Baseline, env.BaselineErr = loadBaseline(h)
	}

	o := detect.DefaultOptions()
	o.Client, o.Site, o.Version = c.Client, c.Site, version
	o.CollectorTimeout, o.CSExportTimeout, o.Runs = c.CollectorTimeout, c.CSExportTimeout, c.Runs
	o.DirectoryTimeout = c.DirectoryTimeout
	v := detect.Run(context.Background(), env, o)
	approve(v, h.Now(), c.ApprovalExpiry, h.Key)
	v.ExitCode = DetectExitCode(v)

	doc, err := schema.Marshal(v)
	if err != nil {
		return fmt.Errorf("render the verdict: %w", err)
	}
	var outErr error
	if c.Output != "" {
		if err := writeFileAtomic(c.Output, doc); err != nil {
			outErr = err
			// The verdict still goes to stdout; it says the file is missing.
			v.Errors = append(v.Errors, schema.Notice{Code: "output-file-failed", Message: err.Error(), Object: c.Output})
			if doc, err = schema.Marshal(v); err != nil {
				return fmt.Errorf("render the verdict: %w", err)
			}
		}
	}
	// A recording's clock is the verdict's, so its replay reproduces generated_at.
	generated, _ := time.Parse(time.RFC3339, v.GeneratedAt)
	if err := h.Finish(generated, doc); err != nil {
		logger.Printf("%v", err)
		v.Errors = append(v.Errors, schema.Notice{Code: "record-failed", Message: err.Error(), Object: c.Record})
		if doc, err = schema.Marshal(v); err != nil {
			return fmt.Errorf("render the verdict: %w", err)
		}
	}
	if err := render(stdio.Stdout, c.Format, v, doc); err != nil {
		return err
	}
	reportDetect(logger, v, h.WritesEvents)
	logger.Printf("detect finished: status %s, exit %d", v.Status, v.ExitCode)
	if outErr != nil {
		// The verdict on stdout says so too (output-file-failed); an RMM
		// that reads only the file must not take its absence for success.
		fmt.Fprintf(stdio.Stderr, "entra8344: %v\n", outErr)
		return exitError{exitUnknown}
	}
	return exitError{v.ExitCode}
}

func render(w io.Writer, format string, v *schema.Verdict, doc []byte) error {
	var err error
	switch format {
	case "text":
		err = detect.WriteText(w, v)
	case "summary":
		_, err = fmt.Fprintln(w, v.Summary)
	default:
		_, err = w.Write(doc)
	}
	return err
}

// loadBaseline reads the recorded baseline, if any. A state directory that
// cannot be resolved means no baseline here (that run's other checks say
// why); a baseline that is there but fails its MAC is reported.
func loadBaseline(h *Host) (*detect.Baseline, error) {
	if h.BaselinePath == nil {
		return nil, nil
	}
	path, err := h.BaselinePath()
	if err != nil {
		h.Log.Printf("no baseline read: %v", err)
		return nil, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // none recorded: the approval key is not needed
	}
	k, _, err := h.Key()
	if err != nil {
		return nil, fmt.Errorf("the baseline %s was not checked: the approval key: %w", path, err)
	}
	return detect.LoadBaseline(path, statefile.Key(k))
}
