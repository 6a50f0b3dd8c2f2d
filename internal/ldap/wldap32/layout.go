package wldap32

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unsafe"

	"entra8344/internal/ldap"
)

// The C structures of winldap.h and sspi.h that cross the DLL boundary.
// They are plain Go structs with natural alignment, which is the C layout on
// 64-bit Windows (amd64, arm64: sizes 16/32/24/8/48, checked in
// layout_test.go) and on 32-bit too. This file has no build constraint so
// that the marshalling is tested on every OS; only the calls are Windows-only.

// berval is struct berval: ULONG bv_len; PCHAR bv_val.
type berval struct {
	Len uint32
	Val *byte
}

// ldapControlW is LDAPControlW: PWCHAR ldctl_oid; struct berval
// ldctl_value; BOOLEAN ldctl_iscritical.
type ldapControlW struct {
	OID        *uint16
	Value      berval
	IsCritical byte
}

// ldapModW is LDAPModW: ULONG mod_op; PWCHAR mod_type; union { PWCHAR
// *modv_strvals; struct berval **modv_bvals; } (always berval** here, with
// modBValues in Op).
type ldapModW struct {
	Op   uint32
	Type *uint16
	Vals unsafe.Pointer
}

// lTimeval is struct l_timeval: LONG tv_sec; LONG tv_usec.
type lTimeval struct {
	Sec  int32
	Usec int32
}

// secWinntAuthIdentityW is SEC_WINNT_AUTH_IDENTITY_W; the lengths are in
// characters without the terminating NUL.
type secWinntAuthIdentityW struct {
	User           *uint16
	UserLength     uint32
	Domain         *uint16
	DomainLength   uint32
	Password       *uint16
	PasswordLength uint32
	Flags          uint32
}

// winldap.h / sspi.h constants.
const (
	ldapPort = 389

	optSocket          = 0x01
	optReferrals       = 0x08
	optProtocolVersion = 0x11
	optHostName        = 0x30
	optServerError     = 0x33
	optSign            = 0x95
	optEncrypt         = 0x96

	ldapVersion3      = 3
	ldapAuthNegotiate = 0x486
	ldapMsgAll        = 1

	modBValues = 0x80

	// resultFailed is ldap_result's (ULONG)-1: see LdapGetLastError.
	resultFailed = 0xFFFFFFFF

	secWinntAuthIdentityUnicode = 2
)

// wldap32 return codes used here; client-side ones are above 0x50.
const (
	codeSizeLimitExcd = ldap.ResultSizeLimitExceeded
	codeLocalError    = 0x52
	codeTimeout       = ldap.ResultTimeout
	codeParamError    = 0x59
	codeNotSupported  = ldap.ResultNotSupported
)

var errNUL = errors.New("contains a NUL character")

// utf16z is s as a NUL-terminated UTF-16 string (invalid UTF-8 becomes
// U+FFFD, characters outside the BMP become surrogate pairs).
func utf16z(s string) (*uint16, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, errNUL
		}
	}
	u := utf16.Encode([]rune(s))
	u = append(u, 0)
	return &u[0], nil
}

// utf16Array is ss as a NULL-terminated PWCHAR[]; nil for an empty list
// (the C side then gets NULL).
func utf16Array(ss []string) ([]*uint16, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	out := make([]*uint16, len(ss)+1)
	for i, s := range ss {
		p, err := utf16z(s)
		if err != nil {
			return nil, fmt.Errorf("attribute %q %w", s, err)
		}
		out[i] = p
	}
	return out, nil
}

// bervalOf points a berval at b (no copy: b must stay alive and unchanged
// until the call returns).
func bervalOf(b []byte) *berval {
	bv := &berval{Len: uint32(len(b))}
	if len(b) > 0 {
		bv.Val = &b[0]
	}
	return bv
}

// marshalControls is cs as a NULL-terminated PLDAPControlW[]; nil when
// there are none.
func marshalControls(cs []ldap.Control) ([]*ldapControlW, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	out := make([]*ldapControlW, len(cs)+1)
	for i, c := range cs {
		oid, err := utf16z(c.OID)
		if err != nil || c.OID == "" {
			return nil, fmt.Errorf("control OID %q is empty or %w", c.OID, errNUL)
		}
		ctl := &ldapControlW{OID: oid, Value: *bervalOf(c.Value)}
		if c.Critical {
			ctl.IsCritical = 1
		}
		out[i] = ctl
	}
	return out, nil
}

// marshalMods is mods as a NULL-terminated LDAPModW*[] with binary values
// (LDAP_MOD_BVALUES). A mod without values gets a NULL value array: delete
// the whole attribute, or replace it with nothing.
func marshalMods(mods []ldap.Mod) ([]*ldapModW, error) {
	if len(mods) == 0 {
		return nil, errors.New("no modifications")
	}
	out := make([]*ldapModW, len(mods)+1)
	for i, m := range mods {
		var op uint32
		switch m.Op {
		case ldap.ModAdd:
			op = 0 // LDAP_MOD_ADD
		case ldap.ModDelete:
			op = 1 // LDAP_MOD_DELETE
		case ldap.ModReplace:
			op = 2 // LDAP_MOD_REPLACE
		default:
			return nil, fmt.Errorf("modification %d: unknown operation %v", i, m.Op)
		}
		typ, err := utf16z(m.Attr)
		if err != nil || m.Attr == "" {
			return nil, fmt.Errorf("modification %d: attribute name %q is empty or %w", i, m.Attr, errNUL)
		}
		mod := &ldapModW{Op: op | modBValues, Type: typ}
		if len(m.Values) > 0 {
			vals := make([]*berval, len(m.Values)+1)
			for j, v := range m.Values {
				vals[j] = bervalOf(v)
			}
			mod.Vals = unsafe.Pointer(&vals[0])
		}
		out[i] = mod
	}
	return out, nil
}

// marshalCredentials is c as SEC_WINNT_AUTH_IDENTITY_W (Unicode).
func marshalCredentials(c *Credentials) (*secWinntAuthIdentityW, error) {
	id := &secWinntAuthIdentityW{Flags: secWinntAuthIdentityUnicode}
	var err error
	field := func(s, what string) (*uint16, uint32) {
		p, e := utf16z(s)
		if e != nil {
			err = fmt.Errorf("credentials: %s %w", what, e)
			return nil, 0
		}
		return p, uint32(len(utf16.Encode([]rune(s))))
	}
	id.User, id.UserLength = field(c.User, "user")
	id.Domain, id.DomainLength = field(c.Domain, "domain")
	id.Password, id.PasswordLength = field(c.Password, "password")
	if err != nil {
		return nil, err
	}
	return id, nil
}

// maxStringChars bounds utf16PtrToString against a missing terminator.
const maxStringChars = 1 << 24

// utf16PtrToString copies a NUL-terminated UTF-16 string that wldap32 owns
// (it is freed by the caller afterwards); nil is "".
func utf16PtrToString(p *uint16) string {
	if p == nil {
		return ""
	}
	n := 0
	for ptr := unsafe.Pointer(p); n < maxStringChars && *(*uint16)(ptr) != 0; n++ {
		ptr = unsafe.Add(ptr, 2)
	}
	return string(utf16.Decode(unsafe.Slice(p, n)))
}

// copyBervals copies the values of a berval* array that wldap32 owns.
func copyBervals(vals []*berval) [][]byte {
	out := make([][]byte, 0, len(vals))
	for _, bv := range vals {
		if bv == nil {
			continue
		}
		b := make([]byte, bv.Len)
		if bv.Len > 0 && bv.Val != nil {
			copy(b, unsafe.Slice(bv.Val, bv.Len))
		}
		out = append(out, b)
	}
	return out
}

// maxControls bounds copyControls against a missing NULL terminator.
const maxControls = 1024

// copyControls copies a NULL-terminated PLDAPControlW[] that wldap32 owns
// (the caller frees it with ldap_controls_freeW afterwards); nil is none.
func copyControls(p **ldapControlW) []ldap.Control {
	if p == nil {
		return nil
	}
	var out []ldap.Control
	for ptr := unsafe.Pointer(p); len(out) < maxControls; ptr = unsafe.Add(ptr, unsafe.Sizeof(p)) {
		c := *(**ldapControlW)(ptr)
		if c == nil {
			break
		}
		ctl := ldap.Control{OID: utf16PtrToString(c.OID), Critical: c.IsCritical != 0}
		if vals := copyBervals([]*berval{&c.Value}); len(vals) == 1 {
			ctl.Value = vals[0]
		}
		out = append(out, ctl)
	}
	return out
}
