package cli

import (
	"encoding/json"
	"entra8344/internal/schemacheck"
	"runtime"
	"strings"
	"testing"

	"entra8344/internal/doctor"
	"entra8344/schema"
)

// The real doctor on this (non-Windows) host: one document that validates
// against `schema doctor`, its exit code the one it states, and no
// Windows fact claimed.
func TestDoctorNative(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the native Windows doctor is checked under Wine (wine_doctor_test.go)")
	}
	t.Setenv("TMPDIR", t.TempDir()) // its state directory
	out, stderr, code := runCLI(t, "doctor", "--powershell-timeout", "1d", "--directory-timeout", "1w")
	if err := schemacheck.Validate("doctor", []byte(out)); err != nil {
		t.Fatalf("doctor output does not validate: %v\n%s", err, out)
	}
	var r doctor.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != r.ExitCode || stderr != "" {
		t.Fatalf("exit %d, report %d, stderr %q, %v", code, r.ExitCode, stderr, err)
	}
	for _, c := range r.Checks {
		if c.Source == doctor.SourceWindows || strings.Contains(c.Message, "SYSTEM and Administrators") {
			t.Errorf("claims a Windows fact off Windows: %+v", c)
		}
	}
	schemaOut, _, code := runCLI(t, "schema", "doctor")
	if want, _ := schema.Document("doctor"); code != 0 || schemaOut != string(want) {
		t.Errorf("schema doctor: exit %d, %.60q", code, schemaOut)
	}
}
