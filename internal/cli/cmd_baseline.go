package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/internal/statefile"
	"entra8344/internal/textout"
)

// BaselineCmd records the connector accounts' ACEs (issue 17 §1).
type BaselineCmd struct {
	Show             bool          `help:"Print the recorded baseline; read nothing."`
	Replace          bool          `help:"Replace a recorded baseline that differs from the directory now (without it, the differences are printed and the baseline is kept)."`
	Format           string        `help:"Output on stdout: ${enum}." enum:"json,text" default:"json"`
	Replay           string        `help:"Replay a scenario folder, or a built-in scenario by name, instead of the live host (the baseline lives in the replay session's state directory)." placeholder:"DIR|NAME"`
	StateDir         string        `help:"The state directory holding the baseline." env:"ENTRA8344_STATE_DIR" placeholder:"DIR" type:"path"`
	CollectorTimeout time.Duration `help:"Kill the PowerShell collector after this long. ${durations}" default:"3m"`
	DirectoryTimeout time.Duration `help:"Give up reading one forest's directory after this long. ${durations}" default:"2m"`
	Fresh            bool          `help:"With --replay: start the replay session over."`
}

// baselineResult is the one JSON document of `baseline`. action: shown
// (--show), recorded (none before), unchanged, changed (differences found,
// kept: rerun with --replace), replaced; changes: the differences from the
// recorded baseline; baseline: the recorded one after the run (null when
// there is none); error: why the command could not do its job (exit 3).
type baselineResult struct {
	Action   string           `json:"action"`
	Path     string           `json:"path"`
	Changes  []baselineChange `json:"changes"`
	Baseline *detect.Baseline `json:"baseline"`
	Error    string           `json:"error"`
}

type baselineChange struct {
	Kind      string `json:"kind"`
	Connector string `json:"connector"`
	DN        string `json:"dn"`
	Was       string `json:"was"`
	Now       string `json:"now"`
}

func (c *BaselineCmd) Run(stdio *IO) error {
	res := c.run()
	var out []byte
	if c.Format == "text" {
		out = []byte(baselineText(res))
	} else {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		out = append(b, '\n')
	}
	if _, err := stdio.Stdout.Write(out); err != nil {
		return err
	}
	switch {
	case res.Error != "":
		return exitError{exitUnknown}
	case res.Action == "changed":
		return exitError{exitPerson}
	}
	return exitError{exitOK}
}

func (c *BaselineCmd) run() (res baselineResult) {
	res = baselineResult{Changes: []baselineChange{}}
	fail := func(err error) baselineResult { res.Error = err.Error(); return res }
	h, err := NewHost(HostSpec{Command: "baseline", Replay: c.Replay, StateDir: c.StateDir, Fresh: c.Fresh})
	if err != nil {
		return fail(err)
	}
	defer h.Close()
	if res.Path, err = h.BaselinePath(); err != nil {
		return fail(err)
	}
	k, _, err := h.Key()
	if err != nil {
		return fail(fmt.Errorf("the approval key, which authenticates the baseline: %w", err))
	}
	key := statefile.Key(k)
	old, err := detect.LoadBaseline(res.Path, key)
	if err != nil && (c.Show || !c.Replace) {
		return fail(err) // a damaged baseline is replaced only when asked
	}
	if c.Show {
		res.Action, res.Baseline = "shown", old
		if old == nil {
			return fail(fmt.Errorf("no baseline is recorded in %s: run entra8344 baseline", res.Path))
		}
		return res
	}
	o := detect.DefaultOptions()
	o.Version, o.CollectorTimeout, o.DirectoryTimeout = version, c.CollectorTimeout, c.DirectoryTimeout
	env := detect.Env{Log: h.Log, Prober: h.Prober, Runner: h.Runner, Replay: h.Name, Now: h.Now,
		Directory: h.Directory, NoDirectoryReason: h.NoDirectoryReason}
	now, _, err := detect.RunBaseline(context.Background(), env, o)
	if err != nil {
		return fail(fmt.Errorf("no baseline recorded: %w", err))
	}
	if old != nil {
		for _, d := range detect.CompareBaseline(old, now) {
			ch := baselineChange{Kind: d.Kind, Connector: d.Connector}
			if d.Was != nil {
				ch.DN, ch.Was = d.Was.DN, d.Was.SDDL
			}
			if d.Now != nil {
				ch.DN, ch.Now = d.Now.DN, d.Now.SDDL
			}
			res.Changes = append(res.Changes, ch)
		}
		res.Changes = append(res.Changes, addedNarrow(old, now)...)
		if len(res.Changes) == 0 {
			res.Action, res.Baseline = "unchanged", old
			return res
		}
		if !c.Replace {
			res.Action, res.Baseline = "changed", old
			return res
		}
	}
	if err := statefile.Write(res.Path, key, detect.BaselineKind, now); err != nil {
		return fail(err)
	}
	res.Action, res.Baseline = "recorded", now
	if old != nil {
		res.Action = "replaced"
	}
	return res
}

// addedNarrow: ACEs new since the baseline that detect does not report
// (narrow ones) are still a difference a second `baseline` names.
func addedNarrow(old, now *detect.Baseline) []baselineChange {
	var out []baselineChange
	for _, nc := range now.Connectors {
		seen := map[string]bool{}
		for _, oc := range old.Connectors {
			if oc.Connector == nc.Connector {
				for _, a := range oc.ACEs {
					seen[strings.ToLower(a.DN+"|"+a.SDDL)] = true
				}
			}
		}
		for _, a := range nc.ACEs {
			if !seen[strings.ToLower(a.DN+"|"+a.SDDL)] && !a.Broad() {
				out = append(out, baselineChange{Kind: "connector-ace-added", Connector: nc.Connector, DN: a.DN, Now: a.SDDL})
			}
		}
	}
	return out
}

// baselineText is for a console: directory strings go through textout.Escape.
func baselineText(res baselineResult) string {
	var b strings.Builder
	e := textout.Escape
	if res.Error != "" {
		fmt.Fprintf(&b, "ERROR: %s\n", e(res.Error))
		return b.String()
	}
	fmt.Fprintf(&b, "Baseline %s: %s\n", res.Action, e(res.Path))
	if bl := res.Baseline; bl != nil {
		fmt.Fprintf(&b, "Recorded %s on %s\n", bl.RecordedAt, e(bl.Host))
		for _, c := range bl.Connectors {
			fmt.Fprintf(&b, "Connector %s, account %s (%s, %s)\n", e(c.Connector), e(c.Account), c.AccountSID, textout.Count(len(c.Groups), "group"))
			for _, p := range c.Partitions {
				fmt.Fprintf(&b, "  partition %s selected=%t\n", e(p.DN), p.Selected)
			}
			fmt.Fprintf(&b, "  writeback features: not collected yet\n")
			for _, a := range c.ACEs {
				mark := " "
				if a.AdminSDHolder {
					mark = "H"
				}
				fmt.Fprintf(&b, "  %s %s\n      %s\n", mark, e(a.DN), e(a.SDDL))
			}
		}
	}
	if len(res.Changes) > 0 {
		fmt.Fprintf(&b, "%s since the baseline:\n", textout.Count(len(res.Changes), "change"))
		for _, ch := range res.Changes {
			fmt.Fprintf(&b, "  %s %s on %s: was %q, now %q\n", ch.Kind, e(ch.Connector), e(ch.DN), e(ch.Was), e(ch.Now))
		}
		if res.Action == "changed" {
			b.WriteString("The baseline was kept: rerun with --replace to record the directory as it is now.\n")
		}
	}
	return b.String()
}
