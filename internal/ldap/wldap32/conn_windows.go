package wldap32

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"entra8344/internal/ldap"
)

// Conn is a bound wldap32 session; it implements ldap.Conn. Its methods are
// safe for concurrent use (they take turns on the one session).
type Conn struct {
	mu      sync.Mutex
	ld      uintptr // LDAP*; 0 once closed
	server  string
	timeout time.Duration
	// pageSize is the paged-results page size (0: no paging).
	pageSize int
	// lastPages is how many paged requests the last search sent (tests).
	lastPages int
	prot      Protection
}

var _ ldap.Conn = (*Conn)(nil)

// underWine reports whether this process runs under Wine: Wine's ntdll
// exports wine_get_version, Windows' does not.
var underWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})

func dial(ctx context.Context, d Dialer, host string) (ldap.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError("connect", "", host, err)
	}
	if err := modwldap32.Load(); err != nil {
		return nil, &ldap.Error{Op: "connect", Server: host, Code: codeLocalError, Message: err.Error()}
	}
	var creds *secWinntAuthIdentityW
	if d.Creds != nil {
		var err error
		if creds, err = marshalCredentials(d.Creds); err != nil {
			return nil, &ldap.Error{Op: "bind", Server: host, Code: codeParamError, Message: err.Error()}
		}
	} else if underWine() {
		return nil, &ldap.Error{Op: "bind", Server: host, Code: codeNotSupported, Message: errWineNullCreds.Error()}
	}
	var hostp *uint16
	if host != "" {
		var err error
		if hostp, err = utf16z(host); err != nil {
			return nil, &ldap.Error{Op: "connect", Server: host, Code: codeParamError, Message: "host name " + err.Error()}
		}
	}

	// LdapGetLastError is per thread: stay on this one until it is read.
	// One deadline for connect and bind: a DC that accepts the connection
	// and never answers must not hold Dial past it.
	start := time.Now()
	t, err := opTimeout(ctx, d.Timeout, start)
	if err != nil {
		return nil, ctxError("connect", "", host, err)
	}
	port := uint32(ldapPort)
	if d.port != 0 {
		port = d.port
	}
	runtime.LockOSThread()
	ld := ldapInit(hostp, port)
	var initRC uint32
	if ld == 0 {
		initRC = ldapGetLastError()
	}
	runtime.UnlockOSThread()
	runtime.KeepAlive(hostp)
	if ld == 0 {
		return nil, newError("connect", "", host, initRC, "", errText(initRC))
	}
	c := &Conn{ld: ld, server: host, timeout: d.Timeout, pageSize: d.pageSize()}
	fail := func(err error) (ldap.Conn, error) {
		ldapUnbind(ld)
		return nil, err
	}

	version := uint32(ldapVersion3)
	if rc := ldapSetOption(ld, optProtocolVersion, unsafe.Pointer(&version)); rc != 0 {
		return fail(newError("connect", "", host, rc, "", "LDAP_OPT_PROTOCOL_VERSION 3: "+errText(rc)))
	}
	// LDAP_OPT_OFF is the constant (void*)0, not a pointer to 0: OpenLDAP
	// (inside Wine's wldap32) would read any non-NULL pointer as "on".
	if rc := ldapSetOption(ld, optReferrals, nil); rc != 0 {
		return fail(newError("connect", "", host, rc, "", "LDAP_OPT_REFERRALS off: "+errText(rc)))
	}
	// Signing and sealing: a pointer to a ULONG 1, the form of the
	// documented "pointer to the value" (System.DirectoryServices.Protocols
	// passes it the same way). They make the Negotiate bind fail unless the
	// session is signed and sealed.
	on := uint32(1)
	signRC := ldapSetOption(ld, optSign, unsafe.Pointer(&on))
	sealRC := ldapSetOption(ld, optEncrypt, unsafe.Pointer(&on))
	prot, err := signSealCheck(host, signRC, sealRC, underWine())
	if err != nil {
		return fail(err)
	}

	tv := timeval(t, true)
	if rc := ldapConnect(ld, &tv); rc != 0 {
		return fail(newError("connect", "", host, rc, "", errText(rc)))
	}
	left := t - time.Since(start)
	if err := ctx.Err(); err != nil || left <= 0 {
		if err == nil {
			err = context.DeadlineExceeded
		}
		return fail(ctxError("bind", "", host, err))
	}
	rc, bindMsg, err := bindWithin(ctx, ld, creds, left)
	runtime.KeepAlive(d.Creds)
	if err != nil {
		// ld now belongs to the abandoned bind (see bindWithin).
		return nil, &ldap.Error{Op: "bind", Server: host, Code: codeTimeout,
			Message: fmt.Sprintf("no answer to the bind after %s (%v): the server accepted the connection but did not respond; check that %s is a working domain controller", time.Since(start).Round(time.Millisecond), err, serverName(host))}
	}
	if rc != 0 {
		return fail(newError("bind", "", host, rc, bindMsg, errText(rc)))
	}
	if prot.SignSeal {
		var v uint32
		prot.Sealed = ldapGetOption(ld, optEncrypt, unsafe.Pointer(&v)) == 0 && v != 0
	}
	c.prot = prot
	if name := c.hostName(); name != "" {
		c.server = name
	}
	return c, nil
}

// serverName names host in a message ("" is the DC wldap32 located).
func serverName(host string) string {
	if host == "" {
		return "the domain controller wldap32 located"
	}
	return host
}

// hostName is LDAP_OPT_HOST_NAME, the server wldap32 connected to ("" if
// the option is not available, as under Wine). The string belongs to the
// session (System.DirectoryServices.Protocols does not free it either).
func (c *Conn) hostName() string {
	var p *uint16
	if ldapGetOption(c.ld, optHostName, unsafe.Pointer(&p)) != 0 || p == nil {
		return ""
	}
	return utf16PtrToString(p)
}

// serverError is LDAP_OPT_SERVER_ERROR, the server's diagnostic text for
// the last operation ("" where not available: Wine answers 92).
// Call it on the locked thread of the failed call (callWithServerError).
func (c *Conn) serverError() string { return serverError(c.ld) }

func serverError(ld uintptr) string {
	var p *uint16
	if ldapGetOption(ld, optServerError, unsafe.Pointer(&p)) != 0 || p == nil {
		return ""
	}
	defer ldapMemfree(p)
	return utf16PtrToString(p)
}

// errText is wldap32's text for a result code (a static string).
func errText(rc uint32) string {
	return utf16PtrToString(cPtr[uint16](ldapErr2String(rc)))
}

// Server is the server wldap32 connected to (LDAP_OPT_HOST_NAME) or, where
// that is not available, the host that was dialled ("" = located DC).
func (c *Conn) Server() string { return c.server }

// Protection tells whether signing and sealing were required and
// confirmed; see Protection.
func (c *Conn) Protection() Protection { return c.prot }

// Close unbinds and frees the session; later calls are no-ops.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ld == 0 {
		return nil
	}
	rc := ldapUnbind(c.ld)
	c.ld = 0
	if rc != 0 {
		return newError("unbind", "", c.server, rc, "", errText(rc))
	}
	return nil
}
