package doctor

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// processIdentity reads this process's token: user, SYSTEM or not, elevated.
func processIdentity() Process {
	var p Process
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		p.Problem = fmt.Sprintf("read the process token: %v", err)
		return p
	}
	p.SID = u.User.Sid.String()
	sys := u.User.Sid.IsWellKnown(windows.WinLocalSystemSid)
	p.IsSystem = &sys
	if acct, dom, _, err := u.User.Sid.LookupAccount(""); err == nil {
		p.User = dom + `\` + acct
	}
	elevated := tok.IsElevated()
	p.Elevated = &elevated
	return p
}

// exeVersion reads the running exe's version resource through the same
// API Explorer uses (GetFileVersionInfo, VerQueryValue).
func exeVersion() Exe {
	path, err := os.Executable()
	if err != nil {
		return Exe{Problem: fmt.Sprintf("locate the running exe: %v", err)}
	}
	e := Exe{Path: path}
	var zero windows.Handle
	size, err := windows.GetFileVersionInfoSize(path, &zero)
	if err != nil {
		e.Problem = fmt.Sprintf("no version resource (%v): a development build; release builds embed one", err)
		return e
	}
	buf := make([]byte, size)
	if err := windows.GetFileVersionInfo(path, 0, size, unsafe.Pointer(&buf[0])); err != nil {
		e.Problem = fmt.Sprintf("read the version resource: %v", err)
		return e
	}
	var fixed *windows.VS_FIXEDFILEINFO
	var n uint32
	if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), `\`, unsafe.Pointer(&fixed), &n); err != nil || fixed == nil || fixed.Signature != 0xFEEF04BD {
		e.Problem = fmt.Sprintf("the version resource has no VS_FIXEDFILEINFO (%v)", err)
		return e
	}
	e.FileVersion = fmt.Sprintf("%d.%d.%d.%d", fixed.FileVersionMS>>16, fixed.FileVersionMS&0xffff, fixed.FileVersionLS>>16, fixed.FileVersionLS&0xffff)
	pv, err := versionString(buf, "ProductVersion")
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	e.ProductVersion = pv
	return e
}

// versionString reads one StringFileInfo string in the first translation.
func versionString(buf []byte, name string) (string, error) {
	var tr *[2]uint16
	var n uint32
	if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), `\VarFileInfo\Translation`, unsafe.Pointer(&tr), &n); err != nil || tr == nil || n < 4 {
		return "", fmt.Errorf("the version resource has no translation table (%v)", err)
	}
	var p *uint16
	sub := fmt.Sprintf(`\StringFileInfo\%04x%04x\%s`, tr[0], tr[1], name)
	if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), sub, unsafe.Pointer(&p), &n); err != nil || p == nil {
		return "", errors.Join(fmt.Errorf("the version resource has no %s", sub), err)
	}
	return windows.UTF16PtrToString(p), nil
}
