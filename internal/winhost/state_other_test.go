//go:build !windows

package winhost

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loosen gives group and others access, as a foreign folder would have.
func loosen(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
}

// noFileSecurity: every Unix file system keeps owner and mode.
func noFileSecurity(*testing.T, error) {}

func TestStateDirFollowsTMPDIR(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir, err := EnsureStateDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), StateDirName+"-") {
		t.Fatalf("state dir %s is not under TMPDIR %s", dir, tmp)
	}
	if p, _ := StateDir(); p != dir {
		t.Errorf("StateDir %s != EnsureStateDir %s", p, dir)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if st := CheckStateDir(); st.Writable == nil || !*st.Writable {
		t.Errorf("CheckStateDir: %+v", st)
	}
}

func TestStateDirSymlinkRefused(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, StateDirName)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := ensurePrivateDir(link); !errors.Is(err, ErrStateDirInsecure) {
		t.Fatalf("symlink: %v", err)
	}
}

func TestStateDirNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory anyway")
	}
	dir := filepath.Join(t.TempDir(), StateDirName)
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	st := checkStateDirAt(dir)
	if st.Writable == nil || *st.Writable || !strings.Contains(st.Problem, "not writable") {
		t.Fatalf("read-only dir: %+v", st)
	}
}
