package filter

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *Filter
		str  string // String(); "" means same as in
	}{
		{in: "(objectClass=*)", want: &Filter{Op: Present, Attr: "objectClass"}},
		{in: "objectClass=user", want: &Filter{Op: Equal, Attr: "objectClass", Value: []byte("user")}, str: "(objectClass=user)"},
		{in: "  (cn=a b)  ", want: &Filter{Op: Equal, Attr: "cn", Value: []byte("a b")}, str: "(cn=a b)"},
		{
			in: "(&(objectCategory=person)(|(sAMAccountName=MSOL_*)(adminCount>=1))(!(cn~=x)))",
			want: &Filter{Op: And, Children: []*Filter{
				{Op: Equal, Attr: "objectCategory", Value: []byte("person")},
				{Op: Or, Children: []*Filter{
					{Op: Substrings, Attr: "sAMAccountName", Initial: []byte("MSOL_")},
					{Op: GreaterOrEqual, Attr: "adminCount", Value: []byte("1")},
				}},
				{Op: Not, Children: []*Filter{{Op: Approx, Attr: "cn", Value: []byte("x")}}},
			}},
		},
		{in: "(cn=*a*b\\2a*c)", want: &Filter{Op: Substrings, Attr: "cn", Any: [][]byte{[]byte("a"), []byte("b*")}, Final: []byte("c")}, str: "(cn=*a*b\\2a*c)"},
		{in: "(objectSid=\\01\\05\\00)", want: &Filter{Op: Equal, Attr: "objectSid", Value: []byte{1, 5, 0}}},
		{in: "(cn=J\\c3\\bcrgen)", want: &Filter{Op: Equal, Attr: "cn", Value: []byte("Jürgen")}},
		{in: "(cn=Jürgen)", want: &Filter{Op: Equal, Attr: "cn", Value: []byte("Jürgen")}, str: "(cn=J\\c3\\bcrgen)"},
		{in: "(userAccountControl:1.2.840.113556.1.4.803:=2)", want: &Filter{Op: Extensible, Attr: "userAccountControl", Rule: "1.2.840.113556.1.4.803", Value: []byte("2")}},
		{in: "(groupType:1.2.840.113556.1.4.804:=2147483648)", want: &Filter{Op: Extensible, Attr: "groupType", Rule: "1.2.840.113556.1.4.804", Value: []byte("2147483648")}},
		{in: "(cn:dn:caseExactMatch:=x)", want: &Filter{Op: Extensible, Attr: "cn", DNAttrs: true, Rule: "caseExactMatch", Value: []byte("x")}},
		{in: "(:1.2.3:=x)", want: &Filter{Op: Extensible, Rule: "1.2.3", Value: []byte("x")}},
		{in: "(cn:=x)", want: &Filter{Op: Extensible, Attr: "cn", Value: []byte("x")}},
		{in: "(&)", want: &Filter{Op: And}},
		{in: "(|)", want: &Filter{Op: Or}},
		{in: "(& (a=1) (b=2))", want: &Filter{Op: And, Children: []*Filter{{Op: Equal, Attr: "a", Value: []byte("1")}, {Op: Equal, Attr: "b", Value: []byte("2")}}}, str: "(&(a=1)(b=2))"},
		{in: "(cn=)", want: &Filter{Op: Equal, Attr: "cn", Value: []byte{}}},
		{in: "(cn;lang-de=x)", want: &Filter{Op: Equal, Attr: "cn;lang-de", Value: []byte("x")}},
		{in: "(2.5.4.3<=m)", want: &Filter{Op: LessOrEqual, Attr: "2.5.4.3", Value: []byte("m")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			norm(tt.want)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse = %s (%+v), want %+v", got, got, tt.want)
			}
			want := tt.str
			if want == "" {
				want = tt.in
			}
			if got.String() != want {
				t.Errorf("String() = %q, want %q", got.String(), want)
			}
		})
	}
}

// norm makes Value non-nil where Parse makes it so.
func norm(f *Filter) {
	switch f.Op {
	case Equal, GreaterOrEqual, LessOrEqual, Approx, Extensible:
		if f.Value == nil {
			f.Value = []byte{}
		}
	}
	for _, c := range f.Children {
		norm(c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty filter"},
		{"(cn=x", "missing ')'"},
		{"(cn=x))", "unexpected ')' after the filter"},
		{"((cn=x))", "missing filter type"},
		{"(cn)", "missing filter type"},
		{"(=x)", "empty attribute description"},
		{"(c n=x)", "invalid attribute description"},
		{"(cn=a(b)", "unescaped '('"},
		{"(cn>=a*)", "unescaped '*'"},
		{"(cn~x)", "expected '=' after '~'"},
		{"(cn=\\4)", "two hex digits"},
		{"(cn=\\zz)", "two hex digits"},
		{"(cn=a**b)", "empty substring"},
		{"(!(a=1)(b=2))", "exactly one filter"},
		{"(!)", "exactly one filter"},
		{"(&(a=1)x)", "expected ')'"},
		{"(cn:foo:bar:=x)", "unexpected \"bar\""},
		{"(:=x)", "needs an attribute or a matching rule"},
		{"(cn:1.2)", "needs ':='"},
		{"(cn=a\x00)", "unescaped '\\x00'"},
		{strings.Repeat("(!", 300) + "(a=1)" + strings.Repeat(")", 300), "nested deeper"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.60q) error = %v, want containing %q", tt.in, err, tt.want)
		}
	}
}

func TestAttributes(t *testing.T) {
	f, err := Parse("(&(objectClass=user)(|(CN=a)(cn=b*))(!(adminCount=*))(uac:1.2.840.113556.1.4.803:=2)(:1.2:=x))")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"objectClass", "CN", "adminCount", "uac"}
	if got := f.Attributes(); !reflect.DeepEqual(got, want) {
		t.Errorf("Attributes() = %q, want %q", got, want)
	}
}

func TestEscape(t *testing.T) {
	if got := Escape([]byte("a*(b)\\c\x00\xff")); got != "a\\2a\\28b\\29\\5cc\\00\\ff" {
		t.Errorf("Escape = %q", got)
	}
	if got := EscapeString("Smith, John"); got != "Smith, John" {
		t.Errorf("EscapeString = %q", got)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"(objectClass=*)", "(&(a=1)(|(b=2*)(!(c>=3))))", "(uac:1.2.840.113556.1.4.803:=2)",
		"(cn=*a*b\\2a*c)", "(:dn:1.2:=x)", "cn=x", "(&)", "(objectSid=\\01\\05)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(flt.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not re-parse: %v", flt.String(), s, err)
		}
		if !reflect.DeepEqual(flt, again) {
			t.Fatalf("re-parse of %q differs: %q", flt.String(), again.String())
		}
		_ = flt.Attributes()
	})
}
