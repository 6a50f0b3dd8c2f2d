package memdir

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"entra8344/internal/ldap"
)

const dom = "DC=contoso,DC=com"

func loadContoso(t testing.TB) *Dir {
	t.Helper()
	d, err := LoadFS(os.DirFS("testdata"), "contoso.ldif")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func dns(es []*ldap.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.DN)
	}
	return out
}

func attrNames(e *ldap.Entry) []string {
	out := []string{}
	for _, a := range e.Attributes {
		out = append(out, a.Name)
	}
	return out
}

func TestSearch(t *testing.T) {
	d := loadContoso(t)
	admins := "CN=Domain Admins,CN=Users," + dom
	tests := []struct {
		name  string
		req   ldap.SearchRequest
		want  []string // DNs, in order
		attrs []string // attribute names of the first entry, when not nil
	}{
		{"rootDSE", ldap.SearchRequest{Filter: "(objectClass=*)", Attributes: []string{"dnsHostName", "defaultNamingContext"}},
			[]string{""}, []string{"defaultNamingContext", "dnsHostName"}},
		{"rootDSE all", ldap.SearchRequest{}, []string{""},
			[]string{"defaultNamingContext", "configurationNamingContext", "schemaNamingContext", "rootDomainNamingContext", "namingContexts", "dnsHostName", "dsServiceName", "domainFunctionality", "supportedControl", "subschemaSubentry"}},
		{"adminCount subtree", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(adminCount=1)", Attributes: []string{"1.1"}},
			[]string{"CN=Administrator,CN=Users," + dom, admins, `CN=Smith\, John,OU=Admins,` + dom}, []string{}},
		{"one level", ldap.SearchRequest{BaseDN: "cn=users,dc=CONTOSO,dc=com", Scope: ldap.ScopeOneLevel, Filter: "(objectClass=*)", Attributes: []string{"cn"}},
			[]string{"CN=Administrator,CN=Users," + dom, admins, "CN=MSOL_0123456789ab,CN=Users," + dom}, []string{"cn"}},
		{"subtree includes base", ldap.SearchRequest{BaseDN: "OU=Groups," + dom, Scope: ldap.ScopeSubtree, Filter: "(|(ou=*)(cn=*))"},
			[]string{"OU=Groups," + dom, "CN=Tier0 Operators,OU=Groups," + dom}, nil},
		{"case-insensitive substring", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(&(objectCategory=person)(sAMAccountName=msol_*))", Attributes: []string{"objectSid", "description"}},
			[]string{"CN=MSOL_0123456789ab,CN=Users," + dom}, []string{"description", "objectSid"}},
		{"unicode fold", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(displayName=jürgen müller)", Attributes: []string{"displayName"}},
			[]string{"CN=Jürgen Müller,OU=Users," + dom}, []string{"displayName"}},
		{"unicode escaped", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: `(cn=J\c3\bcrgen*)`},
			[]string{"CN=Jürgen Müller,OU=Users," + dom}, nil},
		{"escaped DNs", ldap.SearchRequest{BaseDN: `cn=\#hash\ , ou=admins,` + dom, Filter: "(objectClass=user)", Attributes: []string{"cn"}},
			[]string{`CN=\#hash\ ,OU=Admins,` + dom}, []string{"cn"}},
		{"distinguishedName not stored", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: `(distinguishedName=cn=smith\5c, john, ou=ADMINS,dc=contoso,dc=com)`, Attributes: []string{"distinguishedName"}},
			[]string{`CN=Smith\, John,OU=Admins,` + dom}, []string{"distinguishedName"}},
		{"distinguishedName stored", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(distinguishedName=CN=AdminSDHolder,CN=System," + dom + ")", Attributes: []string{"distinguishedName", "cn"}},
			[]string{"CN=AdminSDHolder,CN=System," + dom}, []string{"cn", "distinguishedName"}},
		{"dn-syntax equality", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(memberOf=CN=Domain Admins,CN=Users,DC=contoso,DC=com)", Attributes: []string{"1.1"}},
			[]string{"CN=Administrator,CN=Users," + dom, "CN=Tier0 Operators,OU=Groups," + dom, `CN=Smith\, John,OU=Admins,` + dom}, nil},
		{"member with escaped comma", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: `(member=CN=Smith\5c, John,OU=Admins,DC=contoso,DC=com)`, Attributes: []string{"1.1"}},
			[]string{admins}, nil},
		{"in chain", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(memberOf:1.2.840.113556.1.4.1941:=" + admins + ")", Attributes: []string{"1.1"}},
			[]string{"CN=Administrator,CN=Users," + dom, "CN=Tier0 Operators,OU=Groups," + dom, `CN=Smith\, John,OU=Admins,` + dom, "CN=Nested User,OU=Users," + dom}, nil},
		{"bit and", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(userAccountControl:1.2.840.113556.1.4.803:=2)", Attributes: []string{"1.1"}},
			[]string{`CN=\#hash\ ,OU=Admins,` + dom, "CN=Jürgen Müller,OU=Users," + dom}, nil},
		{"bit and, negative groupType", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(groupType:1.2.840.113556.1.4.803:=2147483650)", Attributes: []string{"1.1"}},
			[]string{admins, "CN=Tier0 Operators,OU=Groups," + dom}, nil},
		{"bit or", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(userAccountControl:1.2.840.113556.1.4.804:=65538)", Attributes: []string{"1.1"}},
			[]string{"CN=Administrator,CN=Users," + dom, `CN=\#hash\ ,OU=Admins,` + dom, "CN=Jürgen Müller,OU=Users," + dom, "CN=MSOL_0123456789ab,CN=Users," + dom}, nil},
		{"integer ordering", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(&(userAccountControl>=1000)(userAccountControl<=66048))", Attributes: []string{"1.1"}},
			[]string{"CN=Administrator,CN=Users," + dom, "CN=MSOL_0123456789ab,CN=Users," + dom}, nil},
		{"objectCategory via schema", ldap.SearchRequest{BaseDN: "OU=Users," + dom, Scope: ldap.ScopeSubtree, Filter: "(objectCategory=user)", Attributes: []string{"1.1"}},
			[]string{"CN=Nested User,OU=Users," + dom, "CN=Jürgen Müller,OU=Users," + dom}, nil},
		{"objectCategory via table", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(objectCategory=group)", Attributes: []string{"1.1"}},
			[]string{admins, "CN=Tier0 Operators,OU=Groups," + dom}, nil},
		{"binary exact", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: `(objectSid=\01\05\00\00\00\00\00\05\15\00\00\00\dc\f4\dc\3b\83\3d\2b\46\82\8b\a6\28\f4\01\00\00)`, Attributes: []string{"1.1"}},
			[]string{"CN=Administrator,CN=Users," + dom}, nil},
		{"binary is case-sensitive", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: `(mS-DS-ConsistencyGuid=\00\01\02\03\04\05\06\07\08\09\0A\0B\0C\0D\0E\0F)`},
			[]string{`CN=Smith\, John,OU=Admins,` + dom}, nil},
		{"binary substring", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: `(mS-DS-ConsistencyGuid=\00\01*)`},
			[]string{`CN=Smith\, John,OU=Admins,` + dom}, nil},
		{"schema GUID", ldap.SearchRequest{BaseDN: "CN=Schema,CN=Configuration," + dom, Scope: ldap.ScopeOneLevel, Filter: "(&(objectClass=attributeSchema)(lDAPDisplayName=msDS-KeyCredentialLink))", Attributes: []string{"schemaIDGUID", "attributeSecurityGUID"}},
			[]string{"CN=ms-DS-Key-Credential-Link,CN=Schema,CN=Configuration," + dom}, []string{"attributeSecurityGUID", "schemaIDGUID"}},
		{"tokenGroups on a subtree search matching nothing", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(cn=nobody)", Attributes: []string{"tokenGroups"}}, []string{}, nil},
		{"placeholder matches nothing", ldap.SearchRequest{BaseDN: "CN=Placeholder," + dom, Filter: "(!(cn=x))"}, []string{}, nil},
		{"naming context boundary", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(|(objectClass=attributeSchema)(objectClass=configuration)(cn=System))", Attributes: []string{"1.1"}},
			[]string{"CN=System," + dom}, nil},
		{"one level stops at the naming context", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeOneLevel, Filter: "(objectClass=*)", Attributes: []string{"1.1"}},
			[]string{"CN=System," + dom, "CN=Users," + dom, "OU=Groups," + dom, "OU=Admins," + dom, "OU=Users," + dom}, nil},
		{"configuration subtree excludes the schema NC", ldap.SearchRequest{BaseDN: "CN=Configuration," + dom, Scope: ldap.ScopeSubtree, Filter: "(cn=*)", Attributes: []string{"1.1"}},
			[]string{"CN=Configuration," + dom, "CN=Extended-Rights,CN=Configuration," + dom, "CN=Run-Protect-Admin-Groups-Task,CN=Extended-Rights,CN=Configuration," + dom}, nil},
		{"rootDSE not in subtree", ldap.SearchRequest{BaseDN: "", Scope: ldap.ScopeSubtree, Filter: "(dnsHostName=*)"}, []string{}, nil},
		{"empty filter", ldap.SearchRequest{BaseDN: "OU=Admins," + dom, Filter: ""}, []string{"OU=Admins," + dom}, []string{"objectClass", "ou"}},
		{"absolute true and false", ldap.SearchRequest{BaseDN: "OU=Admins," + dom, Filter: "(&(&)(!(|)))"}, []string{"OU=Admins," + dom}, nil},
		{"stored spelling kept", ldap.SearchRequest{BaseDN: `CN=Smith\, John,OU=Admins,` + dom, Attributes: []string{"ms-ds-consistencyguid", "OBJECTCLASS"}},
			[]string{`CN=Smith\, John,OU=Admins,` + dom}, []string{"mS-DS-ConsistencyGuid", "objectClass"}},
		{"tokenGroups on base", ldap.SearchRequest{BaseDN: "CN=MSOL_0123456789ab,CN=Users," + dom, Attributes: []string{"tokenGroups", "objectSid"}},
			[]string{"CN=MSOL_0123456789ab,CN=Users," + dom}, []string{"objectSid", "tokenGroups"}},
		{"constructed not in *", ldap.SearchRequest{BaseDN: "CN=AdminSDHolder,CN=System," + dom, Attributes: []string{"*"}},
			[]string{"CN=AdminSDHolder,CN=System," + dom}, []string{"cn", "distinguishedName", "objectCategory", "objectClass"}},
		{"constructed when named", ldap.SearchRequest{BaseDN: "CN=AdminSDHolder,CN=System," + dom, Attributes: []string{"*", "sDRightsEffective"}},
			[]string{"CN=AdminSDHolder,CN=System," + dom}, []string{"cn", "distinguishedName", "objectCategory", "objectClass", "sDRightsEffective"}},
		{"SD flags control brings the SD with *", ldap.SearchRequest{BaseDN: "CN=AdminSDHolder,CN=System," + dom, Attributes: []string{"*"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}},
			[]string{"CN=AdminSDHolder,CN=System," + dom}, []string{"cn", "distinguishedName", "nTSecurityDescriptor", "objectCategory", "objectClass"}},
		{"non-critical unknown control ignored", ldap.SearchRequest{BaseDN: dom, Attributes: []string{"dc"}, Controls: []ldap.Control{{OID: "1.2.3.4"}}},
			[]string{dom}, []string{"dc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			got, err := d.Search(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			if g := dns(got); !reflect.DeepEqual(g, tt.want) {
				t.Fatalf("got %q\nwant %q", g, tt.want)
			}
			if tt.attrs != nil {
				names := attrNames(got[0])
				if tt.name != "rootDSE all" && tt.name != "empty filter" {
					sortStrings(names)
				}
				if !reflect.DeepEqual(names, tt.attrs) {
					t.Errorf("attributes %q, want %q", names, tt.attrs)
				}
			}
		})
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && strings.ToLower(s[j]) < strings.ToLower(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestSearchErrors(t *testing.T) {
	d := loadContoso(t)
	tests := []struct {
		name string
		req  ldap.SearchRequest
		code int
		msg  string
	}{
		{"missing base", ldap.SearchRequest{BaseDN: "CN=Nobody,OU=Admins," + dom}, ldap.ResultNoSuchObject, "problem 2001 (NO_OBJECT), data 0, best match of:\n\t'OU=Admins,DC=contoso,DC=com'"},
		{"missing domain", ldap.SearchRequest{BaseDN: "DC=fabrikam,DC=com"}, ldap.ResultNoSuchObject, "best match of:\n\t''"},
		{"bad base DN", ldap.SearchRequest{BaseDN: "CN=x\\"}, ldap.ResultInvalidDNSyntax, "dangling backslash"},
		{"bad filter", ldap.SearchRequest{BaseDN: dom, Filter: "(cn=x"}, ldap.ResultFilterError, "missing ')'"},
		{"unsupported rule", ldap.SearchRequest{BaseDN: dom, Filter: "(cn:1.2.3:=x)"}, ldap.ResultFilterError, `matching rule "1.2.3"`},
		{"dn attrs", ldap.SearchRequest{BaseDN: dom, Filter: "(cn:dn:=x)"}, ldap.ResultFilterError, ":dn:"},
		{"tokenGroups subtree", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(sAMAccountName=MSOL_*)", Attributes: []string{"TokenGroups"}}, ldap.ResultOperationsError, "00002020: operational_search_post_process failed for attribute 'tokenGroups' - Cannot provide tokenGroups attribute, this is not a BASE search"},
		{"tokenGroupsGlobalAndUniversal one", ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeOneLevel, Attributes: []string{"tokengroupsglobalanduniversal"}}, ldap.ResultOperationsError, "failed for attribute 'tokenGroupsGlobalAndUniversal' - Cannot provide tokenGroups attribute, this is not a BASE search"},
		{"critical unknown control", ldap.SearchRequest{BaseDN: dom, Controls: []ldap.Control{{OID: "1.2.840.113556.1.4.529", Critical: true}}}, ldap.ResultUnavailableCritical, "1.2.840.113556.1.4.529"},
		{"malformed SD flags", ldap.SearchRequest{BaseDN: dom, Controls: []ldap.Control{{OID: ldap.OIDSDFlags, Critical: true, Value: []byte{0x30, 0x01}}}}, ldap.ResultProtocolError, "malformed SD flags"},
		{"bad scope", ldap.SearchRequest{BaseDN: dom, Scope: 7}, ldap.ResultProtocolError, "scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			_, err := d.Search(context.Background(), &req)
			var le *ldap.Error
			if !errors.As(err, &le) || le.Code != tt.code || !strings.Contains(le.Message, tt.msg) || le.Op != "search" || le.DN != tt.req.BaseDN || le.Server != "dc1.contoso.com" {
				t.Fatalf("error = %#v, want code %d with %q", err, tt.code, tt.msg)
			}
		})
	}
}

func TestSearchSizeLimit(t *testing.T) {
	d := loadContoso(t)
	got, err := d.Search(context.Background(), &ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(objectClass=user)", SizeLimit: 2})
	if !ldap.IsCode(err, ldap.ResultSizeLimitExceeded) || len(got) != 2 {
		t.Fatalf("got %d entries, %v", len(got), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Search(ctx, &ldap.SearchRequest{BaseDN: dom}); !ldap.IsCode(err, ldap.ResultTimeout) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestSearchSecurityDescriptor(t *testing.T) {
	d := loadContoso(t)
	holder := "CN=AdminSDHolder,CN=System," + dom
	read := func(attrs []string, controls ...ldap.Control) []byte {
		t.Helper()
		got, err := d.Search(context.Background(), &ldap.SearchRequest{BaseDN: holder, Attributes: attrs, Controls: controls})
		if err != nil || len(got) != 1 {
			t.Fatalf("%v %v", got, err)
		}
		return got[0].Value("nTSecurityDescriptor")
	}
	full := read([]string{"nTSecurityDescriptor"})
	if hex.EncodeToString(full[:20]) != "0100149cb0000000cc0000001400000030000000" {
		t.Fatalf("full SD header %x", full[:20])
	}
	if sd := read(nil); sd != nil {
		t.Errorf("SD returned for an empty attribute list without the control")
	}
	dacl := read([]string{"nTSecurityDescriptor"}, ldap.SDFlagsControl(ldap.SDDACL))
	// DACL only: control 0x9404 (self-relative, protected, auto-inherited, present), DACL at 20.
	if got := hex.EncodeToString(dacl[:20]); got != "01000494000000000000000000000000"+"14000000" {
		t.Errorf("DACL-only header %s", got)
	}
	if string(dacl[20:]) != string(full[0x30:0x30+len(dacl)-20]) {
		t.Errorf("DACL bytes differ from the stored DACL")
	}
	ogd := read([]string{"nTSecurityDescriptor"}, ldap.SDFlagsControl(ldap.SDOwner|ldap.SDGroup|ldap.SDDACL))
	if got := hex.EncodeToString(ogd[:4]); got != "01000494" || len(ogd) != len(full)-0x1c {
		t.Errorf("owner+group+DACL: header %s, %d bytes (full %d)", got, len(ogd), len(full))
	}
	if all := read([]string{"nTSecurityDescriptor"}, ldap.SDFlagsControl(0xf)); string(all) != string(full) {
		t.Errorf("flags 15 changed the SD")
	}
	// A DACL-only SD (as recorded with flags 4) comes back byte for byte.
	admin, err := d.Search(context.Background(), &ldap.SearchRequest{BaseDN: "CN=Administrator,CN=Users," + dom, Attributes: []string{"nTSecurityDescriptor"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if err != nil || hex.EncodeToString(admin[0].Value("nTSecurityDescriptor")[:4]) != "01000484" {
		t.Errorf("Administrator SD: %v %v", admin, err)
	}
}

func TestSearchCopiesValues(t *testing.T) {
	d := loadContoso(t)
	req := &ldap.SearchRequest{BaseDN: "CN=Administrator,CN=Users," + dom, Attributes: []string{"cn"}}
	got, _ := d.Search(context.Background(), req)
	got[0].Attributes[0].Values[0][0] = 'X'
	got[0].Attributes[0].Name = "changed"
	again, _ := d.Search(context.Background(), req)
	if again[0].String("cn") != "Administrator" {
		t.Errorf("caller changed the store: %q", again[0].String("cn"))
	}
}
