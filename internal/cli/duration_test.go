package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
)

func TestParseDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string // "" = valid
	}{
		{"3d", 72 * time.Hour, ""},
		{"1w", 7 * 24 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"2d12h", 60 * time.Hour, ""},
		{"1w2d3h4m5s", (9*24+3)*time.Hour + 4*time.Minute + 5*time.Second, ""},
		{"1.5d", 36 * time.Hour, ""}, // decimals as in Go's 1.5h
		{"0", 0, ""},
		{"0d", 0, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"-1d", 0, "negative"},
		{"-5m", 0, "negative"},
		{"3x", 0, `unknown unit "x"`},
		{"3dd", 0, `unknown unit "dd"`},
		{"", 0, "empty duration"},
		{"3", 0, `"3" has no unit`},
		{"d", 0, "expected a number"},
		{"1d 2h", 0, `unknown unit "d "`},
		{"1e3d", 0, `unknown unit "e"`},
		{"1..5d", 0, `"1..5" is not a number`},
		{"1.2.3h", 0, "is not a duration"},
		{"999999999w", 0, "is not a duration"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseDuration(c.in)
			switch {
			case c.err == "" && (err != nil || got != c.want):
				t.Errorf("parseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "3d")):
				t.Errorf("parseDuration(%q) = %v, %v; want an error with %q that shows the accepted forms", c.in, got, err, c.err)
			}
		})
	}
}

// Every time.Duration flag of every command decodes through parseDuration
// (so takes days and weeks) and says so in its help.
func TestEveryDurationFlagTakesDays(t *testing.T) {
	var cli CLI
	var out strings.Builder
	parser, err := newParser(&cli, IO{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	durType := reflect.TypeOf(time.Duration(0))
	n := 0
	var nodes []*kong.Node
	var walk func(*kong.Node)
	walk = func(nd *kong.Node) {
		nodes = append(nodes, nd)
		for _, c := range nd.Children {
			walk(c)
		}
	}
	walk(parser.Model.Node)
	for _, node := range nodes {
		for _, f := range node.Flags {
			if f.Target.Type() != durType {
				continue
			}
			n++
			name := node.FullPath() + " --" + f.Name
			if !strings.Contains(f.Help, durationHelp) {
				t.Errorf("%s: help %q does not say days and weeks are accepted", name, f.Help)
			}
			target := reflect.New(durType).Elem()
			if err := f.Mapper.Decode(&kong.DecodeContext{Value: f.Value, Scan: kong.Scan("3d")}, target); err != nil || target.Interface() != 72*time.Hour {
				t.Errorf("%s 3d: %v, %v", name, target.Interface(), err)
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d duration flags; the model walk is broken", n)
	}
}

// Through the command line: days reach the command, and remediate's
// maximums (issue 12) still refuse a long wait before anything is done.
func TestDurationFlagsEndToEnd(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	if _, stderr, code := runCLI(t, "detect", "--replay", "demo", "--approval-expiry", "3d"); code == exitCLIUsage {
		t.Errorf("detect --approval-expiry 3d: exit %d, %s", code, stderr)
	}
	_, stderr, code := runCLI(t, "detect", "--replay", "demo", "--approval-expiry", "1.5x")
	if code != exitCLIUsage || !strings.Contains(stderr, "--approval-expiry") || !strings.Contains(stderr, `unknown unit "x"`) {
		t.Errorf("detect --approval-expiry 1.5x: exit %d, stderr %q", code, stderr)
	}
	out, _, _ := runCLI(t, "detect", "--replay", "demo")
	v := normalize(t, []byte(out))
	for _, c := range []struct{ flag, value, want string }{
		{"--wait", "1d", "--wait 24h0m0s is outside 0..2h0m0s"},
		{"--wait-export", "1w", "--wait-export 168h0m0s is outside 0..4h0m0s"},
		{"--directory-timeout", "1d", "--directory-timeout 24h0m0s is outside 0..30m0s"},
	} {
		out, _, _ := runCLI(t, "remediate", "--replay", "demo", "--token", v.Approval.Token, c.flag, c.value)
		if r := result(t, out); !strings.Contains(r.Summary, c.want) {
			t.Errorf("remediate %s %s: %s (%s); want refused with %q", c.flag, c.value, r.Status, r.Summary, c.want)
		}
	}
}
