package ad_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"entra8344/fixtures/dirgen"
	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
)

// hostLog records every host a read dials.
type hostLog struct {
	inner *memdir.Dir
	mu    sync.Mutex
	hosts []string
}

func (h *hostLog) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, host)
	h.mu.Unlock()
	return h.inner.Dial(ctx, host)
}

// TestReadConfinedToTheForestReached: names the caller does not control
// (a connector's configuration, a member server's parameters) are checked
// against the forest's own domain list, read from the first server, before
// any other server is dialled.
func TestReadConfinedToTheForestReached(t *testing.T) {
	spec := dirgen.Spec{Domains: []dirgen.Domain{contoso, emea}, Accounts: []dirgen.Account{msol},
		Objects: map[string]dirgen.Profile{"CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com": dirgen.Protected}}
	dir := directory(t, spec, []dirgen.Failing{{DN: "CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com", Attrs: []string{"msDS-KeyCredentialLink"}}})
	account := ad.AccountRef{Connector: "contoso.com", Domain: "CONTOSO", User: msol.Sam}
	cases := []struct {
		name    string
		req     ad.Request
		code    string // "" = the read succeeds
		maxDial int
	}{
		{"configured partitions found", ad.Request{ExpectNCs: []string{"DC=contoso,DC=com"}, Accounts: []ad.AccountRef{account},
			Objects: []string{"CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com"}}, "", 2},
		{"one of several partitions found", ad.Request{ExpectNCs: []string{"DC=gone,DC=example", "dc=EMEA,dc=contoso,dc=com"}}, "", 2},
		{"connector pointed at another forest", ad.Request{ExpectNCs: []string{"DC=fabrikam,DC=com"}, Accounts: []ad.AccountRef{account},
			Objects: []string{"CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com"}}, "forest-mismatch", 1},
		{"confined: object of another forest", ad.Request{Confine: true, Accounts: []ad.AccountRef{account},
			Objects: []string{"CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com", "CN=x,DC=evil,DC=example"}}, "outside-forest", 1},
		{"confined: account of another domain", ad.Request{Confine: true, Accounts: []ad.AccountRef{{Connector: "c", Domain: "EVIL", User: "MSOL_1"}},
			Objects: []string{"CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com"}}, "outside-forest", 1},
		{"confined: an object of the configuration naming context", ad.Request{Confine: true, Accounts: []ad.AccountRef{account},
			Objects: []string{"CN=x,CN=Services,CN=Configuration,DC=contoso,DC=com"}}, "outside-forest", 1},
		{"confined: an object of the schema naming context", ad.Request{Confine: true, Accounts: []ad.AccountRef{account},
			Objects: []string{"CN=x,CN=Schema,CN=Configuration,DC=contoso,DC=com"}}, "outside-forest", 1},
		{"confined: object DN not parsable", ad.Request{Confine: true, Accounts: []ad.AccountRef{account}, Objects: []string{"not a DN"}}, "outside-forest", 1},
		{"confined: everything in the forest", ad.Request{Confine: true, Accounts: []ad.AccountRef{account, {Domain: "emea.contoso.com", User: "x"}},
			Objects: []string{"CN=Jane Admin,OU=Admins,DC=emea,DC=contoso,DC=com"}}, "", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := &hostLog{inner: dir}
			c.req.Attributes = []string{"msDS-KeyCredentialLink"}
			_, err := ad.Read(context.Background(), log, c.req)
			var fe *ad.ForestError
			switch {
			case c.code == "" && err != nil:
				t.Fatalf("read failed: %v", err)
			case c.code != "" && (!errors.As(err, &fe) || fe.Code != c.code):
				t.Fatalf("got %v, want a %s ForestError", err, c.code)
			}
			if len(log.hosts) > c.maxDial {
				t.Errorf("dialled %q, at most %d expected", log.hosts, c.maxDial)
			}
			for _, h := range log.hosts[1:] {
				if !strings.HasSuffix(h, "contoso.com") {
					t.Errorf("dialled %q, a host the forest does not name", h)
				}
			}
		})
	}
}
