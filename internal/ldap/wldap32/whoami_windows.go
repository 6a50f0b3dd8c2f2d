package wldap32

import (
	"context"
	"runtime"
	"time"

	"entra8344/internal/ldap"
)

// The "Who am I?" extended operation (RFC 4532): the identity the server
// associates with this connection after the bind. The calls are generated
// into zsyscall_windows.go with the others (see generate.go).

//sys	ldapExtendedOperation(ld uintptr, oid *uint16, data *berval, sctrls **ldapControlW, cctrls **ldapControlW, msgid *uint32) (rc uint32) = wldap32.ldap_extended_operationW
//sys	ldapParseExtendedResult(ld uintptr, res uintptr, oid **uint16, data **berval, freeit bool) (rc uint32) = wldap32.ldap_parse_extended_resultW
//sys	berBvfree(bv *berval) = wldap32.ber_bvfree

// OIDWhoAmI is LDAP_SERVER_WHO_AM_I_OID.
const OIDWhoAmI = "1.3.6.1.4.1.4203.1.11.3"

// WhoAmI asks the server who this connection is bound as: Active Directory
// answers "u:DOMAIN\name" (for SYSTEM on a member server the computer
// account, "u:DOMAIN\HOST$"), other servers may answer "dn:<DN>"; "" is
// anonymous. A server without the operation (Samba 4.17) answers with an
// *ldap.Error, code 2 (protocolError). It is not part of ldap.Conn: doctor
// asks for it through an interface.
func (c *Conn) WhoAmI(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ld == 0 {
		return "", ctxError("whoami", "", c.server, errClosed)
	}
	t, err := opTimeout(ctx, c.timeout, time.Now())
	if err != nil {
		return "", ctxError("whoami", "", c.server, err)
	}
	oid, err := utf16z(OIDWhoAmI)
	if err != nil {
		return "", newError("whoami", "", c.server, codeParamError, "", err.Error())
	}
	var msgid uint32
	rc, serverMsg := callWithServerError(func() uint32 {
		return ldapExtendedOperation(c.ld, oid, nil, nil, nil, &msgid)
	}, c.serverError)
	runtime.KeepAlive(oid)
	if rc != 0 {
		return "", newError("whoami", "", c.server, rc, serverMsg, errText(rc))
	}
	res, err := c.awaitMessage(ctx, "whoami", msgid, t)
	if err != nil {
		return "", err
	}
	// The response value first (the message stays), then the result code
	// and the server's text, which frees the message.
	var roid *uint16
	var data *berval
	prc := ldapParseExtendedResult(c.ld, res, &roid, &data, false)
	var value []byte
	if data != nil {
		value = copyBervals([]*berval{data})[0]
		berBvfree(data)
	}
	if roid != nil {
		ldapMemfree(roid)
	}
	r := c.parseResult(res, true)
	if r.parseRC != 0 {
		return "", newError("whoami", "", c.server, r.parseRC, "", errText(r.parseRC))
	}
	if r.code != 0 {
		return "", newError("whoami", "", c.server, r.code, r.msg, errText(r.code))
	}
	if prc != 0 {
		return "", newError("whoami", "", c.server, prc, "", "read the extended response: "+errText(prc))
	}
	return string(value), nil
}

// awaitMessage waits for the result message of request msgid like await
// (ops_windows.go), but hands the message to the caller, who must free it
// (parseResult with freeit, or ldapMsgfree): an extended response's value
// has to be read before the message is parsed and freed.
func (c *Conn) awaitMessage(ctx context.Context, op string, msgid uint32, t time.Duration) (uintptr, error) {
	deadline := time.Now().Add(t)
	for {
		if err := ctx.Err(); err != nil {
			ldapAbandon(c.ld, msgid)
			return 0, ctxError(op, "", c.server, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			ldapAbandon(c.ld, msgid)
			return 0, newError(op, "", c.server, codeTimeout, "", "no answer within "+t.String()+"; the request was abandoned")
		}
		tv := timeval(min(left, pollInterval), false)
		var res uintptr
		runtime.LockOSThread() // LdapGetLastError is per thread
		typ := ldapResult(c.ld, msgid, ldapMsgAll, &tv, &res)
		var lastErr uint32
		if typ == resultFailed {
			lastErr = ldapGetLastError()
		}
		runtime.UnlockOSThread()
		switch {
		case typ == 0 && res != 0:
			ldapMsgfree(res)
		case typ == 0: // not yet: poll again
		case typ == resultFailed:
			if res != 0 {
				ldapMsgfree(res)
			}
			return 0, newError(op, "", c.server, lastErr, "", errText(lastErr))
		default:
			return res, nil
		}
	}
}

var _ interface {
	WhoAmI(context.Context) (string, error)
} = (*Conn)(nil)

var _ ldap.Conn = (*Conn)(nil)
