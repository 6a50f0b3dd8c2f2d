package winhost

import "testing"

func TestServiceBinary(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe"`, `C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe`},
		// What the Connect installer writes: unquoted, with spaces.
		{`C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe`, `C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe`},
		{`"C:\Program Files\X\svc.exe" -k netsvcs`, `C:\Program Files\X\svc.exe`},
		{`C:\Program Files\X Y\svc.EXE /run now`, `C:\Program Files\X Y\svc.EXE`},
		{`C:\Tools\my.exe.d\svc.exe -x`, `C:\Tools\my.exe.d\svc.exe`},
		{`C:\windows\system32\svchost.exe -k rpcss`, `C:\windows\system32\svchost.exe`},
		{`\??\C:\drivers\x.exe`, `C:\drivers\x.exe`},
		{`  "C:\unterminated\a b.exe  `, `C:\unterminated\a b.exe`},
		{`C:\no\extension\binary`, `C:\no\extension\binary`},
		{``, ``},
	} {
		if got := serviceBinary(tc.in); got != tc.want {
			t.Errorf("serviceBinary(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFileVersionString(t *testing.T) {
	// 2.4.18.0, as the Connect version history writes it.
	if got := fileVersionString(2<<16|4, 18<<16|0); got != "2.4.18.0" {
		t.Errorf("fileVersionString = %q, want 2.4.18.0", got)
	}
	if got := fileVersionString(0xffff<<16|1, 0x1234<<16|0xabcd); got != "65535.1.4660.43981" {
		t.Errorf("fileVersionString = %q", got)
	}
}
