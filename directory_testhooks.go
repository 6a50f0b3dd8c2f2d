//go:build entra8344_testhooks

package main

import (
	"context"
	"os"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
)

// Test hooks, compiled only with -tags entra8344_testhooks (the Wine tests'
// build; scripts/release.sh never sets it, so a shipped exe has no such code
// path): ENTRA8344_LDAP_SERVER sends every connection to one server, and
// ENTRA8344_LDAP_USER / _DOMAIN / _PASSWORD bind with explicit credentials
// instead of the process identity (Wine's wldap32 cannot bind as the
// current user).
const (
	envLDAPServer   = "ENTRA8344_LDAP_SERVER"
	envLDAPUser     = "ENTRA8344_LDAP_USER"
	envLDAPDomain   = "ENTRA8344_LDAP_DOMAIN"
	envLDAPPassword = "ENTRA8344_LDAP_PASSWORD"
)

// fixedServer dials one server whatever host is asked for.
type fixedServer struct {
	server string
	inner  ldap.Dialer
}

func (f fixedServer) Dial(ctx context.Context, _ string) (ldap.Conn, error) {
	return f.inner.Dial(ctx, f.server)
}

func withTestHooks(d *wldap32.Dialer) ldap.Dialer {
	if u := os.Getenv(envLDAPUser); u != "" {
		d.Creds = &wldap32.Credentials{User: u, Domain: os.Getenv(envLDAPDomain), Password: os.Getenv(envLDAPPassword)}
	}
	if s := os.Getenv(envLDAPServer); s != "" {
		return fixedServer{server: s, inner: d}
	}
	return d
}
