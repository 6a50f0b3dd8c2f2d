package winhost

import (
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// loosen gives Users write access through an explicit ACE and lets the
// folder inherit, as a folder made by someone else in %ProgramData% would.
func loosen(t *testing.T, dir string) {
	t.Helper()
	sd, err := windows.SecurityDescriptorFromString("D:AI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;BU)")
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION|windows.UNPROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
}

// noFileSecurity skips a test that needs the state directory's DACL to
// stick, under Wine only: Wine keeps no file security descriptors and
// reports one made from the Unix owner and mode (owner: the Wine user,
// D:(A;OICI;FA;;;SY)(A;OICI;FA;;;<user>)...), whatever CreateDirectory was
// given. The check must then fail closed, which is what err proves.
func noFileSecurity(t *testing.T, err error) {
	t.Helper()
	if !underWine() {
		return
	}
	if !errors.Is(err, ErrStateDirInsecure) {
		t.Fatalf("under Wine the state directory must be refused as insecure, got %v", err)
	}
	t.Skipf("Wine stores no file security descriptors; the state directory is refused as it must be: %v", err)
}

// TestStateDirDACL reads back what CreateDirectory stored: the protected
// SYSTEM + Administrators DACL, inherited by a file created inside.
func TestStateDirDACL(t *testing.T) {
	dir := stateTempDir(t) + `\` + StateDirName
	if err := ensurePrivateDir(dir); err != nil {
		noFileSecurity(t, err)
		t.Fatal(err)
	}
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	s := sd.String()
	t.Logf("wine=%v state dir %s", underWine(), s)
	if !strings.Contains(s, "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)") {
		t.Errorf("DACL %s, want D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", s)
	}
	f := dir + `\file`
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsd, err := windows.GetNamedSecurityInfo(f, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("file inside: %s", fsd.String())
	if fs := fsd.String(); strings.Contains(fs, ";BU)") || strings.Contains(fs, ";WD)") || strings.Contains(fs, ";AU)") {
		t.Errorf("a file in the state directory is accessible to others: %s", fs)
	}
}

func TestStateDirIsProgramData(t *testing.T) {
	dir, err := StateDir()
	if err != nil {
		t.Fatal(err)
	}
	pd, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(dir, pd+`\entra8344`) {
		t.Errorf("StateDir %s, want %s\\entra8344", dir, pd)
	}
}
