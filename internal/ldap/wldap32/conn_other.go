//go:build !windows

package wldap32

import (
	"context"

	"entra8344/internal/ldap"
)

// dial: wldap32.dll exists only on Windows (and under Wine).
func dial(_ context.Context, _ Dialer, host string) (ldap.Conn, error) {
	return nil, &ldap.Error{Op: "connect", Server: host, Code: ldap.ResultNotSupported,
		Message: "the wldap32 transport needs Windows"}
}
