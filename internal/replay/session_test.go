package replay

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveTree: the entry-by-entry removal that stands in for RemoveAll
// where Windows' delete-on-close is refused (Wine) empties a session folder,
// removes a link without following it, and is fine with a missing folder.
func TestRemoveTree(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(root, "outside")
	if err := os.MkdirAll(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(outside, "keep")
	os.WriteFile(keep, []byte("x"), 0o600)
	dir := filepath.Join(root, "session")
	os.MkdirAll(filepath.Join(dir, "state", "journal"), 0o700)
	os.WriteFile(filepath.Join(dir, "session.json"), []byte("{}"), 0o600)
	os.WriteFile(filepath.Join(dir, "state", "journal", "j.json"), []byte("{}"), 0o600)
	if err := os.Symlink(outside, filepath.Join(dir, "state", "link")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := removeTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the session folder is still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file behind a link was removed: %v", err)
	}
}
