package main

import (
	"os"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
)

// newLiveDialer is Windows' own LDAP client: a Negotiate bind as the process
// identity (SYSTEM: the computer account, or full access on a DC), with
// signing and sealing.
func newLiveDialer() (ldap.Dialer, string) {
	d := &wldap32.Dialer{}
	if u := os.Getenv(envLDAPUser); u != "" {
		d.Creds = &wldap32.Credentials{User: u, Domain: os.Getenv(envLDAPDomain), Password: os.Getenv(envLDAPPassword)}
	}
	return withTestServer(d), ""
}
