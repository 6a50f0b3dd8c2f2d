package adsync

import (
	"fmt"
	"io"
	"strings"

	"entra8344/internal/adsync/csexportgen"
)

// Hostile csexport inputs, generated while they are read so that a test can
// feed hundreds of MB without holding them: a part is a string repeated n
// times.
type part struct {
	s string
	n int
}

type partsReader struct {
	parts []part
	off   int // into parts[0].s
}

func (r *partsReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(r.parts) > 0 {
		cur := &r.parts[0]
		if cur.n <= 0 || cur.s == "" {
			r.parts = r.parts[1:]
			continue
		}
		c := copy(p[n:], cur.s[r.off:])
		n += c
		if r.off += c; r.off == len(cur.s) {
			r.off = 0
			cur.n--
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (r *partsReader) size() int64 {
	var t int64
	for _, p := range r.parts {
		t += int64(len(p.s)) * int64(p.n)
	}
	return t
}

func one(s string) part { return part{s, 1} }

const (
	hostileHead = `<?xml version="1.0" encoding="utf-8"?>` + "\n<cs-objects>\n"
	hostileTail = "</cs-objects>\n"
	// afterObject follows every hostile object: the parse must go on to it.
	afterObject = `<cs-object cs-dn="CN=After,DC=contoso,DC=com" id="{A}" object-type="user">` + "\n" +
		`<export-errordetail error-type="permission-issue"><export-status><cd-error><error-code>8344</error-code></cd-error></export-status></export-errordetail>` + "\n</cs-object>\n"
)

// hostileShape is one hostile document; scale 1 is the size named in the
// issue, smaller scales make fuzz seeds and fast tests.
type hostileShape struct {
	name    string
	dn      string // DN the skip record must name; "" when the start tag is too big to read
	reason  string // in the skip record
	skipped int
	parts   func(scale float64) []part
}

func n(scale float64, full int) int { return max(1, int(float64(full)*scale)) }

var hostileShapes = []hostileShape{
	{name: "values", dn: "CN=Values,DC=contoso,DC=com", reason: "more than ", // nodes at full scale, bytes at small ones
		skipped: 1, parts: func(sc float64) []part {
			return []part{one(hostileHead + `<cs-object cs-dn="CN=Values,DC=contoso,DC=com" id="{V}"><synchronized-hologram><entry dn="x"><attr name="proxyAddresses" multivalued="true">` + "\n"),
				{"<value>smtp:u@contoso.com</value>\n", n(sc, 1_500_000)}, one("</attr></entry></synchronized-hologram></cs-object>\n" + afterObject + hostileTail)}
		}},
	{name: "deep", dn: "CN=Deep,DC=contoso,DC=com", reason: "nested more than", skipped: 1, parts: func(sc float64) []part {
		return []part{one(hostileHead + `<cs-object cs-dn="CN=Deep,DC=contoso,DC=com">`), {"<a>", n(sc, 2_000_000)}, {"</a>", n(sc, 2_000_000)},
			one("</cs-object>\n" + afterObject + hostileTail)}
	}},
	{name: "text", dn: "CN=Text,DC=contoso,DC=com", reason: "bytes", skipped: 1, parts: func(sc float64) []part {
		return []part{one(hostileHead + `<cs-object cs-dn="CN=Text,DC=contoso,DC=com"><export-errordetail><export-status><cd-error><server-error-detail>`),
			{strings.Repeat("x", 1<<16-1) + "\n", n(sc, 200<<20>>16)}, one("</server-error-detail></cd-error></export-status></export-errordetail></cs-object>\n" + afterObject + hostileTail)}
	}},
	{name: "attrs", reason: "elements and attributes", skipped: 1, parts: func(sc float64) []part {
		return []part{one(hostileHead + `<cs-object cs-dn="CN=Attrs,DC=contoso,DC=com"`), {` a="v"`, n(sc, 2_000_000)}, one(">\n</cs-object>\n" + afterObject + hostileTail)}
	}},
	{name: "comments", dn: "CN=Comments,DC=contoso,DC=com", reason: "elements and attributes", skipped: 1, parts: func(sc float64) []part {
		return []part{one(hostileHead + `<cs-object cs-dn="CN=Comments,DC=contoso,DC=com">` + "\n"), {"<!---->\n", n(sc, 1_000_000)}, one("</cs-object>\n" + afterObject + hostileTail)}
	}},
	// Many objects each just under the limits: all parsed, so this one
	// tests the memory budget shared by the chunks in flight.
	{name: "near-limit", parts: func(sc float64) []part {
		var ps []part
		ps = append(ps, one(hostileHead))
		for i := range n(sc, 16) {
			ps = append(ps, one(fmt.Sprintf(`<cs-object cs-dn="CN=Group %d,DC=contoso,DC=com" id="{G}" object-type="group"><synchronized-hologram><entry dn="x"><dn-attr name="member" multivalued="true">`+"\n", i)),
				part{"<dn-value><dn>CN=Some User Name 0000000,OU=Users,OU=Department,DC=contoso,DC=com</dn></dn-value>\n", n(sc, 24_900)},
				one("</dn-attr></entry></synchronized-hologram>"+`<export-errordetail error-type="permission-issue"><export-status><cd-error><error-code>8344</error-code></cd-error></export-status></export-errordetail></cs-object>`+"\n"))
		}
		return append(ps, one(afterObject+hostileTail))
	}},
	// The same with the most nodes per byte: an element and a text node
	// per 8 bytes, just under the node limit.
	{name: "near-limit-nodes", parts: func(sc float64) []part {
		var ps []part
		ps = append(ps, one(hostileHead))
		for i := range n(sc, 16) {
			ps = append(ps, one(fmt.Sprintf(`<cs-object cs-dn="CN=Wide %d,DC=contoso,DC=com">`, i)), part{"<v>x</v>", n(sc, 49_900)},
				one(`<export-errordetail error-type="permission-issue"/></cs-object>`+"\n"))
		}
		return append(ps, one(afterObject+hostileTail))
	}},
	// And with the most bytes: one text node just under the byte limit.
	{name: "near-limit-text", parts: func(sc float64) []part {
		var ps []part
		ps = append(ps, one(hostileHead))
		for i := range n(sc, 16) {
			ps = append(ps, one(fmt.Sprintf(`<cs-object cs-dn="CN=Text %d,DC=contoso,DC=com"><export-errordetail><export-status><cd-error><server-error-detail>`, i)),
				part{strings.Repeat("y", 1<<10-1) + "\n", n(sc, 4000)},
				one(`</server-error-detail></cd-error></export-status></export-errordetail></cs-object>`+"\n"))
		}
		return append(ps, one(afterObject+hostileTail))
	}},
}

// realisticReader streams a generated csexport file of at least size bytes.
func realisticReader(size int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, err := csexportgen.WriteAtLeast(pw, size, 8344)
		pw.CloseWithError(err)
	}()
	return pr
}
