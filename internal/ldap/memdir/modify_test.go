package memdir

import (
	"context"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"entra8344/internal/ldap"
)

var bg = context.Background()

func vals(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

func getAttr(t *testing.T, d *Dir, dn, attr string) []string {
	t.Helper()
	got, err := d.Search(bg, &ldap.SearchRequest{BaseDN: dn, Attributes: []string{attr}})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, v := range got[0].Values(attr) {
		out = append(out, string(v))
	}
	return out
}

func TestModify(t *testing.T) {
	admin := "CN=Administrator,CN=Users," + dom
	tests := []struct {
		name     string
		mods     []ldap.Mod
		controls []ldap.Control
		attr     string
		want     []string // values of attr afterwards
		code     int      // expected error code, 0 for success
	}{
		{"add value", []ldap.Mod{{Op: ldap.ModAdd, Attr: "description", Values: vals("one", "two")}}, nil, "description", []string{"one", "two"}, 0},
		{"add to existing attr", []ldap.Mod{{Op: ldap.ModAdd, Attr: "OBJECTCLASS", Values: vals("extra")}}, nil, "objectClass", []string{"top", "person", "organizationalPerson", "user", "extra"}, 0},
		{"add existing value (case-insensitive)", []ldap.Mod{{Op: ldap.ModAdd, Attr: "objectClass", Values: vals("USER")}}, nil, "objectClass", []string{"top", "person", "organizationalPerson", "user"}, ldap.ResultAttributeOrValueExists},
		{"add duplicate values", []ldap.Mod{{Op: ldap.ModAdd, Attr: "description", Values: vals("a", "A")}}, nil, "", nil, ldap.ResultAttributeOrValueExists},
		{"add without values", []ldap.Mod{{Op: ldap.ModAdd, Attr: "description"}}, nil, "", nil, ldap.ResultProtocolError},
		{"add existing, permissive", []ldap.Mod{{Op: ldap.ModAdd, Attr: "objectClass", Values: vals("user", "x")}}, []ldap.Control{{OID: "1.2.840.113556.1.4.1413"}}, "objectClass", []string{"top", "person", "organizationalPerson", "user", "x"}, 0},
		{"delete value", []ldap.Mod{{Op: ldap.ModDelete, Attr: "objectclass", Values: vals("Person")}}, nil, "objectClass", []string{"top", "organizationalPerson", "user"}, 0},
		{"delete missing value", []ldap.Mod{{Op: ldap.ModDelete, Attr: "objectClass", Values: vals("group")}}, nil, "", nil, ldap.ResultNoSuchAttribute},
		{"delete missing attribute", []ldap.Mod{{Op: ldap.ModDelete, Attr: "description"}}, nil, "", nil, ldap.ResultNoSuchAttribute},
		{"delete missing, permissive", []ldap.Mod{{Op: ldap.ModDelete, Attr: "description"}}, []ldap.Control{{OID: "1.2.840.113556.1.4.1413", Critical: true}}, "description", []string{}, 0},
		{"delete whole attribute", []ldap.Mod{{Op: ldap.ModDelete, Attr: "memberOf"}}, nil, "memberOf", []string{}, 0},
		{"delete last value removes attribute", []ldap.Mod{{Op: ldap.ModDelete, Attr: "adminCount", Values: vals("1")}}, nil, "adminCount", []string{}, 0},
		{"delete DN value by DN equality", []ldap.Mod{{Op: ldap.ModDelete, Attr: "memberOf", Values: vals("cn=domain admins,cn=users,dc=contoso,dc=com")}}, nil, "memberOf", []string{}, 0},
		{"delete integer by value", []ldap.Mod{{Op: ldap.ModDelete, Attr: "adminCount", Values: vals("01")}}, nil, "adminCount", []string{}, 0},
		{"replace", []ldap.Mod{{Op: ldap.ModReplace, Attr: "adminCount", Values: vals("0")}}, nil, "adminCount", []string{"0"}, 0},
		{"replace creates", []ldap.Mod{{Op: ldap.ModReplace, Attr: "info", Values: vals("x")}}, nil, "info", []string{"x"}, 0},
		{"replace without values deletes", []ldap.Mod{{Op: ldap.ModReplace, Attr: "adminCount"}}, nil, "adminCount", []string{}, 0},
		{"replace without values, absent", []ldap.Mod{{Op: ldap.ModReplace, Attr: "info"}}, nil, "info", []string{}, 0},
		{"atomic", []ldap.Mod{{Op: ldap.ModReplace, Attr: "adminCount", Values: vals("0")}, {Op: ldap.ModDelete, Attr: "nope"}}, nil, "adminCount", []string{"1"}, ldap.ResultNoSuchAttribute},
		{"bad op", []ldap.Mod{{Op: 9, Attr: "cn"}}, nil, "", nil, ldap.ResultProtocolError},
		{"critical unknown control", []ldap.Mod{{Op: ldap.ModReplace, Attr: "info", Values: vals("x")}}, []ldap.Control{{OID: "1.2.3", Critical: true}}, "", nil, ldap.ResultUnavailableCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadContoso(t)
			err := d.Modify(bg, admin, tt.mods, tt.controls)
			if tt.code != 0 {
				var le *ldap.Error
				if !errors.As(err, &le) || le.Code != tt.code || le.Op != "modify" || le.DN != admin {
					t.Fatalf("error %v, want code %d", err, tt.code)
				}
				if len(d.Modifications()) != 0 {
					t.Errorf("failed modify recorded")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.attr != "" {
				if got := getAttr(t, d, admin, tt.attr); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s = %q, want %q", tt.attr, got, tt.want)
				}
			}
		})
	}
}

func TestModifyErrors(t *testing.T) {
	d := loadContoso(t)
	err := d.Modify(bg, "CN=Nobody,CN=Users,"+dom, []ldap.Mod{{Op: ldap.ModReplace, Attr: "cn", Values: vals("x")}}, nil)
	if !ldap.IsCode(err, ldap.ResultNoSuchObject) || !strings.Contains(err.Error(), "'CN=Users,DC=contoso,DC=com'") {
		t.Errorf("missing object: %v", err)
	}
	if err := d.Modify(bg, "CN=bad\\", nil, nil); !ldap.IsCode(err, ldap.ResultInvalidDNSyntax) {
		t.Errorf("bad DN: %v", err)
	}
	err = d.Modify(bg, "", []ldap.Mod{{Op: ldap.ModAdd, Attr: "runProtectAdminGroupsTask", Values: vals("1")}}, nil)
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultUnwillingToPerform || le.Message != "00002035: rootdse_modify: unknown attribute to change!" {
		t.Errorf("rootDSE modify: %#v", err)
	}
	if n := len(d.Modifications()); n != 0 {
		t.Errorf("%d modifications recorded", n)
	}
}

func TestModifyRootDSEHook(t *testing.T) {
	d := loadContoso(t)
	var got []ldap.Mod
	d.RootDSEModify = func(mods []ldap.Mod) error {
		got = mods
		if string(mods[0].Values[0]) != "1" {
			return &ldap.Error{Op: "modify", Code: ldap.ResultUnwillingToPerform}
		}
		return nil
	}
	mods := []ldap.Mod{{Op: ldap.ModAdd, Attr: "runProtectAdminGroupsTask", Values: vals("1")}}
	if err := d.Modify(bg, "", mods, nil); err != nil {
		t.Fatal(err)
	}
	mods[0].Values[0][0] = '2' // the hook and the record hold copies
	if string(got[0].Values[0]) != "1" {
		t.Errorf("hook saw caller's slice")
	}
	if err := d.Modify(bg, "", mods, nil); !ldap.IsCode(err, ldap.ResultUnwillingToPerform) {
		t.Errorf("hook error not returned: %v", err)
	}
	rec := d.Modifications()
	if len(rec) != 1 || rec[0].DN != "" || string(rec[0].Mods[0].Values[0]) != "1" {
		t.Errorf("modifications %+v", rec)
	}
}

func TestModifySecurityDescriptor(t *testing.T) {
	d := loadContoso(t)
	holder := "CN=AdminSDHolder,CN=System," + dom
	ctl := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	read := func(controls []ldap.Control) []byte {
		got, err := d.Search(bg, &ldap.SearchRequest{BaseDN: holder, Attributes: []string{"nTSecurityDescriptor"}, Controls: controls})
		if err != nil {
			t.Fatal(err)
		}
		return got[0].Value("nTSecurityDescriptor")
	}
	before := read(nil)
	// New DACL-only SD: one ACE (A;;RPWP;;;AU), not protected (control 0x8004).
	newSD, _ := hex.DecodeString("01000480" + "000000000000000000000000" + "14000000" + // header, DACL at 20
		"04001c0001000000" + // ACL revision 4, 28 bytes, 1 ACE
		"00001400" + "30000000" + "01010000000000050b000000") // ACCESS_ALLOWED, RP|WP, S-1-5-11
	if err := d.Modify(bg, holder, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{newSD}}}, ctl); err != nil {
		t.Fatal(err)
	}
	if got := read(ctl); string(got) != string(newSD) {
		t.Errorf("DACL-only read back\n%x\nwant\n%x", got, newSD)
	}
	after := read(nil)
	// Owner, group and SACL kept; DACL control bits (protected, auto-inherited) from the new SD.
	if hex.EncodeToString(after[:4]) != "01001488" {
		t.Errorf("merged control %x", after[:4])
	}
	bp, _ := parseSD(before)
	ap, err := parseSD(after)
	if err != nil || string(ap.owner) != string(bp.owner) || string(ap.group) != string(bp.group) || string(ap.sacl) != string(bp.sacl) {
		t.Errorf("owner/group/SACL changed: %v", err)
	}
	if err := d.Modify(bg, holder, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: vals("garbage")}}, ctl); !ldap.IsCode(err, ldap.ResultInvalidSyntax) {
		t.Errorf("garbage SD: %v", err)
	}
	// Without the control the whole value is replaced verbatim.
	if err := d.Modify(bg, holder, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{before}}}, nil); err != nil {
		t.Fatal(err)
	}
	if string(read(nil)) != string(before) {
		t.Errorf("full replace not verbatim")
	}
}
