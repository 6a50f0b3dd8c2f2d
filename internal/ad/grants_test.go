package ad_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"entra8344/fixtures/dirgen"
	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/ldif"
	"entra8344/internal/ldap/memdir"
	"entra8344/internal/ntsd"
)

var msolSID = ntsd.MustSID(contoso.SID + "-1109")

func sdBytes(aces ...ntsd.ACE) []byte {
	sd := ntsd.SecurityDescriptor{Revision: 1, Control: 0x8004, DACL: &ntsd.ACL{Revision: 4, ACEs: aces}}
	return sd.Marshal()
}

// grantDirectory is dirgen's contoso with ous OUs of users each (users
// objects in all) carrying ordinary ACEs, plus the extra explicit ACEs.
func grantDirectory(t testing.TB, ous, users int, extra map[string][]ntsd.ACE) *memdir.Dir {
	t.Helper()
	b, err := dirgen.Build(dirgen.Spec{Domains: []dirgen.Domain{contoso}, Accounts: []dirgen.Account{msol}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ldif.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	admins := ntsd.MustSID(contoso.SID + "-512")
	plain := sdBytes(ntsd.ACE{Type: ntsd.AccessAllowed, Mask: 0xF01FF, SID: admins})
	inherited := sdBytes(ntsd.ACE{Type: ntsd.AccessAllowed, Mask: 0xF01FF, SID: admins},
		ntsd.ACE{Type: ntsd.AccessAllowedObject, Flags: ntsd.Inherited, Mask: ntsd.RightWriteProperty, ObjectFlags: ntsd.ObjectTypePresent,
			ObjectType: ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"), SID: msolSID})
	for i := 0; i < ous; i++ {
		ou := fmt.Sprintf("OU=Site %04d,DC=contoso,DC=com", i)
		recs = append(recs, ldif.Record{DN: ou, Attributes: []ldap.Attribute{{Name: "objectClass", Values: [][]byte{[]byte("organizationalUnit")}}, {Name: "nTSecurityDescriptor", Values: [][]byte{plain}}}})
		for j := 0; j < users/ous; j++ {
			recs = append(recs, ldif.Record{DN: fmt.Sprintf("CN=User %d,%s", j, ou), Attributes: []ldap.Attribute{{Name: "objectClass", Values: [][]byte{[]byte("user")}}, {Name: "nTSecurityDescriptor", Values: [][]byte{inherited}}}})
		}
	}
	for dn, aces := range extra {
		found := false
		for i := range recs {
			if recs[i].DN == dn {
				// The extra ACEs join the entry's own (AdminSDHolder has some).
				var keep []ldap.Attribute
				own := append([]ntsd.ACE{}, aces...)
				for _, a := range recs[i].Attributes {
					if a.Name != "nTSecurityDescriptor" {
						keep = append(keep, a)
					} else if sd, err := ntsd.Parse(a.Values[0]); err == nil && sd.DACL != nil {
						own = append(own, sd.DACL.ACEs...)
					}
				}
				recs[i].Attributes = append(keep, ldap.Attribute{Name: "nTSecurityDescriptor", Values: [][]byte{sdBytes(own...)}})
				found = true
			}
		}
		if !found {
			recs = append(recs, ldif.Record{DN: dn, Attributes: []ldap.Attribute{{Name: "objectClass", Values: [][]byte{[]byte("organizationalUnit")}}, {Name: "nTSecurityDescriptor", Values: [][]byte{sdBytes(aces...)}}}})
		}
	}
	d, err := memdir.FromRecords(recs)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var reviewAccount = []ad.AccountRef{{Domain: "CONTOSO", User: msol.Sam}}

// TestScanGrants: every explicit allow ACE of the account, anywhere in the
// naming context, is listed with the breadth ntsd gives it; inherited
// copies, deny ACEs and other trustees are not.
func TestScanGrants(t *testing.T) {
	holder := ad.AdminSDHolderDN("DC=contoso,DC=com")
	consistency := ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063") // mS-DS-ConsistencyGuid... any attribute
	other := ntsd.MustSID(contoso.SID + "-1500")
	extra := map[string][]ntsd.ACE{
		"OU=Full,DC=contoso,DC=com":  {{Type: ntsd.AccessAllowed, Flags: ntsd.ContainerInherit, Mask: ntsd.GenericAll, SID: msolSID}},
		"OU=Dacl,DC=contoso,DC=com":  {{Type: ntsd.AccessAllowed, Mask: ntsd.RightWriteDAC | ntsd.RightReadControl, SID: msolSID}},
		"OU=Props,DC=contoso,DC=com": {{Type: ntsd.AccessAllowedObject, Mask: ntsd.RightWriteProperty, ObjectFlags: 0, SID: msolSID}},
		"OU=Pwd,DC=contoso,DC=com": {{Type: ntsd.AccessAllowedObject, Flags: ntsd.ContainerInherit | ntsd.InheritOnly, Mask: ntsd.RightControlAccess, ObjectFlags: ntsd.ObjectTypePresent, ObjectType: ntsd.ResetPasswordRight, SID: msolSID},
			{Type: ntsd.AccessDenied, Mask: ntsd.RightWriteProperty, SID: msolSID}, {Type: ntsd.AccessAllowed, Mask: ntsd.GenericAll, SID: other}},
		holder: {{Type: ntsd.AccessAllowedObject, Mask: ntsd.RightWriteProperty, ObjectFlags: ntsd.ObjectTypePresent, ObjectType: consistency, SID: msolSID}},
	}
	dir := grantDirectory(t, 3, 30, extra)
	s, err := ad.Read(context.Background(), dir, ad.Request{Accounts: reviewAccount, ScanGrants: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	holderSeen := false
	for _, g := range s.Grants {
		got[g.DN] = append(got[g.DN], g.ACE.Breadth()...)
		if g.AdminSD {
			holderSeen = holderSeen || g.DN == holder
		}
	}
	want := map[string][]string{
		"OU=Full,DC=contoso,DC=com":  {ntsd.BroadFullControl, ntsd.BroadWriteDACL, ntsd.BroadWriteOwner, ntsd.BroadAllProperties, ntsd.BroadAllExtended, ntsd.PasswordWritebackOnly},
		"OU=Dacl,DC=contoso,DC=com":  {ntsd.BroadWriteDACL},
		"OU=Props,DC=contoso,DC=com": {ntsd.BroadAllProperties},
		"OU=Pwd,DC=contoso,DC=com":   {ntsd.PasswordWritebackOnly},
		holder:                       nil,
	}
	keys := func(m map[string][]string) []string {
		var k []string
		for x := range m {
			k = append(k, x)
		}
		sort.Strings(k)
		return k
	}
	if !reflect.DeepEqual(keys(got), keys(want)) {
		t.Fatalf("grants on %v, want %v", keys(got), keys(want))
	}
	for dn, w := range want {
		if !reflect.DeepEqual(got[dn], w) {
			t.Errorf("%s: breadth %v, want %v", dn, got[dn], w)
		}
	}
	if !holderSeen {
		t.Error("the AdminSDHolder grant is not marked as such")
	}
	if len(s.GrantScans) != 1 || s.GrantScans[0].Inherited != 30 || s.GrantScans[0].Err != "" {
		t.Errorf("scans %+v, want one with the 30 inherited copies counted", s.GrantScans)
	}
}

// TestHealthyReadBudget: the read a healthy Connect server does today
// (issue 12: the account and AdminSDHolder, for the stale-ACE warnings) and
// the grant scan the baseline will add cost the same number of LDAP
// operations for 10 OUs as for 1,000, and at most 15.
func TestHealthyReadBudget(t *testing.T) {
	for _, scan := range []bool{false, true} {
		var ops []int
		for _, ous := range []int{10, 1000} {
			dir := grantDirectory(t, ous, ous*2, nil)
			counter := ldap.NewCounter(nil)
			if _, err := ad.Read(context.Background(), counter.Dialer(dir), ad.Request{Accounts: reviewAccount, ScanGrants: scan}); err != nil {
				t.Fatal(err)
			}
			ops = append(ops, counter.Ops())
		}
		t.Logf("scan %v: %v LDAP operations for 10 and 1,000 OUs", scan, ops)
		if ops[0] != ops[1] || ops[1] > 15 {
			t.Errorf("scan %v: %v LDAP operations for 10 and 1,000 OUs, want equal and at most 15", scan, ops)
		}
	}
}

// BenchmarkReadPath: a generated directory of 100,000 objects under 5,000
// OUs; today's read path (account, AdminSDHolder) and the grant scan.
func BenchmarkReadPath(b *testing.B) {
	dir := grantDirectory(b, 5000, 95000, nil)
	for _, scan := range []bool{false, true} {
		b.Run(fmt.Sprintf("scan=%v", scan), func(b *testing.B) {
			counter := ldap.NewCounter(nil)
			for i := 0; i < b.N; i++ {
				if _, err := ad.Read(context.Background(), counter.Dialer(dir), ad.Request{Accounts: reviewAccount, ScanGrants: scan}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(counter.Ops())/float64(b.N), "ldap-ops/op")
		})
	}
}
