package winhost

import (
	"fmt"
	"strings"
)

const (
	// adsyncServiceName is the Entra Connect sync engine service (miiserver.exe).
	adsyncServiceName = "ADSync"
	// adsyncRegKey holds Location, the sync engine root (HKLM).
	adsyncRegKey = `SOFTWARE\Microsoft\AD Sync`
	// miiserverExe is the sync engine binary whose file version is the Connect version.
	miiserverExe = "miiserver.exe"
)

func (f *Facts) notef(format string, args ...any) {
	f.Notes = append(f.Notes, fmt.Sprintf(format, args...))
}

// serviceBinary reduces an SCM BinaryPathName (the service's command line) to
// the executable path: quotes and arguments removed, the NT "\??\" prefix
// dropped. The SCM accepts unquoted paths with spaces ("C:\Program Files\Microsoft
// Azure AD Sync\Bin\miiserver.exe", which is what the Connect installer writes),
// so an unquoted value is cut after the first ".exe" that ends a word rather
// than at the first space.
func serviceBinary(cmdline string) string {
	s := strings.TrimSpace(cmdline)
	if strings.HasPrefix(s, `"`) {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			s = s[1 : 1+end]
		} else {
			s = s[1:]
		}
	} else {
		lower := strings.ToLower(s)
		for i := 0; ; {
			j := strings.Index(lower[i:], ".exe")
			if j < 0 {
				break
			}
			end := i + j + len(".exe")
			if end == len(s) || s[end] == ' ' || s[end] == '\t' {
				s = s[:end]
				break
			}
			i = end
		}
	}
	s = strings.TrimPrefix(s, `\??\`)
	return strings.TrimSpace(s)
}

// fileVersionString formats VS_FIXEDFILEINFO.dwFileVersionMS/LS as
// major.minor.build.revision, the form Microsoft's Connect version history uses.
func fileVersionString(ms, ls uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)
}
