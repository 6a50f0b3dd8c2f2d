//go:build !entra8344_testhooks

package main

import (
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/wldap32"
)

func withTestHooks(d *wldap32.Dialer) ldap.Dialer { return d }
