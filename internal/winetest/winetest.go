// Package winetest runs the Windows exe under Wine for the tests that
// prove it (scripts/wine-test.sh prepares the prefix and the wineserver).
package winetest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Run starts `wine exe args...` with env added to the test's environment
// and no stdin, and returns its stdout, stderr and exit code. A wine that
// cannot start, or runs past 5 minutes, fails the test.
func Run(t testing.TB, exe string, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, nil
	start := time.Now()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wine %s %v: %v", exe, args, err)
	}
	t.Logf("wine %v: exit %d in %v", args, code, time.Since(start).Round(time.Millisecond))
	return out.String(), errb.String(), code
}
