package wldap32

import (
	"context"
	"testing"
	"time"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
)

// fixedHost sends every dial to the test DC, whatever host internal/ad asks
// for (the locator and DNS names of the test realm do not exist under Wine).
type fixedHost struct {
	d    Dialer
	host string
}

func (f fixedHost) Dial(ctx context.Context, _ string) (ldap.Conn, error) {
	return f.d.Dial(ctx, f.host)
}

// TestADReadThroughWldap32 runs the directory reads of detect (internal/ad)
// through the production transport against Samba: every search detect makes
// (rootDSE, partitions, dSHeuristics, domain head, PDC server object,
// AdminSDHolder with the SD flags control and sDRightsEffective, accounts,
// tokenGroups on BASE, the objects' batch, protected groups, schema).
func TestADReadThroughWldap32(t *testing.T) {
	host, base, creds := sambaEnv(t)
	admin := "CN=Administrator,CN=Users," + base
	counter := ldap.NewCounter(nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := ad.Read(ctx, counter.Dialer(fixedHost{Dialer{Creds: creds, Timeout: 20 * time.Second}, host}), ad.Request{
		Accounts:   []ad.AccountRef{{Connector: "test.example", Domain: creds.Domain, User: creds.User}},
		Attributes: []string{"msDS-KeyCredentialLink"},
		Objects:    []string{admin},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range s.Warnings {
		t.Errorf("warning %s: %s", w.Code, w.Message)
	}
	if len(s.Domains) != 1 {
		t.Fatalf("%d domains", len(s.Domains))
	}
	d := s.Domains[0]
	if d.SID.IsZero() || d.PDCEmulator == "" || d.AdminSDHolder == nil || d.AdminSDHolder.SD == nil ||
		d.AdminSDHolder.SDRightsEffective == nil || *d.AdminSDHolder.SDRightsEffective&4 == 0 {
		t.Errorf("domain %s: SID %s, PDC %q, AdminSDHolder %+v", d.NC, d.SID, d.PDCEmulator, d.AdminSDHolder)
	}
	if a := s.Accounts[0]; !a.Found || len(a.Groups) == 0 {
		t.Errorf("account %+v", a)
	}
	if a := s.Attributes["msds-keycredentiallink"]; a == nil || !a.Found || a.SchemaIDGUID.String() != "5b47d60f-6090-40b2-9f37-2a4de88f3063" {
		t.Errorf("schema: %+v", a)
	}
	o := s.Objects[ldap.MustParseDN(admin).Normal()]
	if o == nil || !o.Found || o.SD == nil || s.ClassOf(o).IsZero() {
		t.Fatalf("object %+v", o)
	}
	if p := s.ProtectionOf(o); !p.Known || p.By == "" {
		t.Errorf("Administrator: protection %+v", p)
	}
	t.Logf("internal/ad through wldap32: %d LDAP operations on %d connection(s); domain %s (%s), PDC %s, AdminSDHolder sDRightsEffective %d, Administrator %s",
		counter.Ops(), counter.Dials(), d.DNSName, d.SID, d.PDCEmulator, *d.AdminSDHolder.SDRightsEffective, s.ProtectionOf(o).By)
}
