// Package wldap32 is the production LDAP transport: Windows' own LDAP
// client, wldap32.dll, called through golang.org/x/sys/windows without cgo.
//
// Dialer.Dial binds with Negotiate (Kerberos, else NTLM) as the current
// identity, which for the SYSTEM account that an RMM uses is the computer
// account, with signing and sealing required (LDAP_OPT_SIGN and
// LDAP_OPT_ENCRYPT), as hardened domain controllers demand. The connection
// implements ldap.Conn: searches and modifies with controls (the SD flags
// control for nTSecurityDescriptor), binary-safe values, the server's
// diagnostic text in *ldap.Error.
//
// The transport works only on Windows (and under Wine, see
// scripts/wine-test.sh); elsewhere Dial returns an error, so the package
// builds on every OS. The pure parts (UTF-16, the C layouts of controls,
// modifications and credentials, error mapping) are tested on every OS.
package wldap32
