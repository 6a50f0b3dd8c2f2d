package wldap32

import "runtime"

// Hooks for the test of callWithServerError's thread discipline.
var lockOSThread, unlockOSThread = runtime.LockOSThread, runtime.UnlockOSThread

// callWithServerError runs call and, when it returns non-zero, readErr
// (LDAP_OPT_SERVER_ERROR), both on one locked OS thread: wldap32 keeps the
// server's error text of the last failed call per thread, so a read on
// another thread (after the goroutine moved) would lose it.
func callWithServerError(call func() uint32, readErr func() string) (rc uint32, msg string) {
	lockOSThread()
	defer unlockOSThread()
	if rc = call(); rc != 0 {
		msg = readErr()
	}
	return rc, msg
}
