package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReleaseHasNoTestHooks builds the Windows exe as scripts/release.sh
// does (no build tags) and as the Wine tests do (-tags
// entra8344_testhooks): only the test build contains the names of the
// environment variables that redirect the directory or change the bind
// identity, so the shipped exe has no code path that reads them.
func TestReleaseHasNoTestHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Windows exe twice")
	}
	hooks := []string{"ENTRA8344_LDAP_SERVER", "ENTRA8344_LDAP_USER", "ENTRA8344_LDAP_DOMAIN", "ENTRA8344_LDAP_PASSWORD", "ENTRA8344_LDAP_TEST_STATE_UNCHECKED"}
	for _, tc := range []struct {
		name  string
		tags  []string
		hooks bool
	}{
		{"release", nil, false},
		{"test build", []string{"-tags", "entra8344_testhooks"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), "entra8344.exe")
			args := append(append([]string{"build", "-trimpath"}, tc.tags...), "-o", exe, "entra8344") // the main package, from any folder of the module
			cmd := exec.Command("go", args...)
			cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %v: %v\n%s", args, err, out)
			}
			bin, err := os.ReadFile(exe)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hooks {
				if got := bytes.Contains(bin, []byte(h)); got != tc.hooks {
					t.Errorf("%s in the %s exe: %v, want %v", h, tc.name, got, tc.hooks)
				}
			}
		})
	}
}
