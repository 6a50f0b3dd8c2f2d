package ldap

import (
	"strings"
	"testing"
)

func TestParseDN(t *testing.T) {
	tests := []struct {
		in     string
		want   DN
		str    string // String(); "" means same as in
		normal string
	}{
		{in: "", want: DN{}, str: "", normal: ""},
		{in: "   ", want: DN{}, str: "", normal: ""},
		{
			in:     "CN=Smith\\, John,OU=Admins,DC=contoso,DC=com",
			want:   DN{{{Type: "CN", Value: "Smith, John"}}, {{Type: "OU", Value: "Admins"}}, {{Type: "DC", Value: "contoso"}}, {{Type: "DC", Value: "com"}}},
			normal: "cn=smith\\, john,ou=admins,dc=contoso,dc=com",
		},
		{
			in:     "CN=\\#hash\\ ,OU=x,DC=contoso,DC=com",
			want:   DN{{{Type: "CN", Value: "#hash "}}, {{Type: "OU", Value: "x"}}, {{Type: "DC", Value: "contoso"}}, {{Type: "DC", Value: "com"}}},
			normal: "cn=\\#hash\\ ,ou=x,dc=contoso,dc=com",
		},
		{
			in:     "cn = Jürgen Müller , ou=Users ; dc=Contoso",
			want:   DN{{{Type: "cn", Value: "Jürgen Müller"}}, {{Type: "ou", Value: "Users"}}, {{Type: "dc", Value: "Contoso"}}},
			str:    "cn=Jürgen Müller,ou=Users,dc=Contoso",
			normal: "cn=jürgen müller,ou=users,dc=contoso",
		},
		{
			in:     "CN=J\\C3\\BCrgen,DC=x",
			want:   DN{{{Type: "CN", Value: "Jürgen"}}, {{Type: "DC", Value: "x"}}},
			str:    "CN=Jürgen,DC=x",
			normal: "cn=jürgen,dc=x",
		},
		{
			in:     "OU=Sales+CN=J. Smith,DC=example,DC=net",
			want:   DN{{{Type: "OU", Value: "Sales"}, {Type: "CN", Value: "J. Smith"}}, {{Type: "DC", Value: "example"}}, {{Type: "DC", Value: "net"}}},
			normal: "cn=j. smith+ou=sales,dc=example,dc=net",
		},
		{
			in:     `CN=a\+b\"c\\d\<e\>f\;g\=h,DC=x`,
			want:   DN{{{Type: "CN", Value: `a+b"c\d<e>f;g=h`}}, {{Type: "DC", Value: "x"}}},
			str:    `CN=a\+b\"c\\d\<e\>f\;g=h,DC=x`,
			normal: `cn=a\+b\"c\\d\<e\>f\;g=h,dc=x`,
		},
		{
			in:     `CN=\ lead and trail\ ,DC=x`,
			want:   DN{{{Type: "CN", Value: " lead and trail "}}, {{Type: "DC", Value: "x"}}},
			normal: `cn=\ lead and trail\ ,dc=x`,
		},
		{
			in:     "1.3.6.1.4.1.1466.0=#04024869,O=Test,C=GB",
			want:   DN{{{Type: "1.3.6.1.4.1.1466.0", Value: "Hi"}}, {{Type: "O", Value: "Test"}}, {{Type: "C", Value: "GB"}}},
			str:    "1.3.6.1.4.1.1466.0=Hi,O=Test,C=GB",
			normal: "1.3.6.1.4.1.1466.0=hi,o=test,c=gb",
		},
		{
			in:     "CN=#0201FF,DC=x",
			want:   DN{{{Type: "CN", Value: "\x02\x01\xff", BER: true}}, {{Type: "DC", Value: "x"}}},
			str:    "CN=#0201ff,DC=x",
			normal: "cn=#0201ff,dc=x",
		},
		{
			in:     `CN="Smith, John",DC=x`,
			want:   DN{{{Type: "CN", Value: "Smith, John"}}, {{Type: "DC", Value: "x"}}},
			str:    `CN=Smith\, John,DC=x`,
			normal: `cn=smith\, john,dc=x`,
		},
		{
			in:     "OID.2.5.4.3=x",
			want:   DN{{{Type: "2.5.4.3", Value: "x"}}},
			str:    "2.5.4.3=x",
			normal: "2.5.4.3=x",
		},
		{
			in:     "CN=line\\0Afeed,DC=x",
			want:   DN{{{Type: "CN", Value: "line\nfeed"}}, {{Type: "DC", Value: "x"}}},
			str:    "CN=line\\0Afeed,DC=x",
			normal: "cn=line\\0Afeed,dc=x",
		},
		{
			in:     "CN=,DC=x",
			want:   DN{{{Type: "CN", Value: ""}}, {{Type: "DC", Value: "x"}}},
			normal: "cn=,dc=x",
		},
		{
			in:     "CN=ΣΊΣΥΦΟΣ,DC=x",
			want:   DN{{{Type: "CN", Value: "ΣΊΣΥΦΟΣ"}}, {{Type: "DC", Value: "x"}}},
			normal: "cn=σίσυφοσ,dc=x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDN(tt.in)
			if err != nil {
				t.Fatalf("ParseDN: %v", err)
			}
			if got.String() != dnString(tt.want) || len(got) != len(tt.want) {
				t.Fatalf("ParseDN = %#v, want %#v", got, tt.want)
			}
			for i := range got {
				for j := range got[i] {
					if got[i][j] != tt.want[i][j] {
						t.Fatalf("RDN %d AVA %d = %#v, want %#v", i, j, got[i][j], tt.want[i][j])
					}
				}
			}
			wantStr := tt.str
			if wantStr == "" {
				wantStr = strings.TrimSpace(tt.in)
			}
			if s := got.String(); s != wantStr {
				t.Errorf("String() = %q, want %q", s, wantStr)
			}
			if n := got.Normal(); n != tt.normal {
				t.Errorf("Normal() = %q, want %q", n, tt.normal)
			}
			again, err := ParseDN(got.String())
			if err != nil || again.Normal() != got.Normal() {
				t.Errorf("re-parse of %q: %v, normal %q", got.String(), err, again.Normal())
			}
		})
	}
}

func dnString(dn DN) string { return dn.String() }

func TestParseDNErrors(t *testing.T) {
	bad := []struct{ in, msg string }{
		{"CN", "missing '='"},
		{"=x", "empty attribute type"},
		{"CN=a,", "empty RDN at end"},
		{"CN=a,,DC=x", "missing '='"},
		{"CN=a\\", "dangling backslash"},
		{"CN=a\\4", "invalid hex escape"},
		{"CN=a\\zz", "invalid escape"},
		{"CN=\\FF\\FE", "not valid UTF-8"},
		{"CN=#123", "even, non-zero"},
		{"CN=#", "even, non-zero"},
		{"CN=#00zz", "invalid character"},
		{"C N=x", "invalid attribute type"},
		{"1.02.3=x", "invalid numeric OID"},
		{"CN=\"unterminated", "unterminated quoted value"},
		{"CN=\"q\"x", "after quoted value"},
		{"CN=a\x00b", "NUL byte"},
		{"CN=a+", "missing '='"},
		{"CN=x" + strings.Repeat(",CN=x", maxDNLen/5), "longer than"},
	}
	for _, tt := range bad {
		_, err := ParseDN(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseDN(%.40q) error = %v, want containing %q", tt.in, err, tt.msg)
		}
	}
}

func TestDNRelations(t *testing.T) {
	admin := MustParseDN("CN=Admin,CN=Users,DC=Contoso,DC=com")
	users := MustParseDN("cn=users, dc=contoso, dc=COM")
	domain := MustParseDN("DC=contoso,DC=com")
	other := MustParseDN("CN=Users,DC=fabrikam,DC=com")
	root := MustParseDN("")
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"equal case/space-insensitive", users.Equal(MustParseDN("CN=Users,DC=contoso,DC=com")), true},
		{"multi-valued RDN order", MustParseDN("A=1+B=2").Equal(MustParseDN("b=2+a=1")), true},
		{"not equal", users.Equal(other), false},
		{"admin below users", admin.IsDescendantOf(users), true},
		{"admin below domain", admin.IsDescendantOf(domain), true},
		{"equal is not descendant", users.IsDescendantOf(users), false},
		{"users not below admin", users.IsDescendantOf(admin), false},
		{"other domain", admin.IsDescendantOf(other.Parent()), false},
		{"everything below root", domain.IsDescendantOf(root), true},
		{"root not below root", root.IsDescendantOf(root), false},
		{"child", admin.IsChildOf(users), true},
		{"grandchild not child", admin.IsChildOf(domain), false},
		{"in subtree equal", users.InSubtree(users), true},
		{"in subtree below", admin.InSubtree(domain), true},
		{"parent", admin.Parent().Equal(users), true},
		{"parent of root", root.Parent().Equal(root), true},
		{"EqualDN", EqualDN("CN=Smith\\, John,DC=x", "cn=\"smith, john\" , dc=X"), true},
		{"EqualDN bad", EqualDN("CN=a\\", "CN=a\\"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestDomainHelpers(t *testing.T) {
	tests := []struct{ dn, domain, dns string }{
		{"CN=x,OU=y,DC=contoso,DC=com", "DC=contoso,DC=com", "contoso.com"},
		{"DC=contoso,DC=com", "DC=contoso,DC=com", "contoso.com"},
		{"dc=Child, dc=Contoso, dc=com", "DC=Child,DC=Contoso,DC=com", "Child.Contoso.com"},
		{"CN=Configuration,DC=contoso,DC=com", "DC=contoso,DC=com", "contoso.com"},
		{"DC=a,CN=b,DC=contoso,DC=com", "DC=contoso,DC=com", "contoso.com"},
		{"CN=x,O=Org", "", ""},
		{"", "", ""},
		{"CN=bad\\", "", ""},
	}
	for _, tt := range tests {
		if got := DomainOfDN(tt.dn); got != tt.domain {
			t.Errorf("DomainOfDN(%q) = %q, want %q", tt.dn, got, tt.domain)
		}
		if got := DNSNameOfDN(tt.dn); got != tt.dns {
			t.Errorf("DNSNameOfDN(%q) = %q, want %q", tt.dn, got, tt.dns)
		}
	}
	if got := DNOfDNSName("contoso.com."); got != "DC=contoso,DC=com" {
		t.Errorf("DNOfDNSName = %q", got)
	}
	if got := DNOfDNSName(""); got != "" {
		t.Errorf("DNOfDNSName(\"\") = %q", got)
	}
}

func TestFoldCase(t *testing.T) {
	for _, pair := range [][2]string{{"ABC", "abc"}, {"K", "k"}, {"Straße", "straße"}, {"ǅ", "ǆ"}, {"\xff", "\xff"}} {
		if got := FoldCase(pair[0]); got != pair[1] {
			t.Errorf("FoldCase(%q) = %q, want %q", pair[0], got, pair[1])
		}
	}
}

func FuzzParseDN(f *testing.F) {
	for _, s := range []string{
		"", "CN=Smith\\, John,OU=Admins,DC=contoso,DC=com", "CN=\\#hash\\ ,DC=x", "A=1+B=2;C=3",
		"CN=#04024869", "CN=#0201ff", `CN="q, x"`, "CN=J\\C3\\BCrgen", "OID.1.2=x", "CN=\\ \\ ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dn, err := ParseDN(s)
		if err != nil {
			return
		}
		again, err := ParseDN(dn.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not re-parse: %v", dn.String(), s, err)
		}
		if again.Normal() != dn.Normal() {
			t.Fatalf("Normal() changed: %q -> %q (via %q)", dn.Normal(), again.Normal(), dn.String())
		}
		if again.String() != dn.String() {
			t.Fatalf("String() not stable: %q -> %q", dn.String(), again.String())
		}
		_ = DomainOfDN(s)
		_ = DNSNameOfDN(s)
	})
}
