package ntsd

import "testing"

// BenchmarkParseCanWriteProperty measures what detect does per protected
// object: parse the descriptor and evaluate one attribute.
func BenchmarkParseCanWriteProperty(b *testing.B) {
	raw := readHex(b, "testdata/ws2022-adminsdholder.hex")
	sids := []SID{MustSID(msol), testDomainSID.WithRID(513), Everyone, AuthenticatedUsers}
	b.ReportAllocs()
	for b.Loop() {
		sd, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if d := CanWriteProperty(sd, sids, keyCredentialLink, GUID{}); d.Allowed {
			b.Fatal("unexpectedly allowed")
		}
	}
}
