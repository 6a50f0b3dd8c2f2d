package wldap32

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unsafe"

	"entra8344/internal/ldap"
)

// TestLayout64 checks sizes and field offsets against winldap.h/sspi.h on
// 64-bit Windows (layout_64.go checks the sizes at compile time for amd64
// and arm64; this also runs natively on linux/amd64 and under Wine).
func TestLayout64(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("32-bit")
	}
	var ctl ldapControlW
	var mod ldapModW
	var id secWinntAuthIdentityW
	var bv berval
	checks := []struct {
		what      string
		got, want uintptr
	}{
		{"sizeof(berval)", unsafe.Sizeof(bv), 16},
		{"berval.bv_val", unsafe.Offsetof(bv.Val), 8},
		{"sizeof(LDAPControlW)", unsafe.Sizeof(ctl), 32},
		{"ldctl_value", unsafe.Offsetof(ctl.Value), 8},
		{"ldctl_iscritical", unsafe.Offsetof(ctl.IsCritical), 24},
		{"sizeof(LDAPModW)", unsafe.Sizeof(mod), 24},
		{"mod_type", unsafe.Offsetof(mod.Type), 8},
		{"mod_vals", unsafe.Offsetof(mod.Vals), 16},
		{"sizeof(l_timeval)", unsafe.Sizeof(lTimeval{}), 8},
		{"sizeof(SEC_WINNT_AUTH_IDENTITY_W)", unsafe.Sizeof(id), 48},
		{"Domain", unsafe.Offsetof(id.Domain), 16},
		{"DomainLength", unsafe.Offsetof(id.DomainLength), 24},
		{"Password", unsafe.Offsetof(id.Password), 32},
		{"PasswordLength", unsafe.Offsetof(id.PasswordLength), 40},
		{"Flags", unsafe.Offsetof(id.Flags), 44},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
}

func TestUTF16RoundTrip(t *testing.T) {
	for _, s := range []string{"", "CN=AdminSDHolder,CN=System,DC=test,DC=example", "Grüße € 𝄞 ✓ 😀"} {
		p, err := utf16z(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := utf16PtrToString(p); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	p, _ := utf16z("𝄞")
	if u := unsafe.Slice(p, 3); u[0] != 0xD834 || u[1] != 0xDD1E || u[2] != 0 {
		t.Errorf("U+1D11E is not a surrogate pair + NUL: %04x", u)
	}
	if _, err := utf16z("a\x00b"); err == nil {
		t.Error("NUL accepted")
	}
	if utf16PtrToString(nil) != "" {
		t.Error("nil is not \"\"")
	}
}

func TestUTF16Array(t *testing.T) {
	if a, err := utf16Array(nil); a != nil || err != nil {
		t.Errorf("empty list: %v %v, want nil (NULL: all attributes)", a, err)
	}
	a, err := utf16Array([]string{"nTSecurityDescriptor", "tokenGroups"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || a[2] != nil || utf16PtrToString(a[0]) != "nTSecurityDescriptor" || utf16PtrToString(a[1]) != "tokenGroups" {
		t.Errorf("not a NULL-terminated PWCHAR[]: %v", a)
	}
	if _, err := utf16Array([]string{"ok", "b\x00d"}); err == nil {
		t.Error("NUL in an attribute name accepted")
	}
}

func TestMarshalControls(t *testing.T) {
	if c, err := marshalControls(nil); c != nil || err != nil {
		t.Errorf("no controls: %v %v, want nil", c, err)
	}
	cs, err := marshalControls([]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL), {OID: "1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 || cs[2] != nil {
		t.Fatalf("not NULL-terminated: %v", cs)
	}
	sd := cs[0]
	if utf16PtrToString(sd.OID) != ldap.OIDSDFlags || sd.IsCritical != 1 || sd.Value.Len != 5 ||
		!bytes.Equal(unsafe.Slice(sd.Value.Val, sd.Value.Len), []byte{0x30, 0x03, 0x02, 0x01, 0x04}) {
		t.Errorf("SD flags control marshalled wrong: %+v", sd)
	}
	if cs[1].IsCritical != 0 || cs[1].Value.Len != 0 || cs[1].Value.Val != nil {
		t.Errorf("empty non-critical control: %+v", cs[1])
	}
	if _, err := marshalControls([]ldap.Control{{OID: ""}}); err == nil {
		t.Error("empty OID accepted")
	}
}

func TestMarshalMods(t *testing.T) {
	sd := []byte{1, 0, 4, 0x84, 0}
	ms, err := marshalMods([]ldap.Mod{
		{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd}},
		{Op: ldap.ModAdd, Attr: "description", Values: [][]byte{[]byte("a"), {}}},
		{Op: ldap.ModDelete, Attr: "info"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 || ms[3] != nil {
		t.Fatalf("not NULL-terminated: %v", ms)
	}
	vals := func(m *ldapModW) []*berval {
		if m.Vals == nil {
			return nil
		}
		p := (**berval)(m.Vals)
		n := 0
		for *(**berval)(unsafe.Add(m.Vals, n*int(unsafe.Sizeof(p)))) != nil {
			n++
		}
		return unsafe.Slice(p, n)
	}
	if ms[0].Op != 2|0x80 || utf16PtrToString(ms[0].Type) != "nTSecurityDescriptor" {
		t.Errorf("replace: op %#x type %q", ms[0].Op, utf16PtrToString(ms[0].Type))
	}
	if v := copyBervals(vals(ms[0])); len(v) != 1 || !bytes.Equal(v[0], sd) {
		t.Errorf("replace values: %v", v)
	}
	if ms[1].Op != 0|0x80 {
		t.Errorf("add: op %#x", ms[1].Op)
	}
	if v := copyBervals(vals(ms[1])); len(v) != 2 || string(v[0]) != "a" || len(v[1]) != 0 {
		t.Errorf("add values: %q", v)
	}
	if ms[2].Op != 1|0x80 || ms[2].Vals != nil {
		t.Errorf("delete of the whole attribute: op %#x vals %v", ms[2].Op, ms[2].Vals)
	}
	for _, bad := range [][]ldap.Mod{nil, {{Op: 7, Attr: "x"}}, {{Op: ldap.ModAdd, Attr: ""}}} {
		if _, err := marshalMods(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestMarshalCredentials(t *testing.T) {
	id, err := marshalCredentials(&Credentials{User: "Administrator", Domain: "TEST", Password: "pä𝄞"})
	if err != nil {
		t.Fatal(err)
	}
	if id.Flags != 2 || id.UserLength != 13 || id.DomainLength != 4 || id.PasswordLength != 4 {
		t.Errorf("lengths/flags: %+v", id)
	}
	if utf16PtrToString(id.User) != "Administrator" || utf16PtrToString(id.Domain) != "TEST" || utf16PtrToString(id.Password) != "pä𝄞" {
		t.Error("strings do not round-trip")
	}
	if got := unsafe.Slice(id.Password, 5); got[4] != 0 || !slices.Equal(got[:4], utf16.Encode([]rune("pä𝄞"))) {
		t.Errorf("password UTF-16: %04x", got)
	}
	if _, err := marshalCredentials(&Credentials{Password: "a\x00"}); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("NUL in the password: %v", err)
	}
}

func TestCopyBervals(t *testing.T) {
	src := []byte{0, 1, 2, 0xff}
	bv := bervalOf(src)
	out := copyBervals([]*berval{bv, bervalOf(nil), nil})
	src[0] = 9 // the copy must not alias
	if len(out) != 2 || !bytes.Equal(out[0], []byte{0, 1, 2, 0xff}) || out[1] == nil || len(out[1]) != 0 {
		t.Errorf("copyBervals = %v", out)
	}
}
