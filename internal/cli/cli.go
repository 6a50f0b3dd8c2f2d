// Command entra8344 diagnoses Entra Connect export error 8344 on the server an
// RMM runs it on: one JSON verdict on stdout, a Nagios-style exit code,
// nothing on stderr unless the command line is wrong.
package cli

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"entra8344/fixtures"
	"entra8344/schema"
)

// Set by the release build (-ldflags -X entra8344/internal/cli.version=...).
var (
	version = "dev"
	commit  = "unknown"
	built   = "unknown"
)

// Exit codes: the one table. RMM templates and the README follow it.
const (
	exitOK       = 0 // detect: OK or not applicable
	exitPerson   = 1 // detect: needs a person (not auto-remediable)
	exitRemedy   = 2 // detect: remediable finding, approval token issued
	exitUnknown  = 3 // detect: could not tell (collection error); also a misused command line
	exitCLIUsage = exitUnknown
	// summarize: a path does not exist or no input was a verdict (the
	// document still printed, one line on stderr).
	exitSummaryIncomplete = 1
	// doctor: exitOK when no check failed, exitPerson when one did (doctorExit).
)

var detectExit = map[schema.Status]int{
	schema.StatusHealthy:         exitOK,
	schema.StatusNotApplicable:   exitOK,
	schema.StatusStagingMode:     exitOK,
	schema.StatusSyncServiceDown: exitPerson,
	schema.StatusExportErrors:    exitPerson,
	schema.StatusRemediable:      exitRemedy,
	schema.StatusRunFailures:     exitPerson,
	schema.StatusError:           exitUnknown,
}

// DetectExitCode maps a verdict to its exit code.
func DetectExitCode(v *schema.Verdict) int {
	code, ok := detectExit[v.Status]
	if !ok {
		return exitUnknown
	}
	return code
}

// exitError carries an exit code through kong's Run.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// CLI is the command tree.
type CLI struct {
	Detect    DetectCmd    `cmd:"" help:"Diagnose read-only and print one JSON verdict."`
	Remediate RemediateCmd `cmd:"" help:"Apply the approved plan (token from ENTRA8344_APPROVAL_TOKEN): backup, one ACE on AdminSDHolder, verify, protection task, delta sync; prints one JSON result."`
	Revert    RevertCmd    `cmd:"" help:"Remove exactly the ACEs a remediation added (by its journal id); prints one JSON result."`
	Summarize SummarizeCmd `cmd:"" help:"Fleet view: summarize many verdicts (files, folders, NDJSON on stdin) as JSON, CSV or one self-contained HTML page."`
	Doctor    DoctorCmd    `cmd:"" help:"Read-only self-check of this host and its directory access (run it first on a new server); prints one JSON report."`
	Baseline  BaselineCmd  `cmd:"" help:"Record the connector accounts' ACEs (and sync scope) in the state directory, authenticated; detect then reports drift. --show prints it; a second run prints what changed and replaces it only with --replace."`
	Acl       AclCmd       `cmd:"" help:"Print an object's DACL (bytes and SDDL) as the directory returns it, as JSON (default: AdminSDHolder)."`
	Schema    SchemaCmd    `cmd:"" help:"Print an embedded JSON Schema (verdict, result, summary, doctor)."`
	Replay    ReplayCmd    `cmd:"" help:"Replay sessions: each --replay scenario keeps its directory, simulated sync engine, clock and state directory between runs, in your cache folder."`
	Version   VersionCmd   `cmd:"" help:"Print version, commit and build date as JSON."`
}

// IO is what commands write to; tests bind their own.
type IO struct {
	Stdout io.Writer
	Stderr io.Writer
}

// kongExit carries kong's own exits (after --help) out of the parser, so
// that nothing runs after the help text.
type kongExit struct{ code int }

// Run parses args, runs the command and returns the process exit code.
func Run(args []string, stdio IO) (code int) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			code = e.code
			if code != exitOK {
				code = exitCLIUsage
			}
		}
	}()
	var cli CLI
	parser, err := newParser(&cli, stdio)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "entra8344: %v\n", err)
		return exitCLIUsage
	}
	// `entra8344 help [command]` is `entra8344 [command] --help`.
	if len(args) > 0 && args[0] == "help" {
		args = append(append([]string{}, args[1:]...), "--help")
	}
	ctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "entra8344: %v\n%s", err, seeHelp(parser, args))
		return exitCLIUsage
	}
	if ctx == nil || ctx.Command() == "" {
		return exitOK
	}
	err = ctx.Run(&stdio)
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stdio.Stderr, "entra8344: %v\n%s", err, seeHelp(parser, args))
		return exitCLIUsage
	}
}

// newParser is the one kong parser: every time.Duration flag decodes
// through parseDuration (days and weeks too).
func newParser(cli *CLI, stdio IO) (*kong.Kong, error) {
	return kong.New(cli,
		kong.Name("entra8344"),
		kong.Description("Diagnose (and, with approval, fix) Entra Connect export error 8344."),
		kong.Writers(stdio.Stdout, stdio.Stderr),
		kong.Exit(func(code int) { panic(kongExit{code}) }),
		kong.UsageOnError(),
		kong.Vars{"scenarios": strings.Join(fixtures.Names(), ", "), "durations": durationHelp},
		kong.TypeMapper(reflect.TypeOf(time.Duration(0)), kong.MapperFunc(durationMapper)),
	)
}

// seeHelp is the last line of a usage error: where the command's help is.
func seeHelp(parser *kong.Kong, args []string) string {
	cmd := ""
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		for _, c := range parser.Model.Children {
			if c.Name == a {
				cmd = " " + a
			}
		}
		break
	}
	return "see: entra8344" + cmd + " --help\n"
}
