//go:build entra8344_testhooks

package cli

import (
	"context"
	"os"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
	"entra8344/internal/winhost"
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
	// envLDAPStateUnchecked=1 lets an explicit --state-dir skip the
	// privacy check: Wine keeps no file security descriptors, so no folder
	// passes it there. winhost's unit tests cover the check itself.
	envLDAPStateUnchecked = "ENTRA8344_LDAP_TEST_STATE_UNCHECKED"
)

func ensurePrivateStateDir(dir string) error {
	if os.Getenv(envLDAPStateUnchecked) == "1" {
		return os.MkdirAll(dir, 0o700)
	}
	return winhost.EnsurePrivateDir(dir)
}

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
