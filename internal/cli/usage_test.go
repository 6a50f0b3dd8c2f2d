package cli

import (
	"strings"
	"testing"

	"entra8344/schema"
)

// TestUsageErrors: a misused command line ends with where its help is; an
// unknown --replay names the built-in scenarios, demo included.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"detect", "--replay", "no-such-scenario"}, []string{"no scenario folder or built-in scenario no-such-scenario (built-in: ", " demo,", "see: entra8344 detect --help\n"}},
		{[]string{"detect", "--format", "xml"}, []string{"see: entra8344 detect --help\n"}},
		{[]string{"remediate", "--replay", "healthy"}, []string{"see: entra8344 remediate --help\n"}},
		{[]string{"frobnicate"}, []string{"see: entra8344 --help\n"}},
	} {
		_, stderr, code := runCLI(t, c.args...)
		for _, w := range c.want {
			if code != exitCLIUsage || !strings.Contains(stderr, w) || !strings.HasSuffix(stderr, "--help\n") {
				t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, stderr, w)
			}
		}
	}
}

// TestHelpCommand: `entra8344 help [command]` prints the same help as --help.
func TestHelpCommand(t *testing.T) {
	for _, c := range [][2][]string{{{"help"}, {"--help"}}, {{"help", "remediate"}, {"remediate", "--help"}}, {{"help", "replay", "reset"}, {"replay", "reset", "--help"}}} {
		got, stderr, code := runCLI(t, c[0]...)
		want, _, _ := runCLI(t, c[1]...)
		if code != exitOK || stderr != "" || got != want || !strings.Contains(got, "Usage: entra8344") {
			t.Errorf("%v: exit %d, stderr %q, help differs from %v: %v", c[0], code, stderr, c[1], got != want)
		}
	}
}

// TestDryRunExitsZero: remediate --dry-run did what was asked: exit 0,
// status dry-run, nothing written to the session.
func TestDryRunExitsZero(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	out, _, _ := runCLI(t, "detect", "--replay", "demo")
	v := normalize(t, []byte(out))
	for i := 0; i < 2; i++ { // the second run still finds nothing changed
		out, stderr, code := runCLI(t, "remediate", "--replay", "demo", "--token", v.Approval.Token, "--dry-run")
		r := result(t, out)
		if code != 0 || r.Status != schema.ResultDryRun || r.ExitCode != 0 || stderr != "" {
			t.Fatalf("run %d: exit %d, %s (%s), stderr %q", i, code, r.Status, r.Summary, stderr)
		}
	}
}
