package memdir

import (
	"fmt"
	"testing"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/ldif"
)

func BenchmarkSubtreeSearch10k(b *testing.B) {
	recs := []ldif.Record{{DN: "", Attributes: []ldap.Attribute{{Name: "defaultNamingContext", Values: vals(dom)}}}, {DN: dom, Attributes: []ldap.Attribute{{Name: "objectClass", Values: vals("domainDNS")}}}}
	for i := 0; i < 10000; i++ {
		recs = append(recs, ldif.Record{DN: fmt.Sprintf("CN=User %d,OU=Users,%s", i, dom), Attributes: []ldap.Attribute{
			{Name: "objectClass", Values: vals("top", "person", "user")},
			{Name: "adminCount", Values: vals(fmt.Sprint(i % 2))},
			{Name: "memberOf", Values: vals("CN=Domain Admins,CN=Users," + dom)},
		}})
	}
	d, err := FromRecords(recs)
	if err != nil {
		b.Fatal(err)
	}
	req := &ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(&(objectClass=user)(adminCount=1)(memberOf=CN=Domain Admins,CN=Users,DC=contoso,DC=com))", Attributes: []string{"1.1"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		es, err := d.Search(bg, req)
		if err != nil || len(es) != 5000 {
			b.Fatal(len(es), err)
		}
	}
}
