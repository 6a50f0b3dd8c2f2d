package wldap32

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ldap"
)

// TestSambaWhoAmI sends the "Who am I?" extended operation through
// wldap32 (ldap_extended_operationW, ldap_result, ldap_parse_extended_resultW,
// ldap_parse_resultW). Samba 4.17 does not implement it and answers
// protocolError (2) "Extended Operation(1.3.6.1.4.1.4203.1.11.3) not
// supported": the test checks that this arrives as an *ldap.Error with the
// server's text, and that the connection still works afterwards. Against
// Active Directory the answer is "u:DOMAIN\user".
func TestSambaWhoAmI(t *testing.T) {
	c, base := dialSamba(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := c.WhoAmI(ctx)
	var le *ldap.Error
	switch {
	case err == nil:
		if !strings.HasPrefix(id, "u:") && !strings.HasPrefix(id, "dn:") {
			t.Errorf("WhoAmI = %q, want u:DOMAIN\\user or dn:<DN>", id)
		}
		t.Logf("WhoAmI: %q", id)
	case errors.As(err, &le) && le.Code == 2 && strings.Contains(le.Message, OIDWhoAmI):
		t.Logf("server without WhoAmI, as expected of Samba: %v", err)
	default:
		t.Fatalf("WhoAmI: %v", err)
	}
	// The session is intact: a search still works.
	if es := search(t, c, &ldap.SearchRequest{BaseDN: base, Scope: ldap.ScopeBase, Attributes: []string{"objectSid"}}); len(es) != 1 {
		t.Fatalf("search after WhoAmI: %d entries", len(es))
	}
	c.Close()
	if _, err := c.WhoAmI(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("WhoAmI on a closed connection: %v", err)
	}
}
