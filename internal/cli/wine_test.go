package cli

import (
	"encoding/json"
	"entra8344/internal/schemacheck"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"entra8344/fixtures"
	"entra8344/internal/winetest"
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
		return wineEnv(t, exe, nil, args...)
	}

	t.Run("live", func(t *testing.T) {
		stdout, stderr, code := wine("detect")
		if stderr != "" || code != exitOK {
			t.Fatalf("live detect under Wine: exit %d stderr %q", code, stderr)
		}
		if err := schemacheck.Validate("verdict", []byte(stdout)); err != nil {
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
			// Fresh sessions: each run sees the scenario as recorded, whatever ran before.
			stdout, stderr, code := wine("detect", "--replay", name, "--fresh")
			want, _, wantCode := runCLI(t, "detect", "--replay", name, "--fresh")
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
	// The directory through Wine's wldap32 against the Samba DC of
	// scripts/samba-dc.sh: the exe's acl command must read AdminSDHolder's
	// descriptor byte-identical to what ldapsearch read (wine-test.sh passes it).
	t.Run("acl", func(t *testing.T) {
		want := os.Getenv("ENTRA8344_EXPECT_ADMINSDHOLDER_SD_B64")
		if os.Getenv("SAMBA_DC_LDAP_URL") == "" || want == "" {
			t.Skip("no Samba DC (SAMBA_DC_LDAP_URL) or no ldapsearch reference (ENTRA8344_EXPECT_ADMINSDHOLDER_SD_B64)")
		}
		stdout, stderr, code := wineEnv(t, hooksExe(t), sambaHooksEnv(), "acl")
		if stderr != "" || code != exitOK {
			t.Fatalf("acl under Wine: exit %d stderr %q stdout %s", code, stderr, stdout)
		}
		var res aclResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("acl output is not one JSON document: %v\n%s", err, stdout)
		}
		if res.DN != "CN=AdminSDHolder,CN=System,"+os.Getenv("SAMBA_DC_BASE_DN") {
			t.Errorf("acl read %q, want the default domain's AdminSDHolder", res.DN)
		}
		if res.SDBase64 != want {
			t.Errorf("wldap32 read a different descriptor than ldapsearch:\n wldap32    %s\n ldapsearch %s", res.SDBase64, want)
		}
		if !strings.HasPrefix(res.SDDL, "D:") || res.SDRightsEffective == nil || *res.SDRightsEffective&4 == 0 {
			t.Errorf("sddl %q, sDRightsEffective %v (Administrator may write the DACL)", res.SDDL, res.SDRightsEffective)
		}
		t.Logf("wldap32 under Wine read %d bytes from %s, identical to ldapsearch; SDDL %.80s...", res.Length, res.Server, res.SDDL)
	})
	t.Run("doctor", func(t *testing.T) { wineDoctor(t, exe) })
	t.Run("no test hooks", func(t *testing.T) { wineNoTestHooks(t, exe) })
	// The replayed remediation as the Windows exe does it: lock, journal
	// (atomic rename), the one ACE, the simulated task, the delta sync.
	t.Run("remediate", func(t *testing.T) {
		stdout, _, _ := wine("detect", "--replay", "demo", "--fresh")
		v := normalize(t, []byte(stdout))
		if v.Approval == nil {
			t.Fatal("the demo verdict under Wine has no approval token")
		}
		state, err := os.MkdirTemp("", "entra8344-wine-state-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(state)
		out, stderr, code := wineEnv(t, exe, []string{"ENTRA8344_APPROVAL_TOKEN=" + v.Approval.Token}, "remediate", "--replay", "demo", "--state-dir", state)
		if stderr != "" || code != 0 {
			t.Fatalf("remediate under Wine: exit %d stderr %q\n%s", code, stderr, out)
		}
		if err := schemacheck.Validate("result", []byte(out)); err != nil {
			t.Fatal(err)
		}
		var res schema.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != schema.ResultVerified || res.Journal == nil {
			t.Fatalf("result %s (%v)", res.Status, err)
		}
		if entries, _ := os.ReadDir(filepath.Join(state, "journal")); len(entries) != 1 {
			t.Errorf("%d journal files under Wine, want 1", len(entries))
		}
		if _, err := os.Stat(filepath.Join(state, "remediate.lock")); err == nil {
			t.Error("the lock was left behind")
		}
	})
	t.Run("summary", func(t *testing.T) {
		stdout, stderr, code := wine("detect", "--replay", "demo", "--format", "summary", "--fresh")
		if stderr != "" || code != exitRemedy || strings.Count(stdout, "\n") != 1 {
			t.Errorf("summary under Wine: exit %d stderr %q stdout %q", code, stderr, stdout)
		}
	})
}

// wineEnv runs the exe under Wine with extra environment variables.
// hooksExe is the test build of the exe (-tags entra8344_testhooks, path in
// ENTRA8344_WINE_HOOKS_EXE), the only one that honours sambaHooksEnv.
func hooksExe(t *testing.T) string {
	t.Helper()
	exe := os.Getenv("ENTRA8344_WINE_HOOKS_EXE")
	if exe == "" {
		t.Fatal("ENTRA8344_WINE_HOOKS_EXE not set: scripts/wine-test.sh builds it with -tags entra8344_testhooks")
	}
	return exe
}

// sambaHooksEnv points a test build at the Samba DC of scripts/samba-dc.sh,
// binding as its Administrator (Wine's wldap32 crashes on NULL credentials).
func sambaHooksEnv() []string {
	return []string{
		"ENTRA8344_LDAP_SERVER=" + os.Getenv("SAMBA_DC_HOST"),
		"ENTRA8344_LDAP_USER=Administrator",
		"ENTRA8344_LDAP_DOMAIN=" + os.Getenv("SAMBA_DC_DOMAIN"),
		"ENTRA8344_LDAP_PASSWORD=" + os.Getenv("SAMBA_DC_ADMIN_PASS"),
	}
}

func wineEnv(t *testing.T, exe string, env []string, args ...string) (string, string, int) {
	t.Helper()
	return winetest.Run(t, exe, env, args...)
}

// wineNoTestHooks: the product exe (the release build under scripts/test.sh)
// ignores the test hooks. Pointed at the Samba DC with its Administrator's
// password, it still binds as the process identity, which Wine's wldap32
// cannot do, so acl fails with that reason instead of reading Samba.
func wineNoTestHooks(t *testing.T, exe string) {
	env := sambaHooksEnv()
	if os.Getenv("SAMBA_DC_HOST") == "" {
		env[0] = "ENTRA8344_LDAP_SERVER=127.0.0.1"
	}
	stdout, stderr, code := wineEnv(t, exe, env, "acl")
	if code == exitOK || !strings.Contains(stdout+stderr, "NULL credentials") {
		t.Fatalf("acl with the test hooks set: exit %d, want the refusal of a bind as the current identity (the hooks ignored)\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
