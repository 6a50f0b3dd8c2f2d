//go:build !windows

package cli

import "entra8344/internal/ldap"

// newLiveDialer: off Windows there is no live directory to read (replays
// carry their own snapshot).
func newLiveDialer() (ldap.Dialer, string) {
	return nil, "the live directory is read through Windows' LDAP client (wldap32), which this platform does not have"
}
