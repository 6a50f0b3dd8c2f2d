package winhost

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJudgePrivateDACL(t *testing.T) {
	private := []daclEntry{{Allow: true, SID: sidSystem, Mask: 0x1f01ff}, {Allow: true, SID: sidAdministrators, Mask: 0x1f01ff}}
	for _, c := range []struct {
		name      string
		owner     string
		protected bool
		aces      []daclEntry
		bad       string // "" = private
	}{
		{"created by entra8344 as SYSTEM", sidAdministrators, true, private, ""},
		{"owned by SYSTEM", sidSystem, true, private, ""},
		{"extra deny is fine", sidSystem, true, append([]daclEntry{{SID: "S-1-5-11", Mask: 0x1f01ff}}, private...), ""},
		{"empty allow mask is fine", sidSystem, true, append([]daclEntry{{Allow: true, SID: "S-1-5-11"}}, private...), ""},
		{"pre-created by a user", "S-1-5-21-1-2-3-1001", true, private, "is owned by S-1-5-21-1-2-3-1001"},
		{"inherits from ProgramData", sidSystem, false, private, "inherits permissions"},
		{"Users may write", sidSystem, true, append([]daclEntry{{Allow: true, SID: "S-1-5-32-545", Mask: 0x100116}}, private...), "grants access to S-1-5-32-545"},
		{"CREATOR OWNER", sidSystem, true, append([]daclEntry{{Allow: true, SID: "S-1-3-0", Mask: 0x10000000}}, private...), "S-1-3-0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := judgePrivateDACL(`C:\ProgramData\entra8344`, c.owner, c.protected, c.aces)
			if c.bad == "" {
				if err != nil {
					t.Fatalf("want private, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrStateDirInsecure) || !strings.Contains(err.Error(), c.bad) || !strings.Contains(err.Error(), "delete the folder") {
				t.Fatalf("want ErrStateDirInsecure mentioning %q and the fix, got %v", c.bad, err)
			}
		})
	}
}

// TestStateDirLifecycle: missing -> created private -> checked writable,
// on this OS's rules (Windows DACL, or Unix owner and mode).
func TestStateDirLifecycle(t *testing.T) {
	dir := filepath.Join(stateTempDir(t), StateDirName)
	st := checkStateDirAt(dir)
	if st.Exists == nil || *st.Exists || st.Secure != nil || st.Writable != nil || !strings.Contains(st.Problem, "does not exist yet") {
		t.Fatalf("missing dir: %+v", st)
	}
	if err := ensurePrivateDir(dir); err != nil {
		noFileSecurity(t, err)
		t.Fatalf("ensurePrivateDir: %v", err)
	}
	if err := ensurePrivateDir(dir); err != nil {
		t.Fatalf("ensurePrivateDir again (exists): %v", err)
	}
	st = checkStateDirAt(dir)
	if st.Exists == nil || !*st.Exists || st.Secure == nil || !*st.Secure || st.Writable == nil || !*st.Writable || st.Problem != "" {
		t.Fatalf("after ensure: %+v", st)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("the writable probe left %d files behind", len(ents))
	}
	// A file inside is created with the directory's protection.
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStateDirRefusesForeignDir: a folder made without the private
// permissions (as anyone may in %ProgramData%) is refused, not repaired.
func TestStateDirRefusesForeignDir(t *testing.T) {
	dir := filepath.Join(stateTempDir(t), StateDirName)
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	loosen(t, dir)
	err := ensurePrivateDir(dir)
	if !errors.Is(err, ErrStateDirInsecure) {
		t.Fatalf("ensurePrivateDir on a foreign folder: want ErrStateDirInsecure, got %v", err)
	}
	st := checkStateDirAt(dir)
	if st.Secure == nil || *st.Secure || st.Writable != nil || st.Problem == "" {
		t.Fatalf("CheckStateDir on a foreign folder: %+v", st)
	}
	t.Logf("refused: %v", err)
}

func TestStateDirNotADirectory(t *testing.T) {
	dir := filepath.Join(stateTempDir(t), StateDirName)
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ensurePrivateDir(dir); err == nil {
		t.Fatal("ensurePrivateDir accepted a file")
	}
}

// stateTempDir is t.TempDir with a cleanup that removes the tree with
// os.Remove only: Go 1.26's os.RemoveAll fails under Wine 8.0 ("Invalid
// function", see tempDir in helper_test.go).
func stateTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "winhost-state-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var rm func(string)
		rm = func(p string) {
			if ents, err := os.ReadDir(p); err == nil {
				for _, e := range ents {
					rm(filepath.Join(p, e.Name()))
				}
			}
			os.Chmod(p, 0o700)
			os.Remove(p)
		}
		rm(dir)
		if _, err := os.Lstat(dir); err == nil {
			t.Errorf("could not remove %s", dir)
		}
	})
	return dir
}
