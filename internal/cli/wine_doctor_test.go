package cli

import (
	"bytes"
	"encoding/json"
	"entra8344/internal/schemacheck"
	"os"
	"strings"
	"testing"

	"entra8344/internal/doctor"
	"entra8344/internal/release"
)

// wineDoctor runs `doctor` and `version` of the Windows exe under Wine
// (against the Samba DC when SAMBA_DC_* is set) and checks what Wine can
// show: one JSON document, the exit code it states, the version resource
// read through Windows' version API equal to `version` (when wine-test.sh
// ran a release build: ENTRA8344_EXPECT_VERSION_RESOURCE=1), the bind,
// sDRightsEffective, and an honest "unknown" for what Wine and Samba lack.
func wineDoctor(t *testing.T, exe string) {
	vout, verr, vcode := wineEnv(t, exe, nil, "version")
	var ver struct{ Version, Commit, Built string }
	if vcode != exitOK || verr != "" || json.Unmarshal([]byte(vout), &ver) != nil {
		t.Fatalf("version under Wine: exit %d stderr %q stdout %q", vcode, verr, vout)
	}
	r, status := wineDoctorRun(t, exe, nil)
	if r.Process.Elevated == nil || r.Process.SID == "" || r.Host.Role != "member" {
		t.Errorf("process %+v, role %q", r.Process, r.Host.Role)
	}
	if os.Getenv("ENTRA8344_EXPECT_VERSION_RESOURCE") == "1" {
		num, _ := release.FileVersion(ver.Version)
		if r.Exe.ProductVersion != ver.Version || r.Exe.FileVersion != num || r.Exe.MatchesBuild == nil || !*r.Exe.MatchesBuild {
			t.Errorf("version resource through GetFileVersionInfo under Wine: %+v; `version` says %s (file version %s)", r.Exe, ver.Version, num)
		}
	}
	// Wine keeps no file security descriptors: the state directory (made by
	// the live detect before) can never be private there, and doctor says so.
	if c := status["state_dir"]; c.Status == doctor.StatusOK {
		t.Errorf("state_dir ok under Wine, which stores no DACLs: %+v", c)
	}
	if c := status["powershell.language_mode"]; c.Status != doctor.StatusUnknown {
		t.Errorf("Wine's powershell.exe is a stub that prints nothing: %+v", c)
	}
	if os.Getenv("SAMBA_DC_LDAP_URL") == "" {
		return
	}
	// The directory checks against Samba need the test build's hooks.
	r, status = wineDoctorRun(t, hooksExe(t), sambaHooksEnv())
	if r.LDAP.Bound == nil || !*r.LDAP.Bound || r.LDAP.Operations < 3 || r.LDAP.DomainNC != os.Getenv("SAMBA_DC_BASE_DN") {
		t.Errorf("ldap %+v", r.LDAP)
	}
	if r.AdminSDHolder.SDRightsEffective == nil || *r.AdminSDHolder.SDRightsEffective != 15 || status["adminsdholder.write_dacl"].Status != doctor.StatusOK {
		t.Errorf("Administrator may write AdminSDHolder's DACL on Samba: %+v", r.AdminSDHolder)
	}
	// Samba 4.17 has no WhoAmI: the identity, and so the protect-task right, are unknown.
	if r.LDAP.Identity == "" && (status["ldap.identity"].Status != doctor.StatusUnknown || !strings.Contains(r.LDAP.IdentityProblem, "not supported") ||
		status["protect_task.trigger"].Status != doctor.StatusUnknown) {
		t.Errorf("without WhoAmI: identity %+v, protect task %+v", status["ldap.identity"], status["protect_task.trigger"])
	}
	if !bytes.Contains([]byte(r.LDAP.ProtectionNote), []byte("92")) || status["ldap.sign_seal"].Status != doctor.StatusUnknown {
		t.Errorf("Wine cannot confirm sealing: %+v", r.LDAP)
	}
}

// wineDoctorRun runs doctor under Wine and decodes its one report.
func wineDoctorRun(t *testing.T, exe string, env []string) (doctor.Report, map[string]doctor.Check) {
	t.Helper()
	stdout, stderr, code := wineEnv(t, exe, env, "doctor", "--powershell-timeout", "30s")
	if stderr != "" {
		t.Errorf("doctor wrote to stderr: %q", stderr)
	}
	if err := schemacheck.Validate("doctor", []byte(stdout)); err != nil {
		t.Errorf("doctor output does not validate against schema doctor: %v", err)
	}
	var r doctor.Report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || dec.More() {
		t.Fatalf("doctor output is not one doctor.Report: %v\n%s", err, stdout)
	}
	if code != r.ExitCode || r.SchemaVersion != doctor.SchemaVersion || len(r.Checks) < 12 {
		t.Errorf("exit %d, report says %d; schema %q; %d checks", code, r.ExitCode, r.SchemaVersion, len(r.Checks))
	}
	status := map[string]doctor.Check{}
	for _, c := range r.Checks {
		status[c.ID] = c
		t.Logf("%-26s %-8s %s", c.ID, c.Status, c.Message)
	}
	return r, status
}
