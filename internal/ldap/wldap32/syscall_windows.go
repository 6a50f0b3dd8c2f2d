package wldap32

import "unsafe"

// The wldap32.dll calls (winldap.h, winber.h). The stubs in
// zsyscall_windows.go are generated from the //sys lines below (see
// generate.go); edit these lines, then run `go generate
// ./internal/ldap/wldap32/` and commit both files.
//
// Handles that are only passed back to wldap32 (LDAP*, LDAPMessage*,
// BerElement*) are uintptr. Pointers that wldap32 returns as the function
// result are uintptr too and become typed through cPtr: mkwinsyscall's
// (*T)(unsafe.Pointer(r0)) for a pointer result is what go vet's unsafeptr
// check flags. Out-parameters and arguments are typed pointers. Every
// function returns its result code (ULONG), not GetLastError; calls that
// return a pointer report failures through LdapGetLastError, which is
// per-thread, so callers lock the OS thread around such a call. wldap32 is
// __cdecl, which on amd64 and arm64 is the one calling convention.

//sys	ldapInit(host *uint16, port uint32) (ld uintptr) = wldap32.ldap_initW
//sys	ldapSetOption(ld uintptr, option int32, invalue unsafe.Pointer) (rc uint32) = wldap32.ldap_set_optionW
//sys	ldapGetOption(ld uintptr, option int32, outvalue unsafe.Pointer) (rc uint32) = wldap32.ldap_get_optionW
//sys	ldapConnect(ld uintptr, timeout *lTimeval) (rc uint32) = wldap32.ldap_connect
//sys	ldapBindS(ld uintptr, dn *uint16, cred *secWinntAuthIdentityW, method uint32) (rc uint32) = wldap32.ldap_bind_sW
//sys	ldapUnbind(ld uintptr) (rc uint32) = wldap32.ldap_unbind
//sys	ldapSearchExtS(ld uintptr, base *uint16, scope uint32, filter *uint16, attrs **uint16, attrsonly uint32, sctrls **ldapControlW, cctrls **ldapControlW, timeout *lTimeval, sizelimit uint32, res *uintptr) (rc uint32) = wldap32.ldap_search_ext_sW
//sys	ldapModifyExt(ld uintptr, dn *uint16, mods **ldapModW, sctrls **ldapControlW, cctrls **ldapControlW, msgid *uint32) (rc uint32) = wldap32.ldap_modify_extW
//sys	ldapAddExt(ld uintptr, dn *uint16, attrs **ldapModW, sctrls **ldapControlW, cctrls **ldapControlW, msgid *uint32) (rc uint32) = wldap32.ldap_add_extW
//sys	ldapDeleteExt(ld uintptr, dn *uint16, sctrls **ldapControlW, cctrls **ldapControlW, msgid *uint32) (rc uint32) = wldap32.ldap_delete_extW
//sys	ldapResult(ld uintptr, msgid uint32, all uint32, timeout *lTimeval, res *uintptr) (rc uint32) = wldap32.ldap_result
//sys	ldapParseResult(ld uintptr, res uintptr, code *uint32, matched **uint16, errmsg **uint16, referrals ***uint16, sctrls ***ldapControlW, freeit bool) (rc uint32) = wldap32.ldap_parse_resultW
//sys	ldapAbandon(ld uintptr, msgid uint32) (rc uint32) = wldap32.ldap_abandon
//sys	ldapMsgfree(res uintptr) (rc uint32) = wldap32.ldap_msgfree
//sys	ldapFirstEntry(ld uintptr, res uintptr) (entry uintptr) = wldap32.ldap_first_entry
//sys	ldapNextEntry(ld uintptr, entry uintptr) (next uintptr) = wldap32.ldap_next_entry
//sys	ldapGetDN(ld uintptr, entry uintptr) (dn uintptr) = wldap32.ldap_get_dnW
//sys	ldapFirstAttribute(ld uintptr, entry uintptr, ber *uintptr) (attr uintptr) = wldap32.ldap_first_attributeW
//sys	ldapNextAttribute(ld uintptr, entry uintptr, ber uintptr) (attr uintptr) = wldap32.ldap_next_attributeW
//sys	ldapGetValuesLen(ld uintptr, entry uintptr, attr *uint16) (vals uintptr) = wldap32.ldap_get_values_lenW
//sys	ldapCountValuesLen(vals **berval) (n uint32) = wldap32.ldap_count_values_len
//sys	ldapValueFreeLen(vals **berval) (rc uint32) = wldap32.ldap_value_free_len
//sys	ldapValueFree(vals **uint16) (rc uint32) = wldap32.ldap_value_freeW
//sys	ldapControlsFree(ctrls **ldapControlW) (rc uint32) = wldap32.ldap_controls_freeW
//sys	ldapMemfree(p *uint16) = wldap32.ldap_memfreeW
//sys	berFree(ber uintptr, freebuf int32) = wldap32.ber_free
//sys	ldapErr2String(code uint32) (s uintptr) = wldap32.ldap_err2stringW
//sys	ldapGetLastError() (rc uint32) = wldap32.LdapGetLastError

// cPtr is an address that wldap32 returned as a typed pointer. It
// reinterprets the bits of the uintptr variable (a *uintptr to **T
// conversion, rule 1 of unsafe.Pointer) instead of converting a uintptr
// value: the memory belongs to wldap32's heap, never to Go's, so the garbage
// collector neither moves nor frees it; the caller frees it with the
// matching wldap32 call.
func cPtr[T any](addr uintptr) *T {
	return *(**T)(unsafe.Pointer(&addr))
}
