//go:build !windows

package wldap32

import (
	"context"
	"testing"

	"entra8344/internal/ldap"
)

func TestDialNeedsWindows(t *testing.T) {
	c, err := Dialer{}.Dial(context.Background(), "dc1")
	if c != nil || !ldap.IsCode(err, ldap.ResultNotSupported) {
		t.Errorf("Dial off Windows = %v, %v", c, err)
	}
}
