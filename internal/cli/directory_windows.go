package cli

import (
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
)

// newLiveDialer is Windows' own LDAP client: a Negotiate bind as the process
// identity (SYSTEM: the computer account, or full access on a DC), with
// signing and sealing. Only a test build (-tags entra8344_testhooks) lets
// the environment change the server or the identity.
func newLiveDialer() (ldap.Dialer, string) {
	return withTestHooks(&wldap32.Dialer{}), ""
}
