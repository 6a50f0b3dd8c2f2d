package winhost

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// privateDirSDDL: owner Administrators (which only SYSTEM and elevated
// administrators may assign), protected DACL (no inheritance from
// %ProgramData%), full control for SYSTEM and Administrators, inherited by
// files and folders created inside.
const privateDirSDDL = "O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// stateDirCheckedAs: how checkPrivateDir below judges a directory.
const stateDirCheckedAs = StateDirWindowsDACL

// stateDir is %ProgramData%\entra8344. The known-folder API, not the
// environment variable, which whoever starts the process could set.
func stateDir() (string, error) {
	root, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil {
		return "", fmt.Errorf("locate %%ProgramData%%: %w", err)
	}
	return statePath(root, StateDirName), nil
}

// ensurePrivateDir creates dir with the private DACL in one call (no window
// in which it exists with inherited permissions), or checks an existing one.
func ensurePrivateDir(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(privateDirSDDL)
	if err != nil {
		return fmt.Errorf("build the state directory's security descriptor: %w", err)
	}
	sa := windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(sa))
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return fmt.Errorf("state directory %q: %w", dir, err)
	}
	if err := windows.CreateDirectory(p, &sa); err != nil && !errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		// ERROR_INVALID_OWNER: the token may not make Administrators the
		// owner, i.e. the process is neither SYSTEM nor elevated.
		return fmt.Errorf("create the state directory %s (needs SYSTEM or an elevated administrator): %w", dir, hint(err))
	}
	return checkPrivateDir(dir)
}

// checkPrivateDir reads the directory's owner and DACL (no reparse points:
// a junction could point anywhere) and judges them.
func checkPrivateDir(dir string) error {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return fmt.Errorf("state directory %q: %w", dir, err)
	}
	attrs, err := windows.GetFileAttributes(p)
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, hint(err))
	}
	if attrs&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		return insecure(dir, "is a junction or symbolic link")
	}
	if attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 {
		return insecure(dir, "is not a directory")
	}
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("read the permissions of the state directory %s: %w", dir, hint(err))
	}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return fmt.Errorf("read the owner of the state directory %s: %v", dir, err)
	}
	control, _, err := sd.Control()
	if err != nil {
		return fmt.Errorf("read the state directory's security descriptor control: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		// No DACL at all grants everyone everything.
		return insecure(dir, "has no DACL (%v)", err)
	}
	var aces []daclEntry
	if dacl != nil {
		for i := range uint32(dacl.AceCount) {
			var ace *windows.ACCESS_ALLOWED_ACE
			if err := windows.GetAce(dacl, i, &ace); err != nil {
				return fmt.Errorf("read ACE %d of the state directory's DACL: %w", i, err)
			}
			e := daclEntry{Allow: ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE, Mask: uint32(ace.Mask)}
			// ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE share the layout;
			// other types (object, callback) are not valid on files and
			// count as "someone else" when they allow.
			switch ace.Header.AceType {
			case windows.ACCESS_ALLOWED_ACE_TYPE, windows.ACCESS_DENIED_ACE_TYPE:
				e.SID = (*windows.SID)(unsafe.Pointer(&ace.SidStart)).String()
			default:
				e.Allow, e.SID = true, fmt.Sprintf("an ACE of type %d", ace.Header.AceType)
			}
			aces = append(aces, e)
		}
	} else {
		return insecure(dir, "has a NULL DACL (everyone has full control)")
	}
	return judgePrivateDACL(dir, owner.String(), control&windows.SE_DACL_PROTECTED != 0, aces)
}
