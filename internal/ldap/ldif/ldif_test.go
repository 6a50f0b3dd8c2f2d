package ldif

import (
	"bytes"
	"encoding/hex"
	"flag"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"entra8344/internal/ldap"
)

var update = flag.Bool("update", false, "rewrite golden files")

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadSample(t *testing.T) {
	src := readFile(t, "testdata/sample.ldif")
	for _, variant := range []struct {
		name string
		data []byte
	}{
		{"LF", src},
		{"CRLF", bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n"))},
		{"no final newline", bytes.TrimRight(src, "\n")},
	} {
		t.Run(variant.name, func(t *testing.T) {
			recs, err := Read(bytes.NewReader(variant.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 5 {
				t.Fatalf("got %d records, want 5", len(recs))
			}
			checks := []struct {
				rec   int
				attr  string
				value string // hex when prefixed with "hex:"
			}{
				{0, "dnsHostName", "dc1.contoso.com"},
				{1, "cn", "Smith, John"},
				{1, "cn;lang-de", "Schmidt, Johann"},
				{1, "description", "a folded line, continued with a single leading space"},
				{1, "objectSid", "hex:010500000000000515000000dcf4dc3b833d2b46828ba62850040000"},
				{2, "mS-DS-ConsistencyGuid", "hex:000102030405060708090a0b0c0d0e0f"},
				{3, "displayName", "Jürgen Müller"},
				{3, "givenName", "Jürgen"},
				{3, "comment", " leading space"},
				{3, "info", "trailing space "},
				{3, "empty", ""},
				{4, "schemaIDGUID", "hex:0fd6475b9060b2409f372a4de88f3063"},
			}
			for _, c := range checks {
				vals := recs[c.rec].Values(c.attr)
				want := c.value
				if h, ok := strings.CutPrefix(want, "hex:"); ok {
					b, _ := hex.DecodeString(h)
					want = string(b)
				}
				if len(vals) != 1 || string(vals[0]) != want {
					t.Errorf("record %d %s = %q, want %q", c.rec, c.attr, vals, want)
				}
			}
			wantDNs := []string{"", `CN=Smith\, John,OU=Admins,DC=contoso,DC=com`, `CN=\#hash\ ,OU=Admins,DC=contoso,DC=com`,
				"CN=Jürgen Müller,OU=Users,DC=contoso,DC=com", "CN=ms-DS-Key-Credential-Link,CN=Schema,CN=Configuration,DC=contoso,DC=com"}
			for i, dn := range wantDNs {
				if recs[i].DN != dn {
					t.Errorf("record %d DN = %q, want %q", i, recs[i].DN, dn)
				}
			}
			if got := len(recs[1].Values("objectClass")); got != 4 {
				t.Errorf("objectClass values = %d, want 4", got)
			}
			if sd := recs[2].Values("nTSecurityDescriptor"); len(sd) != 1 || !bytes.HasPrefix(sd[0], []byte{1, 0, 4, 0x84}) || len(sd[0]) != 84 {
				t.Errorf("folded base64 SD = %x", sd)
			}
		})
	}
}

func TestWriteGolden(t *testing.T) {
	recs, err := Read(bytes.NewReader(readFile(t, "testdata/sample.ldif")))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, recs); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/sample.golden.ldif"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFile(t, golden); !bytes.Equal(out.Bytes(), want) {
		t.Errorf("Write output differs from %s:\n%s", golden, out.String())
	}
	for i, line := range strings.Split(out.String(), "\n") {
		if len(line) > LineWidth {
			t.Errorf("line %d is %d bytes long", i+1, len(line))
		}
	}
	again, err := Read(&out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, recs) {
		t.Errorf("write/read round trip changed the records")
	}
}

func TestWriteEncoding(t *testing.T) {
	tests := []struct {
		value []byte
		want  string
	}{
		{[]byte("plain"), "a: plain\n"},
		{[]byte(""), "a:\n"},
		{[]byte(" lead"), "a:: IGxlYWQ=\n"},
		{[]byte(":colon"), "a:: OmNvbG9u\n"},
		{[]byte("<less"), "a:: PGxlc3M=\n"},
		{[]byte("trail "), "a:: dHJhaWwg\n"},
		{[]byte("in:side <ok> #"), "a: in:side <ok> #\n"},
		{[]byte("#hash"), "a: #hash\n"},
		{[]byte("ü"), "a:: w7w=\n"},
		{[]byte("a\nb"), "a:: YQpi\n"},
		{[]byte("a\rb"), "a:: YQ1i\n"},
		{[]byte("a\x00b"), "a:: YQBi\n"},
		{[]byte("\x01ctl"), "a: \x01ctl\n"},
		{[]byte(strings.Repeat("x", 80)), "a: " + strings.Repeat("x", 73) + "\n " + strings.Repeat("x", 7) + "\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := Write(&out, []Record{{DN: "CN=x", Attributes: []ldap.Attribute{{Name: "a", Values: [][]byte{tt.value}}}}})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.TrimPrefix(out.String(), "version: 1\n\ndn: CN=x\n")
		if got != tt.want {
			t.Errorf("value %q written as %q, want %q", tt.value, got, tt.want)
		}
		recs, err := Read(&out)
		if err != nil || !bytes.Equal(recs[0].Attributes[0].Values[0], tt.value) {
			t.Errorf("value %q read back as %v, %v", tt.value, recs, err)
		}
	}
}

func TestWriteRefuses(t *testing.T) {
	for _, rec := range []Record{
		{DN: "CN=bad\\"},
		{DN: "CN=x", Attributes: []ldap.Attribute{{Name: "bad name", Values: [][]byte{{1}}}}},
		{DN: "CN=x", Attributes: []ldap.Attribute{{Name: "dn", Values: [][]byte{{1}}}}},
		{DN: "CN=x", Attributes: []ldap.Attribute{{Name: "", Values: [][]byte{{1}}}}},
	} {
		if err := Write(io.Discard, []Record{rec}); err == nil {
			t.Errorf("Write(%+v) succeeded", rec)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"version: 2\n\ndn: CN=x\n", "line 1: unsupported LDIF version"},
		{" continued\n", "line 1: continuation line"},
		{"cn: x\n", `line 1: record starts with "cn", want dn:`},
		{"dn: CN=x\nchangetype: modify\nadd: cn\n", "line 2: changetype: change records are not supported"},
		{"dn: CN=x\ncontrol: 1.2.3\n", "line 2: control: change records are not supported"},
		{"dn: CN=x\ncn: a\n-\n", `line 3: "-" line`},
		{"dn: CN=x\njpegPhoto:< file:///etc/passwd\n", "line 2: jpegPhoto:< URL values are not supported"},
		{"dn: CN=x\ncn:: !!!\n", "line 2: cn: invalid base64"},
		{"dn: CN=x\nno colon here\n", "line 2: missing ':'"},
		{"dn: CN=x\nbad name: 1\n", "line 2: invalid attribute type"},
		{"dn: CN=x\ncn;: 1\n", "line 2: empty attribute option"},
		{"dn: CN=x\ncn;l@ng: 1\n", "line 2: invalid attribute option"},
		{"dn: CN=x\ncn: a\ndn: CN=y\n", "line 3: dn: inside a record"},
		{"# c\n\ndn: CN=bad\\\n", "line 3: dn \"CN=bad\\\\\": dangling backslash"},
		{"dn:: //79\n", "line 1: dn \"\\xff\\xfe\\xfd\""},
		{"dn: CN=x\ncn: a\x00b\n", "line 2: cn: NUL byte"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%q) error = %v, want containing %q", tt.in, err, tt.want)
		}
	}
}

func TestReaderStreaming(t *testing.T) {
	in := "# only comments\n#  and a folded\n  comment\n\n\ndn: CN=a\ncn: a\n\n\n\ndn: CN=b\nCN: b1\ncn: b2\n"
	rd := NewReader(strings.NewReader(in))
	var got []Record
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, *rec)
	}
	want := []Record{
		{DN: "CN=a", Attributes: []ldap.Attribute{{Name: "cn", Values: [][]byte{[]byte("a")}}}},
		{DN: "CN=b", Attributes: []ldap.Attribute{{Name: "CN", Values: [][]byte{[]byte("b1"), []byte("b2")}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if recs, err := Read(strings.NewReader("version: 1\n")); err != nil || len(recs) != 0 {
		t.Errorf("version only: %v, %v", recs, err)
	}
}

func FuzzReadLDIF(f *testing.F) {
	f.Add(readFile(f, "testdata/sample.ldif"))
	f.Add([]byte("dn: CN=a\ncn: a\n b\n\ndn:: Q049Yg==\ncn:: AA==\n"))
	f.Add([]byte("version: 1\r\ndn:\r\nx: y\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, recs); err != nil {
			t.Fatalf("Write of read records: %v", err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, out.Bytes())
		}
		if len(recs) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(again, recs) {
			t.Fatalf("round trip changed records:\n%+v\n%+v", recs, again)
		}
	})
}
