package wldap32

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"entra8344/internal/ldap"
)

// Credentials is an explicit identity for the Negotiate bind
// (SEC_WINNT_AUTH_IDENTITY_W). Production leaves Dialer.Creds nil and binds
// as the current identity; tests under Wine need it (see Dialer).
type Credentials struct {
	User     string // sAMAccountName, e.g. "Administrator"
	Domain   string // NetBIOS name, e.g. "TEST"
	Password string
}

// Dialer opens wldap32 connections; it implements ldap.Dialer.
//
// Dial(ctx, host): ldap_initW(host, 389), where host "" passes NULL so that
// wldap32's DC locator picks a DC of the computer's domain; LDAP v3, no
// referral chasing, signing and sealing required; ldap_connect with the
// timeout; ldap_bind_sW(LDAP_AUTH_NEGOTIATE) with Creds.
type Dialer struct {
	// Creds nil binds as the current identity: for SYSTEM, the computer
	// account (Kerberos). Set it only in tests: Wine's wldap32 crashes on a
	// Negotiate bind with NULL credentials, so under Wine Dial refuses nil
	// Creds with an error instead of taking the process down.
	Creds *Credentials
	// Timeout bounds each step (connect and bind together, each search,
	// each modify), within the context's deadline. 0 means DefaultTimeout.
	Timeout time.Duration
	// PageSize is the paged-results page size for one-level and subtree
	// searches (the transport follows the cookie to the end): 0 means
	// DefaultPageSize, AD's MaxPageSize; negative sends no paging control,
	// and a DC then stops at MaxPageSize with sizeLimitExceeded.
	PageSize int

	port uint32 // 0 = 389; the tests' stalled server listens elsewhere
}

// pageSize is the page size in effect (0 = no paging).
func (d Dialer) pageSize() int {
	switch {
	case d.PageSize == 0:
		return DefaultPageSize
	case d.PageSize < 0:
		return 0
	}
	return d.PageSize
}

// DefaultTimeout is the per-operation timeout when Dialer.Timeout is 0.
const DefaultTimeout = 60 * time.Second

var _ ldap.Dialer = Dialer{}

// Dial connects and binds; see Dialer. The result is a *Conn on Windows.
func (d Dialer) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	return dial(ctx, d, host)
}

// Protection tells how a connection's traffic is protected.
type Protection struct {
	// SignSeal: wldap32 accepted LDAP_OPT_SIGN and LDAP_OPT_ENCRYPT before
	// the bind, so the Negotiate bind only succeeds with a signed and sealed
	// session. On Windows a Conn always has it (Dial fails otherwise).
	SignSeal bool
	// Sealed: LDAP_OPT_ENCRYPT read back as on after the bind.
	Sealed bool
	// Unverified says why sealing could not be required or confirmed ("" if
	// it was): under Wine, whose wldap32 answers 92 (LDAP_NOT_SUPPORTED) to
	// both options; its Negotiate bind seals anyway, but nothing here can
	// prove that. A caller reports it as "sealing not verified".
	Unverified string
}

// signSealCheck applies the policy for the return codes of
// ldap_set_optionW(LDAP_OPT_SIGN / LDAP_OPT_ENCRYPT, on): success, or 92
// under Wine (tolerated, recorded); anything else is fatal.
func signSealCheck(server string, signRC, sealRC uint32, wine bool) (Protection, error) {
	if signRC == 0 && sealRC == 0 {
		return Protection{SignSeal: true}, nil
	}
	if wine && (signRC == 0 || signRC == codeNotSupported) && (sealRC == 0 || sealRC == codeNotSupported) {
		return Protection{Unverified: "Wine's wldap32 does not implement LDAP_OPT_SIGN/LDAP_OPT_ENCRYPT (92): sealing not verified"}, nil
	}
	rc, opt := signRC, "LDAP_OPT_SIGN"
	if rc == 0 {
		rc, opt = sealRC, "LDAP_OPT_ENCRYPT"
	}
	return Protection{}, &ldap.Error{Op: "connect", Server: server, Code: int(rc),
		Message: fmt.Sprintf("wldap32 refused %s, so signing and sealing cannot be required", opt)}
}

// errWineNullCreds is Dial's answer under Wine without Credentials.
var errWineNullCreds = errors.New("under Wine a Negotiate bind as the current identity (NULL credentials) crashes wldap32; set Dialer.Creds")

// opTimeout is the time one operation may take: the dialer's timeout,
// shortened to the context's deadline. It fails when that time is up.
func opTimeout(ctx context.Context, d time.Duration, now time.Time) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d <= 0 {
		d = DefaultTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := dl.Sub(now); left < d {
			d = left
		}
	}
	if d <= 0 {
		return 0, context.DeadlineExceeded
	}
	return d, nil
}

// timeval is d as an l_timeval; wholeSeconds rounds up to a whole second
// (at least 1), for calls that also send it to the server as a time limit.
func timeval(d time.Duration, wholeSeconds bool) lTimeval {
	if wholeSeconds {
		s := int32((d + time.Second - 1) / time.Second)
		return lTimeval{Sec: max(s, 1)}
	}
	return lTimeval{Sec: int32(d / time.Second), Usec: int32(d % time.Second / time.Microsecond)}
}

// newError is the *ldap.Error for a wldap32 result code: the server's
// diagnostic text when there is one, else wldap32's text for the code.
func newError(op, dn, server string, rc uint32, serverMsg, clientText string) *ldap.Error {
	msg := strings.TrimRight(serverMsg, "\x00\r\n ")
	if msg == "" {
		msg = strings.TrimRight(clientText, "\x00\r\n ")
	}
	return &ldap.Error{Op: op, DN: dn, Server: server, Code: int(rc), Message: msg}
}

// ctxError wraps a context error with what was being done.
func ctxError(op, dn, server string, err error) error {
	where := ""
	if dn != "" {
		where = fmt.Sprintf(" %q", dn)
	}
	if server != "" {
		where += " on " + server
	}
	return fmt.Errorf("ldap %s%s: %w", op, where, err)
}

// errClosed is returned by operations on a closed Conn.
var errClosed = errors.New("wldap32: connection is closed")
