package goldap

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/memdir"
)

// TestSambaRecordReplay records what a real DC answers through a Recorder,
// loads the LDIF into memdir and checks that memdir answers the same
// searches the same way.
func TestSambaRecordReplay(t *testing.T) {
	c, base := sambaConn(t, func(o *Options) { o.PageSize = -1 })
	cfg := "CN=Configuration," + base
	schema := "CN=Schema," + cfg
	admins := "CN=Domain Admins,CN=Users," + base
	dacl := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	searches := []ldap.SearchRequest{
		{Attributes: []string{"defaultNamingContext", "configurationNamingContext", "schemaNamingContext", "rootDomainNamingContext", "namingContexts", "dnsHostName", "dsServiceName", "supportedControl", "domainFunctionality"}},
		{BaseDN: "CN=AdminSDHolder,CN=System," + base, Attributes: []string{"nTSecurityDescriptor", "sDRightsEffective", "allowedAttributesEffective"}, Controls: dacl},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(adminCount=1)", Attributes: []string{"1.1"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(&(objectCategory=person)(objectClass=user)(sAMAccountName=Admin*))", Attributes: []string{"objectSid", "sAMAccountName", "userAccountControl"}},
		{BaseDN: "CN=Administrator,CN=Users," + base, Attributes: []string{"tokenGroups", "objectSid"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(sAMAccountName=Administrator)", Attributes: []string{"tokenGroups"}},
		{BaseDN: schema, Scope: ldap.ScopeOneLevel, Filter: "(&(objectClass=attributeSchema)(|(lDAPDisplayName=mS-DS-ConsistencyGuid)(lDAPDisplayName=proxyAddresses)))", Attributes: []string{"schemaIDGUID", "attributeSecurityGUID", "lDAPDisplayName"}},
		{BaseDN: "CN=Extended-Rights," + cfg, Scope: ldap.ScopeOneLevel, Filter: "(rightsGuid=00299570-246d-11d0-a768-00aa006e0529)", Attributes: []string{"cn", "rightsGuid"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(memberOf:1.2.840.113556.1.4.1941:=" + admins + ")", Attributes: []string{"sAMAccountName"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(userAccountControl:1.2.840.113556.1.4.803:=2)", Attributes: []string{"1.1"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(&(objectClass=group)(groupType:1.2.840.113556.1.4.803:=2147483648)(adminCount=1))", Attributes: []string{"cn", "member"}},
		{BaseDN: "CN=entra8344-missing,CN=Users," + base},
		{BaseDN: base, Attributes: []string{"fSMORoleOwner", "objectSid"}},
		{BaseDN: "CN=Users," + base, Scope: ldap.ScopeSubtree, Filter: "(cn=entra8344-nobody)", Attributes: []string{"cn"}},
		{BaseDN: base, Scope: ldap.ScopeOneLevel, Filter: "(objectClass=*)", Attributes: []string{"1.1"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(objectClass=*)", Attributes: []string{"1.1"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(!(objectClass=container))", Attributes: []string{"objectGUID"}},
		{BaseDN: "CN=Administrator,CN=Users," + base, Attributes: []string{"*"}},
		{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(member=" + strings.ToUpper("CN=Administrator,CN=Users,"+base) + ")", Attributes: []string{"cn"}},
	}
	rec := ldap.NewRecorder(c)
	live := runAll(t, rec, searches)
	var buf bytes.Buffer
	if err := rec.WriteLDIF(&buf); err != nil {
		t.Fatal(err)
	}
	size := buf.Len()
	dir, err := memdir.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	replay := runAll(t, dir, searches)
	for i := range searches {
		if !reflect.DeepEqual(replay[i], live[i]) {
			t.Errorf("search %d (%q %s %q) differs in replay:\nlive   %s\nreplay %s", i, searches[i].BaseDN, searches[i].Scope, searches[i].Filter, live[i], replay[i])
		}
	}
	for i, l := range live {
		n := 0
		if l != "" && !strings.HasPrefix(l, "error") {
			n = strings.Count(l, "\n") + 1
		}
		t.Logf("search %d: %d entries %.60s", i, n, strings.SplitN(l, "\n", 2)[0])
	}
	t.Logf("%d searches, %d entries recorded, %d bytes of LDIF", len(searches), len(rec.Records()), size)
}

// runAll runs the searches and renders each answer canonically (entries
// by DN, attributes by name; AD promises no order).
func runAll(t *testing.T, c ldap.Conn, searches []ldap.SearchRequest) []string {
	t.Helper()
	var out []string
	for _, s := range searches {
		req := s
		es, err := c.Search(context.Background(), &req)
		var b strings.Builder
		if err != nil {
			var le *ldap.Error
			if !errors.As(err, &le) {
				t.Fatalf("search %+v: %v", s, err)
			}
			b.WriteString("error " + ldap.ResultName(le.Code) + "; ")
		}
		var lines []string
		for _, e := range es {
			attrs := make([]string, 0, len(e.Attributes))
			for _, a := range e.Attributes {
				vals := make([]string, len(a.Values))
				for i, v := range a.Values {
					vals[i] = strconv.Quote(string(v))
				}
				attrs = append(attrs, strings.ToLower(a.Name)+"="+strings.Join(vals, "|"))
			}
			sort.Strings(attrs)
			n, _ := ldap.NormalizeDN(e.DN)
			lines = append(lines, n+" {"+strings.Join(attrs, "; ")+"}")
		}
		sort.Strings(lines)
		b.WriteString(strings.Join(lines, "\n"))
		out = append(out, b.String())
	}
	return out
}
