// Package csexportgen writes synthetic `csexport <AD connector> <file> /f:e`
// documents for benchmarks and load tests.
//
// The layout follows the reference sample
// (shared/reference/samples/csexport-permission-issue.xml): one-space
// indentation, no XML declaration, unapplied-export delta, synchronized and
// unapplied-export holograms and an attribute-style export-errordetail. Each
// object is about 1.5-3 KB, as real AD user objects with holograms are. The
// mix is 60% permission-issue (8344, with the writeback attributes that hit
// AdminSDHolder), 20% dn-attributes-failure with an empty export-status and
// 20% AAD-connector style (error-name + extra-error-details, no error-code).
// All names and values are fictional; the AAD-style error-type token is
// invented.
package csexportgen

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Write writes a complete document of n cs-objects. The same seed gives the
// same bytes.
func Write(w io.Writer, n int, seed int64) error {
	g := newGen(w, seed)
	g.header()
	for i := 0; i < n && g.err == nil; i++ {
		g.object(i)
	}
	return g.finish()
}

// WriteAtLeast writes objects until at least size bytes have been written and
// returns how many objects it wrote.
func WriteAtLeast(w io.Writer, size int64, seed int64) (int, error) {
	g := newGen(w, seed)
	g.header()
	n := 0
	for ; g.n < size && g.err == nil; n++ {
		g.object(n)
	}
	return n, g.finish()
}

type gen struct {
	w   *bufio.Writer
	r   *rand.Rand
	n   int64 // bytes written
	err error
}

func newGen(w io.Writer, seed int64) *gen {
	return &gen{w: bufio.NewWriterSize(w, 256<<10), r: rand.New(rand.NewPCG(uint64(seed), 0x8344))}
}

func (g *gen) printf(format string, args ...any) {
	if g.err != nil {
		return
	}
	n, err := fmt.Fprintf(g.w, format, args...)
	g.n += int64(n)
	g.err = err
}

func (g *gen) header() { g.printf("<cs-objects>\n") }

func (g *gen) finish() error {
	g.printf("</cs-objects>\n")
	if g.err != nil {
		return g.err
	}
	return g.w.Flush()
}

var (
	givenNames = []string{"Jane", "Bob", "Carol", "Dave", "Jürgen", "Zoë", "Łukasz", "José", "Åsa", "Siobhán", "Mei", "Олег", "O'Neil", "Anne-Marie"}
	surnames   = []string{"Admin", "Ops", "Staff", "Smith", "Müller", "Nguyễn", "O'Brien", "García", "Kowalski", "Søndergaard", "Lee", "Иванов"}
	ous        = []string{"OU=Admins", "OU=Staff", "OU=Sales,OU=Staff", "OU=Service Accounts", "OU=Contractors"}
	pickAttrs  = []string{"msDS-KeyCredentialLink", "msExchSafeSendersHash", "msDS-ExternalDirectoryObjectID", "mS-DS-ConsistencyGuid", "msExchBlockedSendersHash"}
	aadErrors  = []struct{ name, detail string }{
		{"AttributeValueMustBeUnique", "Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [ProxyAddresses SMTP:%s;]. Correct or remove the duplicate values in your local directory."},
		{"InvalidSoftMatch", "Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName %s;]."},
		{"DataValidationFailed", "Unable to update this object in Azure Active Directory, because the attribute [Username], is not valid. Update the value in your local directory services. %s"},
	}
	epoch = time.Date(2025, 6, 16, 14, 30, 21, 0, time.UTC)
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) guid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *gen) b64(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (g *gen) hex(n int) string {
	var sb strings.Builder
	for range n {
		fmt.Fprintf(&sb, "%02X", g.r.UintN(256))
	}
	return sb.String()
}

func stamp(t time.Time) string { return t.Format("2006-01-02 15:04:05.000") }

// xmlEsc escapes text for both element content and double-quoted attributes.
var xmlEsc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// person is the identity shared by one object's delta, holograms and error.
type person struct {
	given, sn, sam, upn, dn string
}

func (g *gen) person(i int) person {
	p := person{given: g.pick(givenNames), sn: g.pick(surnames)}
	cn := p.given + " " + p.sn
	if i%7 == 3 { // "Last, First" style CN: the comma is escaped in the DN
		cn = p.sn + `\, ` + p.given
	}
	if i%11 == 5 {
		cn += ` \"JJ\"`
	}
	p.sam = fmt.Sprintf("u%07d", i)
	p.upn = p.sam + "@contoso.com"
	p.dn = fmt.Sprintf("CN=%s,%s,DC=contoso,DC=com", cn, g.pick(ous))
	return p
}

func (g *gen) object(i int) {
	p := g.person(i)
	kind := g.r.IntN(10)
	g.printf(" <cs-object cs-dn=\"%s\" id=\"%s\" object-type=\"user\">\n", xmlEsc.Replace(p.dn), g.guid())
	dn := xmlEsc.Replace(p.dn)
	g.printf("  <unapplied-export>\n   <delta operation=\"update\" dn=\"%s\">\n", dn)
	var attrs []string
	switch {
	case kind < 6:
		attrs = append(attrs, g.pick(pickAttrs))
		if g.r.IntN(4) == 0 {
			attrs = append(attrs, g.pick(pickAttrs))
		}
		for _, a := range attrs {
			g.deltaAttr(a, p)
		}
	case kind < 8:
		g.printf("    <dn-attr name=\"manager\" multivalued=\"false\" operation=\"replace\">\n     <dn-value>\n      <dn>CN=%s Lead,%s,DC=contoso,DC=com</dn>\n     </dn-value>\n    </dn-attr>\n",
			xmlEsc.Replace(g.pick(givenNames)), g.pick(ous))
	default:
		g.printf("    <attr name=\"proxyAddresses\" type=\"string\" multivalued=\"true\" operation=\"update\">\n     <value operation=\"add\">SMTP:%s</value>\n    </attr>\n", xmlEsc.Replace(p.upn))
	}
	g.printf("   </delta>\n  </unapplied-export>\n")
	g.hologram("synchronized-hologram", p, nil)
	g.hologram("unapplied-export-hologram", p, attrs)
	g.errorDetail(kind, p)
	g.printf(" </cs-object>\n")
}

func (g *gen) deltaAttr(name string, p person) {
	typ, val := g.attrValue(name, p)
	g.printf("    <attr name=\"%s\" type=\"%s\" multivalued=\"false\" operation=\"replace\">\n     <value>%s</value>\n    </attr>\n", name, typ, val)
}

func (g *gen) attrValue(name string, p person) (typ, val string) {
	switch name {
	case "msDS-KeyCredentialLink":
		return "string", fmt.Sprintf("B:64:%s:%s", g.hex(32), xmlEsc.Replace(p.dn))
	case "msDS-ExternalDirectoryObjectID":
		return "string", "User_" + strings.Trim(strings.ToLower(g.guid()), "{}")
	}
	return "binary", g.b64(16 + g.r.IntN(24))
}

// hologram writes an entry with the usual synced user attributes; it is most
// of the bytes of a real object and of the parse cost.
func (g *gen) hologram(elem string, p person, extra []string) {
	dn := xmlEsc.Replace(p.dn)
	g.printf("  <%s>\n   <entry dn=\"%s\">\n    <primary-objectclass>user</primary-objectclass>\n", elem, dn)
	single := func(name, typ, v string) {
		g.printf("    <attr name=\"%s\" type=\"%s\" multivalued=\"false\">\n     <value>%s</value>\n    </attr>\n", name, typ, xmlEsc.Replace(v))
	}
	single("sAMAccountName", "string", p.sam)
	single("userPrincipalName", "string", p.upn)
	single("displayName", "string", p.given+" "+p.sn)
	single("objectSid", "binary", g.b64(28))
	if extra == nil { // the synchronized hologram carries a few more
		single("mail", "string", p.upn)
	}
	if g.r.IntN(3) == 0 {
		single("adminCount", "integer", "1")
	}
	g.printf("    <attr name=\"proxyAddresses\" type=\"string\" multivalued=\"true\">\n")
	for k := range 1 + g.r.IntN(3) {
		prefix := "smtp"
		if k == 0 {
			prefix = "SMTP"
		}
		g.printf("     <value>%s:%s.%d@contoso.com</value>\n", prefix, xmlEsc.Replace(p.sam), k)
	}
	g.printf("    </attr>\n")
	for _, a := range extra {
		typ, val := g.attrValue(a, p)
		g.printf("    <attr name=\"%s\" type=\"%s\" multivalued=\"false\">\n     <value>%s</value>\n    </attr>\n", a, typ, val)
	}
	g.printf("   </entry>\n  </%s>\n", elem)
}

func (g *gen) errorDetail(kind int, p person) {
	first := epoch.Add(-time.Duration(g.r.Int64N(int64(60 * 24 * time.Hour))))
	last := epoch.Add(time.Duration(g.r.IntN(60000)) * time.Millisecond)
	retries := 1 + g.r.IntN(3000)
	errType := "permission-issue"
	switch {
	case kind >= 8:
		errType = "unexpected-error"
	case kind >= 6:
		errType = "dn-attributes-failure"
	}
	g.printf("  <export-errordetail first-occurred=\"%s\" date-occurred=\"%s\" retry-count=\"%d\" error-type=\"%s\">\n   <export-status>\n",
		stamp(first), stamp(last), retries, errType)
	switch {
	case kind < 6:
		g.printf("    <cd-error>\n     <error-code>8344</error-code>\n     <error-literal>Insufficient access rights to perform the operation.</error-literal>\n     <server-error-detail>00002098: SecErr: DSID-%s, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0\n</server-error-detail>\n    </cd-error>\n", g.hex(4))
	case kind >= 8:
		e := aadErrors[g.r.IntN(len(aadErrors))]
		g.printf("    <cd-error>\n     <error-name>%s</error-name>\n     <extra-error-details>%s</extra-error-details>\n    </cd-error>\n",
			e.name, xmlEsc.Replace(fmt.Sprintf(e.detail, p.upn)))
	}
	g.printf("   </export-status>\n  </export-errordetail>\n")
}
