package ad_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"entra8344/fixtures/dirgen"
	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
	"entra8344/internal/ntsd"
)

var (
	contoso = dirgen.Domain{DNS: "contoso.com", NetBIOS: "CONTOSO", SID: "S-1-5-21-1004336348-1177238915-682003330", PDC: "dc01.contoso.com", Writable: true}
	emea    = dirgen.Domain{DNS: "emea.contoso.com", NetBIOS: "EMEA", SID: "S-1-5-21-2915380140-1817256843-3902771342", PDC: "dc11.emea.contoso.com"}
	msol    = dirgen.Account{Sam: "MSOL_2f4e1b7c9a3d", Domain: "contoso.com", RID: 1109, Description: "Account created by Microsoft Azure Active Directory Connect"}
)

// directory builds a memdir from the fixture model for the failing objects.
func directory(t testing.TB, spec dirgen.Spec, failing []dirgen.Failing) *memdir.Dir {
	t.Helper()
	b, err := dirgen.Build(spec, failing)
	if err != nil {
		t.Fatal(err)
	}
	d, err := memdir.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestReadOpsDoNotGrowWithObjects: 1,000 failing objects cost a handful of
// searches (500 DNs per search), not one each.
func TestReadOpsDoNotGrowWithObjects(t *testing.T) {
	spec := dirgen.Spec{Domains: []dirgen.Domain{contoso}, Accounts: []dirgen.Account{msol},
		OUGrants: []string{"mS-DS-ConsistencyGuid"}, Objects: map[string]dirgen.Profile{}}
	var failing []dirgen.Failing
	var dns []string
	for i := 0; i < 1000; i++ {
		dn := fmt.Sprintf("CN=User %04d,OU=Staff,DC=contoso,DC=com", i)
		switch {
		case i%2 == 0:
			spec.Objects[dn] = dirgen.Protected
		case i == 1:
			spec.Objects[dn] = dirgen.Stale
		case i == 3:
			spec.Objects[dn] = dirgen.Absent
		default:
			spec.Objects[dn] = dirgen.Unprotected
		}
		failing = append(failing, dirgen.Failing{DN: dn, Attrs: []string{"msDS-KeyCredentialLink"}})
		dns = append(dns, dn)
	}
	dir := directory(t, spec, failing)
	counter := ldap.NewCounter(nil)
	s, err := ad.Read(context.Background(), counter.Dialer(dir), ad.Request{
		Accounts:   []ad.AccountRef{{Connector: "contoso.com", Domain: "CONTOSO", User: msol.Sam}},
		Attributes: []string{"msDS-KeyCredentialLink"},
		Objects:    dns,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := counter.Ops(); n >= 15 {
		t.Errorf("%d LDAP operations for 1,000 objects, want fewer than 15", n)
	}
	t.Logf("1,000 objects: %d LDAP operations", counter.Ops())
	if len(s.Warnings) != 0 {
		t.Errorf("warnings: %+v", s.Warnings)
	}
	d := s.Domains[0]
	if d.SID.String() != contoso.SID || d.PDCEmulator != "dc01.contoso.com" || d.AdminSDHolder == nil || d.AdminSDHolder.SD == nil ||
		!d.AdminSDHolder.SD.DACLProtected() || d.AdminSDHolder.SDRightsEffective == nil || *d.AdminSDHolder.SDRightsEffective != 15 {
		t.Errorf("domain %+v", d)
	}
	a := s.Accounts[0]
	if !a.Found || a.SID.String() != contoso.SID+"-1109" || len(a.Groups) != 1 {
		t.Errorf("account %+v", a)
	}
	if attr := s.Attributes["msds-keycredentiallink"]; attr == nil || attr.SchemaIDGUID != ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063") {
		t.Errorf("attribute %+v", attr)
	}
	found := 0
	for i, dn := range dns {
		o := s.Objects[ldap.MustParseDN(dn).Normal()]
		if o == nil {
			t.Fatalf("%s not in the snapshot", dn)
		}
		if i == 3 {
			if o.Found || o.Err == "" {
				t.Errorf("deleted object: %+v", o)
			}
			continue
		}
		if !o.Found || o.SD == nil {
			t.Fatalf("%s: found %v, err %s", dn, o.Found, o.Err)
		}
		found++
		p := s.ProtectionOf(o)
		protected := i%2 == 0
		if !p.Known || (p.By != "") != protected {
			t.Errorf("%s: protection %+v, want protected=%v", dn, p, protected)
		}
		if protected && (o.AdminCount == nil || *o.AdminCount != 1 || !o.SD.DACLProtected()) {
			t.Errorf("%s: adminCount %v, protected DACL %v", dn, o.AdminCount, o.SD.DACLProtected())
		}
	}
	if found != 999 {
		t.Errorf("found %d objects, want 999", found)
	}
}

// TestReadChildDomain: a child domain is dialled by its DNS name, has its
// own SID, AdminSDHolder and PDC emulator.
func TestReadChildDomain(t *testing.T) {
	dn := "CN=Lars Admin,OU=Admins,DC=emea,DC=contoso,DC=com"
	dir := directory(t, dirgen.Spec{Domains: []dirgen.Domain{contoso, emea}, Accounts: []dirgen.Account{msol}},
		[]dirgen.Failing{{DN: dn, Attrs: []string{"msDS-KeyCredentialLink"}}})
	var dialled []string
	s, err := ad.Read(context.Background(), dialRecorder{dir, &dialled}, ad.Request{
		Accounts: []ad.AccountRef{{Connector: "contoso.com", Domain: "CONTOSO", User: msol.Sam}},
		Objects:  []string{dn}, Attributes: []string{"msDS-KeyCredentialLink"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dialled) != "[ emea.contoso.com]" {
		t.Errorf("dialled %q, want the locator's DC then the child domain by name", dialled)
	}
	if len(s.Domains) != 2 || s.Domains[1].PDCEmulator != "dc11.emea.contoso.com" || s.Domains[1].SID.String() != emea.SID {
		t.Fatalf("domains %+v", s.Domains)
	}
	if w := s.Domains[1].AdminSDHolder; w == nil || w.SDRightsEffective == nil || *w.SDRightsEffective != 0 {
		t.Errorf("child AdminSDHolder %+v: this identity may not write it", w)
	}
	o := s.Objects[ldap.MustParseDN(dn).Normal()]
	if o == nil || !o.Found || s.ProtectionOf(o).By != "member of Domain Admins" {
		t.Errorf("child admin: %+v", o)
	}
}

type dialRecorder struct {
	d      ldap.Dialer
	dialed *[]string
}

func (r dialRecorder) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	*r.dialed = append(*r.dialed, host)
	return r.d.Dial(ctx, host)
}

// TestReadUnreachable: the first DC not answering is the one fatal error.
func TestReadUnreachable(t *testing.T) {
	dir := directory(t, dirgen.Spec{Domains: []dirgen.Domain{contoso}, Accounts: []dirgen.Account{msol}}, nil)
	dir.Fail = func(op, dn string) error {
		if op == "dial" {
			return &ldap.Error{Op: "connect", Code: ldap.ResultServerDown, Message: "no route"}
		}
		return nil
	}
	if _, err := ad.Read(context.Background(), dir, ad.Request{}); err == nil || !ldap.IsCode(err, ldap.ResultServerDown) {
		t.Fatalf("err %v", err)
	}
}

// TestReadDegrades: a failing object search becomes a per-object error and a
// warning, never a failed read.
func TestReadDegrades(t *testing.T) {
	dn := "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"
	dir := directory(t, dirgen.Spec{Domains: []dirgen.Domain{contoso}, Accounts: []dirgen.Account{msol}},
		[]dirgen.Failing{{DN: dn, Attrs: []string{"msDS-KeyCredentialLink"}}})
	dir.Fail = func(op, base string) error {
		if op == "search" && base == "DC=contoso,DC=com" {
			return &ldap.Error{Op: "search", DN: base, Code: ldap.ResultBusy, Message: "busy"}
		}
		return nil
	}
	s, err := ad.Read(context.Background(), dir, ad.Request{Objects: []string{dn}, Attributes: []string{"msDS-KeyCredentialLink"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) == 0 {
		t.Error("no warning for the failed searches")
	}
	if o := s.Objects[ldap.MustParseDN(dn).Normal()]; o == nil || o.Found || o.Err == "" {
		t.Errorf("object %+v", o)
	}
}
