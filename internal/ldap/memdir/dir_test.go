package memdir

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/ldif"
)

func TestLoadErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dn: CN=a,DC=x\ncn: a\n\ndn: cn=A, dc=X\ncn: b\n", `record 2: duplicate entry "cn=A, dc=X" (same as "CN=a,DC=x")`},
		{"dn: CN=a\nchangetype: add\n", "change records are not supported"},
		{"dn: CN=a\\\n", "line 1"},
	}
	for _, tt := range tests {
		_, err := Load(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	if _, err := LoadFS(fstest.MapFS{}, "missing.ldif"); err == nil {
		t.Errorf("LoadFS of a missing file succeeded")
	}
	if _, err := FromRecords([]ldif.Record{{DN: "CN=x\\"}}); err == nil {
		t.Errorf("FromRecords accepted a bad DN")
	}
}

func TestDialAndOps(t *testing.T) {
	d := loadContoso(t)
	if d.Server() != "dc1.contoso.com" {
		t.Errorf("Server() = %q", d.Server())
	}
	c1, err := d.Dial(bg, "")
	if err != nil || c1.Server() != "dc1.contoso.com" {
		t.Fatalf("Dial(\"\") = %v, %v", c1, err)
	}
	c2, _ := d.Dial(bg, "dc2.contoso.com")
	if c2.Server() != "dc2.contoso.com" {
		t.Errorf("Server() = %q", c2.Server())
	}
	// The connections share the data.
	if err := c2.Modify(bg, "CN=Users,"+dom, []ldap.Mod{{Op: ldap.ModAdd, Attr: "description", Values: vals("x")}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c1.Search(bg, &ldap.SearchRequest{BaseDN: "CN=Users," + dom, Filter: "(description=x)"})
	if err != nil || len(got) != 1 {
		t.Fatalf("c1 does not see c2's change: %v %v", got, err)
	}
	_, err = c2.Search(bg, &ldap.SearchRequest{BaseDN: "CN=nope," + dom})
	var le *ldap.Error
	if !errors.As(err, &le) || le.Server != "dc2.contoso.com" || le.Code != ldap.ResultNoSuchObject {
		t.Errorf("error %#v", err)
	}
	if d.Ops() != 3 {
		t.Errorf("Ops() = %d, want 3", d.Ops())
	}
	c1.Close()
	if _, err := c1.Search(bg, &ldap.SearchRequest{}); !ldap.IsCode(err, ldap.ResultServerDown) {
		t.Errorf("search on closed conn: %v", err)
	}
	if err := c1.Modify(bg, dom, nil, nil); !ldap.IsCode(err, ldap.ResultServerDown) {
		t.Errorf("modify on closed conn: %v", err)
	}
	if _, err := c2.Search(bg, &ldap.SearchRequest{}); err != nil {
		t.Errorf("closing c1 closed c2: %v", err)
	}
	empty, _ := FromRecords(nil)
	if empty.Server() != "memdir" {
		t.Errorf("Server() without rootDSE = %q", empty.Server())
	}
}

func TestFailHook(t *testing.T) {
	d := loadContoso(t)
	boom := &ldap.Error{Op: "search", Code: ldap.ResultBusy, Message: "injected"}
	var seen []string
	d.Fail = func(op, dn string) error {
		seen = append(seen, op+" "+dn)
		if op == "search" && strings.HasPrefix(dn, "CN=AdminSDHolder") || op == "dial" && dn == "down" {
			return boom
		}
		return nil
	}
	if _, err := d.Search(bg, &ldap.SearchRequest{BaseDN: "CN=AdminSDHolder,CN=System," + dom}); err != boom {
		t.Errorf("search: %v", err)
	}
	if _, err := d.Search(bg, &ldap.SearchRequest{BaseDN: dom}); err != nil {
		t.Errorf("other search: %v", err)
	}
	if _, err := d.Dial(bg, "down"); err != boom {
		t.Errorf("dial: %v", err)
	}
	if err := d.Modify(bg, dom, nil, nil); err != nil {
		t.Errorf("modify: %v", err)
	}
	want := []string{"search CN=AdminSDHolder,CN=System," + dom, "search " + dom, "dial down", "modify " + dom}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("Fail saw %q", seen)
	}
	if d.Ops() != 3 {
		t.Errorf("Ops() = %d, want 3 (failed operations count)", d.Ops())
	}
}

func TestRecordsAndModifications(t *testing.T) {
	d := loadContoso(t)
	admin := "CN=Administrator,CN=Users," + dom
	mods := []ldap.Mod{{Op: ldap.ModReplace, Attr: "adminCount", Values: vals("0")}}
	ctl := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	if err := d.Modify(bg, admin, mods, ctl); err != nil {
		t.Fatal(err)
	}
	mods[0].Values[0][0] = '9'
	ctl[0].Value[4] = 9
	rec := d.Modifications()
	want := []Modification{{DN: admin, Mods: []ldap.Mod{{Op: ldap.ModReplace, Attr: "adminCount", Values: vals("0")}}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}}}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("Modifications() = %+v", rec)
	}
	rec[0].Mods[0].Values[0][0] = '7'
	if got := d.Modifications(); string(got[0].Mods[0].Values[0]) != "0" {
		t.Errorf("Modifications() aliases the store")
	}
	if got := getAttr(t, d, admin, "adminCount"); !reflect.DeepEqual(got, []string{"0"}) {
		t.Errorf("adminCount = %q", got)
	}
	// The written state loads back to the same records.
	var buf bytes.Buffer
	if err := d.WriteLDIF(&buf); err != nil {
		t.Fatal(err)
	}
	d2, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d2.Records(), d.Records()) {
		t.Errorf("WriteLDIF/Load changed the records")
	}
	if !strings.Contains(d.LDIF(), "dn: CN=Administrator,CN=Users,DC=contoso,DC=com\n") {
		t.Errorf("LDIF() lacks the Administrator")
	}
	recs := d.Records()
	recs[0].Attributes[0].Values[0][0] = 'X'
	if d.Records()[0].Attributes[0].Values[0][0] == 'X' {
		t.Errorf("Records() aliases the store")
	}
	// Placeholders survive a round trip.
	if !strings.Contains(d.LDIF(), "\ndn: CN=Placeholder,DC=contoso,DC=com\n\n") {
		t.Errorf("placeholder not written")
	}
}

func TestFromRecordsCopiesAndMerges(t *testing.T) {
	v := []byte("a")
	d, err := FromRecords([]ldif.Record{{DN: "CN=x", Attributes: []ldap.Attribute{{Name: "cn", Values: [][]byte{v}}, {Name: "CN", Values: vals("b")}, {Name: "empty"}}}})
	if err != nil {
		t.Fatal(err)
	}
	v[0] = 'z'
	recs := d.Records()
	if len(recs[0].Attributes) != 1 || !reflect.DeepEqual(recs[0].Attributes[0].Values, vals("a", "b")) {
		t.Errorf("records %+v", recs)
	}
}

func TestConcurrent(t *testing.T) {
	d := loadContoso(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, _ := d.Dial(bg, "")
			for j := 0; j < 50; j++ {
				if _, err := c.Search(bg, &ldap.SearchRequest{BaseDN: dom, Scope: ldap.ScopeSubtree, Filter: "(objectClass=user)"}); err != nil {
					t.Error(err)
				}
				err := c.Modify(bg, "CN=Users,"+dom, []ldap.Mod{{Op: ldap.ModReplace, Attr: "info", Values: vals(strings.Repeat("x", i+1))}}, nil)
				if err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	if d.Ops() != 800 || len(d.Modifications()) != 400 {
		t.Errorf("Ops() = %d, modifications %d", d.Ops(), len(d.Modifications()))
	}
}

func TestRootDSEWithoutAttributesIsFound(t *testing.T) {
	d, err := FromRecords([]ldif.Record{{DN: ""}, {DN: "DC=x"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Search(bg, &ldap.SearchRequest{Filter: "(objectClass=*)"})
	if err != nil || len(got) != 1 {
		t.Errorf("rootDSE: %v %v", got, err)
	}
	got, err = d.Search(bg, &ldap.SearchRequest{BaseDN: "DC=x", Filter: "(objectClass=*)"})
	if err != nil || len(got) != 0 {
		t.Errorf("placeholder: %v %v", got, err)
	}
}
