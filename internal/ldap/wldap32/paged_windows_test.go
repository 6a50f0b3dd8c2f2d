package wldap32

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ldap"
)

// TestSambaPagedSearch makes an OU of its own (a unique name: others may
// use the same DC) with more children than one page, and reads them back
// through Wine's wldap32 with the paged results control: every entry once,
// in the expected number of pages, with and without other controls and
// with a size limit across pages. Samba does not enforce AD's MaxPageSize
// on unpaged searches, so the test lowers the page size to 50 and counts
// the requests (Conn.lastPages) instead.
func TestSambaPagedSearch(t *testing.T) {
	host, base, creds := sambaEnv(t)
	const children = 130
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dial := func(pageSize int) *Conn {
		t.Helper()
		c, err := Dialer{Creds: creds, Timeout: 60 * time.Second, PageSize: pageSize}.Dial(ctx, host)
		if err != nil {
			t.Fatalf("Dial(%s): %v", host, err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*Conn)
	}
	admin := dial(0)
	ou := fmt.Sprintf("OU=e8344-paged-%d-%d,%s", os.Getpid(), time.Now().UnixNano(), base)
	ouClass := []ldap.Attribute{{Name: "objectClass", Values: [][]byte{[]byte("organizationalUnit")}}}
	if err := admin.Add(ctx, ou, ouClass, nil); err != nil {
		t.Fatalf("add %s: %v", ou, err)
	}
	var made []string
	t.Cleanup(func() {
		for i := len(made) - 1; i >= 0; i-- {
			if err := admin.Delete(context.Background(), made[i], nil); err != nil {
				t.Errorf("cleanup: delete %s: %v", made[i], err)
			}
		}
		if err := admin.Delete(context.Background(), ou, nil); err != nil {
			t.Errorf("cleanup: delete %s: %v", ou, err)
		}
	})
	for i := range children {
		dn := fmt.Sprintf("OU=child%03d,%s", i, ou)
		if err := admin.Add(ctx, dn, ouClass, nil); err != nil {
			t.Fatalf("add %s: %v", dn, err)
		}
		made = append(made, dn)
	}

	tests := []struct {
		name      string
		pageSize  int
		req       ldap.SearchRequest
		want      int
		wantPages int
		wantCode  int
	}{
		{"subtree in pages of 50", 50, ldap.SearchRequest{Scope: ldap.ScopeSubtree, Filter: "(objectClass=organizationalUnit)", Attributes: []string{"ou"}}, children + 1, 3, 0},
		{"one level in pages of 50", 50, ldap.SearchRequest{Scope: ldap.ScopeOneLevel, Attributes: []string{"ou"}}, children, 3, 0},
		{"with the SD flags control", 50, ldap.SearchRequest{Scope: ldap.ScopeOneLevel, Attributes: []string{"nTSecurityDescriptor"},
			Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}}, children, 3, 0},
		{"size limit across pages", 50, ldap.SearchRequest{Scope: ldap.ScopeOneLevel, Attributes: []string{"ou"}, SizeLimit: 70}, 70, 2, ldap.ResultSizeLimitExceeded},
		{"default page size", 0, ldap.SearchRequest{Scope: ldap.ScopeOneLevel, Attributes: []string{"ou"}}, children, 1, 0},
		{"paging off", -1, ldap.SearchRequest{Scope: ldap.ScopeOneLevel, Attributes: []string{"ou"}}, children, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(tt.pageSize)
			req := tt.req
			req.BaseDN = ou
			es, err := c.Search(ctx, &req)
			if tt.wantCode == 0 && err != nil || tt.wantCode != 0 && !ldap.IsCode(err, tt.wantCode) {
				t.Fatalf("search: %v, want code %d", err, tt.wantCode)
			}
			seen := map[string]bool{}
			for _, e := range es {
				k := strings.ToLower(e.DN)
				if seen[k] {
					t.Errorf("%s came back twice", e.DN)
				}
				seen[k] = true
				if len(req.Attributes) == 1 && req.Attributes[0] == "nTSecurityDescriptor" && len(e.Value("nTSecurityDescriptor")) < 20 {
					t.Errorf("%s: no descriptor", e.DN)
				}
			}
			if len(es) != tt.want || c.lastPages != tt.wantPages {
				t.Errorf("%d entries in %d pages, want %d in %d", len(es), c.lastPages, tt.want, tt.wantPages)
			}
			t.Logf("%d entries in %d paged requests", len(es), c.lastPages)
		})
	}
}
