package main

import (
	"context"
	"os"

	"entra8344/internal/ldap"
)

// liveDirectory gives every AD connector the same dialer: the host's LDAP
// client finds the DCs of each forest by name.
type liveDirectory struct{ d ldap.Dialer }

func (l liveDirectory) Dialer(string) (ldap.Dialer, error) { return l.d, nil }

// Test hooks (documented in the README as such): ENTRA8344_LDAP_SERVER sends
// every connection to one server, and ENTRA8344_LDAP_USER / _DOMAIN /
// _PASSWORD bind with explicit credentials instead of the process identity.
// The Wine tests need both (Wine's wldap32 cannot bind as the current user).
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

func withTestServer(d ldap.Dialer) ldap.Dialer {
	if s := os.Getenv(envLDAPServer); s != "" {
		return fixedServer{server: s, inner: d}
	}
	return d
}
