//go:build !entra8344_testhooks

package cli

import (
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
	"entra8344/internal/winhost"
)

func withTestHooks(d *wldap32.Dialer) ldap.Dialer { return d }

func ensurePrivateStateDir(dir string) error { return winhost.EnsurePrivateDir(dir) }
