package memdir

import (
	"testing"

	"entra8344/internal/ldap"
)

// FuzzSearchFilter runs arbitrary filters against the contoso directory:
// never a panic, only *ldap.Error results.
func FuzzSearchFilter(f *testing.F) {
	for _, s := range []string{
		"(objectClass=*)", "(&(objectCategory=person)(sAMAccountName=MSOL_*))", "(memberOf:1.2.840.113556.1.4.1941:=CN=Domain Admins,CN=Users,DC=contoso,DC=com)",
		"(userAccountControl:1.2.840.113556.1.4.803:=2)", "(objectSid=\\01\\05)", "(!(distinguishedName=*a*))", "(adminCount>=1)",
	} {
		f.Add(s, uint8(2))
	}
	d := loadContoso(f)
	f.Fuzz(func(t *testing.T, filter string, scope uint8) {
		_, err := d.Search(bg, &ldap.SearchRequest{BaseDN: dom, Scope: ldap.Scope(scope % 3), Filter: filter, Attributes: []string{"cn"}})
		if err != nil {
			if _, ok := err.(*ldap.Error); !ok {
				t.Fatalf("error %T %v", err, err)
			}
		}
	})
}
