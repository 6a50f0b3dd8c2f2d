package cli

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// durationHelp is appended to every duration flag's help (${durations}).
const durationHelp = "Units: s, m, h, d (24h), w (7d); e.g. 90m, 1h30m, 3d, 1w."

// parseDuration is every duration flag's parser: Go's time.ParseDuration
// plus days ("d", 24h) and weeks ("w", 7d), the units MSPs schedule in.
// A unit may carry a decimal fraction, as in Go ("1.5d" is 36h, like
// "1.5h" is 90m). Negative durations are refused: every flag is a timeout,
// a wait or an age. Days are 24 hours (no calendar, no DST).
func parseDuration(s string) (time.Duration, error) {
	const want = "want a duration like 90m, 36h, 3d or 1w"
	if s == "" {
		return 0, fmt.Errorf("empty duration: %s", want)
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q is negative: %s", s, want)
	}
	// Rewrite each day and week term into hours, then let Go parse the
	// whole (it checks the syntax and overflow of every term).
	var b strings.Builder
	for rest := s; rest != ""; {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i < 0 {
			i = len(rest)
		}
		if i == 0 {
			return 0, fmt.Errorf("%q: expected a number before %q: %s", s, rest, want)
		}
		num := rest[:i]
		j := strings.IndexFunc(rest[i:], func(r rune) bool { return (r >= '0' && r <= '9') || r == '.' })
		unit := rest[i:]
		if j >= 0 {
			unit = rest[i : i+j]
		}
		rest = rest[i+len(unit):]
		if unit == "" && !(num == "0" && rest == "" && b.Len() == 0) {
			return 0, fmt.Errorf("%q: %q has no unit: %s", s, num, want)
		}
		if !validUnit[unit] && unit != "" {
			return 0, fmt.Errorf("%q: unknown unit %q: %s", s, unit, want)
		}
		hours := map[string]float64{"d": 24, "w": 7 * 24}[unit]
		if hours == 0 {
			b.WriteString(num + unit)
			continue
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil || strings.ContainsAny(num, "eE") {
			return 0, fmt.Errorf("%q: %q is not a number: %s", s, num, want)
		}
		b.WriteString(strconv.FormatFloat(n*hours, 'f', -1, 64) + "h")
	}
	d, err := time.ParseDuration(b.String())
	if err != nil {
		// The terms and units are valid by now: a bad number or overflow.
		return 0, fmt.Errorf("%q is not a duration (a malformed number, or longer than %s): %s", s, time.Duration(math.MaxInt64).Round(time.Hour), want)
	}
	return d, nil
}

var validUnit = map[string]bool{"ns": true, "us": true, "µs": true, "μs": true, "ms": true, "s": true, "m": true, "h": true, "d": true, "w": true}

// durationMapper makes parseDuration the decoder of every time.Duration
// flag (registered once in Run), defaults included.
func durationMapper(ctx *kong.DecodeContext, target reflect.Value) error {
	var s string
	if err := ctx.Scan.PopValueInto("duration", &s); err != nil {
		return err
	}
	d, err := parseDuration(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	target.SetInt(int64(d))
	return nil
}
