package wldap32

import (
	"context"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// bindWithin runs the synchronous Negotiate bind on its own goroutine and
// waits until it returns, d passes or ctx ends. ldap_bind_sW takes no
// timeout, wldap32 has no asynchronous Negotiate bind (ldap_bind is
// documented for simple binds only), and neither LDAP_OPT_TIMELIMIT (a
// search limit sent to the server) nor ldap_connect's timeout (TCP only;
// a stub under Wine) bounds the wait for the bind's answer. A goroutine
// works the same on Windows and under Wine.
//
// The bind's goroutine reads LDAP_OPT_SERVER_ERROR of a failed bind on the
// bind's own locked thread (callWithServerError): msg is that text.
//
// On giving up it returns the reason at once and the abandoned bind owns ld:
// a background goroutine shuts the session's socket down (LDAP_OPT_SOCKET),
// so that the blocked bind fails and its goroutine unbinds. ld is never
// freed while the bind may still use it. If the socket cannot be had, the
// bind stays blocked until the process exits (detect and remediate end
// soon after a failed Dial).
func bindWithin(ctx context.Context, ld uintptr, creds *secWinntAuthIdentityW, d time.Duration) (rc uint32, msg string, err error) {
	type answer struct {
		rc  uint32
		msg string
	}
	var (
		mu                  sync.Mutex
		returned, abandoned bool
		done                = make(chan answer, 1)
	)
	go func() {
		rc, msg := callWithServerError(func() uint32 {
			return ldapBindS(ld, nil, creds, ldapAuthNegotiate)
		}, func() string { return serverError(ld) })
		runtime.KeepAlive(creds)
		mu.Lock()
		defer mu.Unlock()
		returned = true
		if abandoned {
			ldapUnbind(ld)
			return
		}
		done <- answer{rc, msg}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	var why error
	select {
	case a := <-done:
		return a.rc, a.msg, nil
	case <-timer.C:
		why = context.DeadlineExceeded
	case <-ctx.Done():
		why = ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	if returned {
		a := <-done // it answered as the time ran out
		return a.rc, a.msg, nil
	}
	abandoned = true
	go func() {
		mu.Lock()
		defer mu.Unlock()
		if !returned {
			shutdownSocket(ld)
		}
	}()
	return 0, "", why
}

// shutdownSocket ends the session's connection without closing the socket
// handle, which stays wldap32's to close in ldap_unbind. LDAP_OPT_SOCKET is
// a SOCKET on Windows and an int in Wine's OpenLDAP: the zeroed uintptr
// reads right either way.
func shutdownSocket(ld uintptr) {
	var sock uintptr
	if ldapGetOption(ld, optSocket, unsafe.Pointer(&sock)) != 0 || sock == 0 || sock == ^uintptr(0) || sock == 0xffffffff {
		return
	}
	windows.Shutdown(windows.Handle(sock), windows.SHUT_RDWR)
}
