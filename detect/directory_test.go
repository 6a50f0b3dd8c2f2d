package detect

import (
	"reflect"
	"testing"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

// TestForestOfComesFromTheConfiguration: the forest a connector reads is
// named by its domain partitions, never by its (editable) name; the read
// then confirms those partitions. A connector without a domain partition
// is not read at all.
func TestForestOfComesFromTheConfiguration(t *testing.T) {
	yes, no := true, false
	member := winhost.Facts{ComputerName: "AADC01", DNSDomain: "contoso.com", IsDC: &no}
	dc := winhost.Facts{ComputerName: "DC01", DNSDomain: "contoso.com", IsDC: &yes}
	part := func(dn string, isDomain bool) adsync.Partition { return adsync.Partition{DN: dn, IsDomain: isDomain} }
	cases := []struct {
		name   string
		c      adsync.Connector
		facts  winhost.Facts
		dcPath bool
		host   string
		expect []string
		err    bool
	}{
		{"own forest on a member server: the locator", adsync.Connector{Name: "contoso.com", Partitions: []adsync.Partition{part("DC=contoso,DC=com", true), part("CN=Configuration,DC=contoso,DC=com", false)}},
			member, false, "", []string{"DC=contoso,DC=com"}, false},
		{"own forest on a DC: itself", adsync.Connector{Name: "contoso.com", Partitions: []adsync.Partition{part("DC=contoso,DC=com", true)}},
			dc, false, "dc01.contoso.com", []string{"DC=contoso,DC=com"}, false},
		{"renamed connector: the name is not dialled", adsync.Connector{Name: "evil.example", Partitions: []adsync.Partition{part("DC=contoso,DC=com", true)}},
			member, false, "", []string{"DC=contoso,DC=com"}, false},
		{"another forest: its top-most partition", adsync.Connector{Name: "evil.example", Partitions: []adsync.Partition{part("DC=emea,DC=fabrikam,DC=com", true), part("DC=fabrikam,DC=com", true)}},
			member, false, "fabrikam.com", []string{"DC=emea,DC=fabrikam,DC=com", "DC=fabrikam,DC=com"}, false},
		{"a DC-only DN without IsDomain still counts", adsync.Connector{Name: "x", Partitions: []adsync.Partition{part("DC=fabrikam,DC=com", false)}},
			member, false, "fabrikam.com", []string{"DC=fabrikam,DC=com"}, false},
		{"no domain partition: not read", adsync.Connector{Name: "contoso.com", Partitions: []adsync.Partition{part("CN=Configuration,DC=contoso,DC=com", false), part("not a DN", true)}},
			member, false, "", nil, true},
		{"DC path: the DC itself, whatever the parameters say", adsync.Connector{Name: "evil.example"}, dc, true, "dc01.contoso.com", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			host, expect, err := forestOf(c.c, c.facts, c.dcPath)
			if (err != nil) != c.err {
				t.Fatalf("err %v, want error %v", err, c.err)
			}
			if host != c.host || !reflect.DeepEqual(expect, c.expect) {
				t.Errorf("host %q expect %q, want %q %q", host, expect, c.host, c.expect)
			}
		})
	}
}
