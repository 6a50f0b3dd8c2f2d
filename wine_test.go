package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"entra8344/fixtures"
	"entra8344/schema"
)

// TestUnderWine runs the real Windows exe (built by scripts/wine-test.sh,
// path in ENTRA8344_WINE_EXE) under Wine: a live detect on a host without
// ADSync, and every scenario replayed, each compared with the in-process
// result. It proves the Windows build's host checks, temp files, stdout
// purity and exit codes.
func TestUnderWine(t *testing.T) {
	exe := os.Getenv("ENTRA8344_WINE_EXE")
	if exe == "" {
		t.Skip("ENTRA8344_WINE_EXE not set (scripts/wine-test.sh sets it)")
	}
	wine := func(args ...string) (string, string, int) {
		cmd := exec.Command("wine", append([]string{exe}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, nil
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("wine %v: %v", args, err)
		}
		return out.String(), errb.String(), code
	}

	t.Run("live", func(t *testing.T) {
		stdout, stderr, code := wine("detect")
		if stderr != "" || code != exitOK {
			t.Fatalf("live detect under Wine: exit %d stderr %q", code, stderr)
		}
		if err := schema.Validate("verdict", []byte(stdout)); err != nil {
			t.Fatal(err)
		}
		v := normalize(t, []byte(stdout))
		if v.Status != schema.StatusNotApplicable || v.Host.ADSyncService != "absent" || v.Collection.ProcessesStarted != 0 {
			t.Errorf("Wine has no ADSync service: got status %s, service %s, %d processes", v.Status, v.Host.ADSyncService, v.Collection.ProcessesStarted)
		}
		if v.Host.Computer == "" {
			t.Errorf("the Windows host checks found no computer name")
		}
	})
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := wine("detect", "--replay", name)
			want, _, wantCode := runCLI(t, "detect", "--replay", name)
			if stderr != "" {
				t.Errorf("stderr %q", stderr)
			}
			if code != wantCode {
				t.Errorf("exit %d under Wine, %d native", code, wantCode)
			}
			if diff := cmp.Diff(normalize(t, []byte(want)), normalize(t, []byte(stdout))); diff != "" {
				t.Errorf("Windows exe differs from the native run (-native +wine):\n%s", diff)
			}
		})
	}
	t.Run("summary", func(t *testing.T) {
		stdout, stderr, code := wine("detect", "--replay", "demo", "--format", "summary")
		if stderr != "" || code != exitPerson || strings.Count(stdout, "\n") != 1 {
			t.Errorf("summary under Wine: exit %d stderr %q stdout %q", code, stderr, stdout)
		}
	})
}
