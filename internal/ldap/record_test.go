package ldap_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
)

const dom = "DC=contoso,DC=com"

var bg = context.Background()

func live(t *testing.T) *memdir.Dir {
	t.Helper()
	d, err := memdir.LoadFS(os.DirFS("memdir/testdata"), "contoso.ldif")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// searches are the kinds of reads detect makes.
var searches = []ldap.SearchRequest{
	{BaseDN: "", Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext", "configurationNamingContext", "schemaNamingContext", "dnsHostName"}},
	{BaseDN: "CN=AdminSDHolder,CN=System," + dom, Filter: "(objectClass=*)", Attributes: []string{"nTSecurityDescriptor", "sDRightsEffective"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}},
	{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(&(objectCategory=person)(objectClass=user)(sAMAccountName=MSOL_*))", Attributes: []string{"objectSid", "sAMAccountName"}},
	{BaseDN: "CN=MSOL_0123456789ab,CN=Users," + dom, Filter: "(objectClass=*)", Attributes: []string{"tokenGroups", "objectSid"}},
	{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(adminCount=1)", Attributes: []string{"1.1"}},
	{BaseDN: "OU=Admins," + dom, Scope: ldap.ScopeSubtree, Filter: "(!(adminCount=1))", Attributes: []string{"cn"}},
	{BaseDN: "OU=Groups," + dom, Scope: ldap.ScopeSubtree, Filter: "(cn=nobody)", Attributes: []string{"cn"}},
	{BaseDN: "CN=Nobody,CN=Users," + dom, Filter: "(objectClass=*)"},
	{BaseDN: "CN=Schema,CN=Configuration," + dom, Scope: ldap.ScopeOneLevel, Filter: "(&(objectClass=attributeSchema)(|(lDAPDisplayName=msDS-KeyCredentialLink)(lDAPDisplayName=mS-DS-ConsistencyGuid)))", Attributes: []string{"schemaIDGUID", "lDAPDisplayName"}},
	{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(memberOf:1.2.840.113556.1.4.1941:=CN=Domain Admins,CN=Users," + dom + ")", Attributes: []string{"sAMAccountName"}},
	{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(&(objectCategory=user)(userAccountControl:1.2.840.113556.1.4.803:=2))", Attributes: []string{"1.1"}},
	{BaseDN: `CN=Smith\, John,OU=Admins,` + dom, Filter: "(objectClass=*)", Attributes: []string{"*", "nTSecurityDescriptor"}},
	{BaseDN: "CN=Jürgen Müller,OU=Users," + dom, Attributes: []string{"displayName", "objectGUID"}},
	{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(sAMAccountName=MSOL_*)", Attributes: []string{"tokenGroups"}},
	{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(objectClass=user)", SizeLimit: 2, Attributes: []string{"cn"}},
}

type result struct {
	entries []*ldap.Entry
	code    int
}

func run(t *testing.T, c ldap.Conn) []result {
	t.Helper()
	var out []result
	for _, s := range searches {
		req := s
		es, err := c.Search(bg, &req)
		r := result{entries: es}
		if err != nil {
			var le *ldap.Error
			if !errors.As(err, &le) {
				t.Fatalf("search %+v: %v", s, err)
			}
			r.code = le.Code
		}
		out = append(out, r)
	}
	return out
}

// canonical sorts entries by DN and attributes by name: AD promises no order.
func canonical(rs []result) []result {
	out := make([]result, len(rs))
	for i, r := range rs {
		es := make([]*ldap.Entry, len(r.entries))
		for j, e := range r.entries {
			ne := &ldap.Entry{DN: e.DN, Attributes: append([]ldap.Attribute(nil), e.Attributes...)}
			sort.Slice(ne.Attributes, func(a, b int) bool {
				return strings.ToLower(ne.Attributes[a].Name) < strings.ToLower(ne.Attributes[b].Name)
			})
			es[j] = ne
		}
		sort.Slice(es, func(a, b int) bool { return es[a].DN < es[b].DN })
		out[i] = result{entries: es, code: r.code}
	}
	return out
}

func TestRecordReplayRoundTrip(t *testing.T) {
	direct := run(t, live(t))
	rec := ldap.NewRecorder(live(t))
	recorded := run(t, rec)
	// The caller sees exactly what the server would have sent without the recorder.
	if !reflect.DeepEqual(recorded, direct) {
		for i := range direct {
			if !reflect.DeepEqual(recorded[i], direct[i]) {
				t.Errorf("search %d through the recorder differs:\n%s\nwant\n%s", i, dump(recorded[i]), dump(direct[i]))
			}
		}
	}
	var buf bytes.Buffer
	if err := rec.WriteLDIF(&buf); err != nil {
		t.Fatal(err)
	}
	ldifText := buf.String()
	replay, err := memdir.Load(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, ldifText)
	}
	replayed := run(t, replay)
	want, got := canonical(direct), canonical(replayed)
	for i := range want {
		if searches[i].SizeLimit > 0 {
			// Which entries fill a size-limited answer depends on the
			// server's order, which AD does not define: compare the count.
			if got[i].code != want[i].code || len(got[i].entries) != len(want[i].entries) {
				t.Errorf("search %d (size limit): %d entries, %s", i, len(got[i].entries), ldap.ResultName(got[i].code))
			}
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("search %d (%s %q) replayed differently:\n%s\nwant\n%s", i, searches[i].BaseDN, searches[i].Filter, dump(got[i]), dump(want[i]))
		}
	}
	if t.Failed() {
		t.Logf("recorded LDIF:\n%s", ldifText)
	}
	// What the recorder kept, and what it did not.
	for _, must := range []string{"\ndn:\n", "dn: OU=Groups,DC=contoso,DC=com\n\n", "tokenGroups:: ", "nTSecurityDescriptor:: AQAElA"} {
		if !strings.Contains(ldifText, must) {
			t.Errorf("recorded LDIF lacks %q", must)
		}
	}
	if strings.Contains(ldifText, "CN=Nobody") {
		t.Errorf("recorded a missing object")
	}
}

func dump(r result) string {
	var b strings.Builder
	b.WriteString("code " + ldap.ResultName(r.code) + "\n")
	recs := make([]ldap.Entry, len(r.entries))
	for i, e := range r.entries {
		recs[i] = *e
	}
	_ = ldap.EncodeLDIF(&b, recs)
	return b.String()
}

func TestRecorderMerge(t *testing.T) {
	d := live(t)
	rec := ldap.NewRecorder(d)
	admin := "CN=Administrator,CN=Users," + dom
	search := func(attrs ...string) {
		if _, err := rec.Search(bg, &ldap.SearchRequest{BaseDN: admin, Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	search("cn", "adminCount")
	if err := d.Modify(bg, admin, []ldap.Mod{{Op: ldap.ModReplace, Attr: "adminCount", Values: [][]byte{[]byte("0")}}}, nil); err != nil {
		t.Fatal(err)
	}
	search("AdminCount", "sAMAccountName")
	recs := rec.Records()
	if len(recs) != 1 || recs[0].DN != admin {
		t.Fatalf("records %+v", recs)
	}
	var names []string
	for _, a := range recs[0].Attributes {
		names = append(names, a.Name+"="+string(a.Values[0]))
	}
	want := []string{"objectClass=top", "cn=Administrator", "adminCount=0", "sAMAccountName=Administrator"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("merged attributes %q, want %q", names, want)
	}
	recs[0].Attributes[0].Values[0][0] = 'X'
	if rec.Records()[0].Attributes[0].Values[0][0] == 'X' {
		t.Errorf("Records() aliases the store")
	}
}

func TestRecorderDialerSharesStore(t *testing.T) {
	d := live(t)
	rec := ldap.NewRecorder(nil)
	dialer := rec.Dialer(d)
	c1, _ := dialer.Dial(bg, "dc1.contoso.com")
	c2, _ := dialer.Dial(bg, "dc2.contoso.com")
	if c2.Server() != "dc2.contoso.com" {
		t.Errorf("Server() = %q", c2.Server())
	}
	c1.Search(bg, &ldap.SearchRequest{BaseDN: "", Attributes: []string{"dnsHostName"}})
	c2.Search(bg, &ldap.SearchRequest{BaseDN: dom, Attributes: []string{"dc"}})
	if err := c2.Modify(bg, dom, []ldap.Mod{{Op: ldap.ModAdd, Attr: "description", Values: [][]byte{[]byte("x")}}}, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Records()); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	if len(d.Modifications()) != 1 {
		t.Errorf("modify not passed on")
	}
	// Several recorders (one per connection) write one merged file.
	r1, r2 := ldap.NewRecorder(d), ldap.NewRecorder(d)
	r1.Search(bg, &ldap.SearchRequest{BaseDN: dom, Attributes: []string{"dc"}})
	r2.Search(bg, &ldap.SearchRequest{BaseDN: "DC=CONTOSO,DC=COM", Attributes: []string{"fSMORoleOwner"}})
	r2.Search(bg, &ldap.SearchRequest{BaseDN: "", Attributes: []string{"dnsHostName"}})
	var buf bytes.Buffer
	if err := ldap.WriteLDIF(&buf, r1, r2, rec, nil); err != nil {
		t.Fatal(err)
	}
	want := "version: 1\n\ndn: DC=contoso,DC=com\nobjectClass: top\nobjectClass: domain\nobjectClass: domainDNS\ndc: contoso\n" +
		"fSMORoleOwner: CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name\n ,CN=Sites,CN=Configuration,DC=contoso,DC=com\n\ndn:\ndnsHostName: dc1.contoso.com\n"
	if buf.String() != want {
		t.Errorf("merged LDIF:\n%s\nwant\n%s", buf.String(), want)
	}
	c1.Close()
}

func TestCounter(t *testing.T) {
	d := live(t)
	n := ldap.NewCounter(d)
	n.Search(bg, &ldap.SearchRequest{BaseDN: dom})
	n.Search(bg, &ldap.SearchRequest{BaseDN: "CN=missing," + dom})
	n.Modify(bg, dom, nil, nil)
	if n.Searches() != 2 || n.Modifies() != 1 || n.Ops() != 3 || n.Server() != "dc1.contoso.com" {
		t.Errorf("searches %d modifies %d ops %d", n.Searches(), n.Modifies(), n.Ops())
	}
	dialer := n.Dialer(d)
	c, _ := dialer.Dial(bg, "")
	c.Search(bg, &ldap.SearchRequest{BaseDN: dom})
	if n.Searches() != 3 || n.Dials() != 1 {
		t.Errorf("through the dialer: searches %d dials %d", n.Searches(), n.Dials())
	}
	n.Reset()
	if n.Ops() != 0 || n.Dials() != 0 {
		t.Errorf("Reset left %d", n.Ops())
	}
	if d.Ops() != 4 {
		t.Errorf("memdir saw %d ops", d.Ops())
	}
}

// fakeConn answers every search with no entries.
type fakeConn struct{ ldap.Conn }

func (fakeConn) Search(context.Context, *ldap.SearchRequest) ([]*ldap.Entry, error) { return nil, nil }

func TestRecorderSkipsUnparsableBase(t *testing.T) {
	rec := ldap.NewRecorder(fakeConn{})
	if _, err := rec.Search(bg, &ldap.SearchRequest{BaseDN: "<SID=S-1-5-21-1-2-3-1105>", Attributes: []string{"cn"}}); err != nil {
		t.Fatal(err)
	}
	rec.Search(bg, &ldap.SearchRequest{BaseDN: "CN=Empty,DC=x"})
	var buf bytes.Buffer
	if err := rec.WriteLDIF(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "version: 1\n\ndn: CN=Empty,DC=x\n" {
		t.Errorf("LDIF %q", buf.String())
	}
}
