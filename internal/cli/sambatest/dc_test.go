package sambatest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
)

// Helpers for the tests against the Samba DC. The tool's own path (search,
// modify) goes through ldap.Conn and goldap; adding and deleting entries
// and setting passwords, which the tool never does, use go-ldap directly.

const (
	ouPrefix    = "entra8344-sambatest-"
	staleOUAge  = 10 * time.Minute // older test OUs belong to runs that died
	oidTreeDel  = "1.2.840.113556.1.4.805"
	opTimeout   = time.Minute      // one LDAP step
	runTimeout  = 10 * time.Minute // a whole test: the DC shares 2 cores with everything else
	uacNormal   = "512"            // NORMAL_ACCOUNT, enabled
	uacDisabled = "514"            // NORMAL_ACCOUNT | ACCOUNTDISABLE (users without a password)
)

// dc is the DC under test, from the variables scripts/samba-dc.sh prints.
type dc struct {
	url, ldapsURL, base, caFile string
	admin                       goldap.Options
	domainSID                   ntsd.SID
}

// needDC skips the test when no DC is configured.
func needDC(t *testing.T) *dc {
	t.Helper()
	rawURL, opts, ok := goldap.FromSambaEnv()
	if !ok {
		t.Skip("SAMBA_DC_LDAP_URL is not set: no Samba AD DC to test against (start one with scripts/samba-dc.sh up and source what it prints)")
	}
	d := &dc{url: rawURL, ldapsURL: os.Getenv("SAMBA_DC_LDAPS_URL"), base: os.Getenv("SAMBA_DC_BASE_DN"),
		caFile: opts.CAFile, admin: opts}
	if d.base == "" {
		t.Fatal("SAMBA_DC_LDAP_URL is set but SAMBA_DC_BASE_DN is not")
	}
	c := d.dial(t, d.admin)
	es, err := c.Search(bg(t, opTimeout), &ldap.SearchRequest{BaseDN: d.base, Attributes: []string{"objectSid"}})
	if err != nil || len(es) != 1 {
		t.Fatalf("read the domain object %s: %v", d.base, err)
	}
	if d.domainSID, _, err = ntsd.ParseSID(es[0].Value("objectSid")); err != nil {
		t.Fatalf("domain SID: %v", err)
	}
	return d
}

// bg is a context for a step that may take up to limit; not t.Context,
// which is already cancelled in t.Cleanup, where the tests undo what they
// created.
func bg(t *testing.T, limit time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

// dial opens an ldap.Conn (the tool's interface) bound as opts says.
func (d *dc) dial(t *testing.T, opts goldap.Options) ldap.Conn {
	t.Helper()
	c, err := goldap.Dial(bg(t, opTimeout), d.url, opts)
	if err != nil {
		t.Fatalf("dial %s as %s: %v", d.url, opts.BindDN, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// raw opens a go-ldap connection bound as Administrator: over TLS (ldaps,
// else StartTLS) when secure, as Samba sets passwords only on an encrypted
// connection; else plain, for bulk adds.
func (d *dc) raw(t *testing.T, secure bool) *gl.Conn {
	t.Helper()
	cfg := &tls.Config{ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if d.caFile != "" {
		pem, err := os.ReadFile(d.caFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(pem)
	}
	if h := hostOf(d.url); h != "" {
		cfg.ServerName = h
	}
	u := d.url
	if secure && d.ldapsURL != "" {
		u = d.ldapsURL
	}
	c, err := gl.DialURL(u, gl.DialWithTLSConfig(cfg))
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c.SetTimeout(opTimeout)
	if secure && d.ldapsURL == "" {
		if err := c.StartTLS(cfg); err != nil {
			c.Close()
			t.Fatalf("StartTLS on %s: %v", u, err)
		}
	}
	if err := c.Bind(d.admin.BindDN, d.admin.Password); err != nil {
		c.Close()
		t.Fatalf("bind %s as %s: %v", u, d.admin.BindDN, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func hostOf(rawURL string) string {
	s := rawURL[strings.Index(rawURL, "://")+3:]
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return strings.Trim(s, "[]/")
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// newOU creates OU=entra8344-sambatest-<what>-<random> under the domain
// and deletes it with everything in it when the test ends. Test OUs left
// behind by runs that died (older than staleOUAge) are deleted first; newer
// ones may belong to a run in progress and are left alone.
func (d *dc) newOU(t *testing.T, c *gl.Conn, what string) string {
	t.Helper()
	res, err := c.Search(gl.NewSearchRequest(d.base, gl.ScopeSingleLevel, gl.NeverDerefAliases, 0, 0, false,
		"(&(objectClass=organizationalUnit)(ou="+ouPrefix+"*))", []string{"whenCreated"}, nil))
	if err != nil {
		t.Fatalf("look for leftover test OUs: %v", err)
	}
	for _, e := range res.Entries {
		created, err := time.Parse("20060102150405.0Z", e.GetAttributeValue("whenCreated"))
		if err == nil && time.Since(created) > staleOUAge {
			t.Logf("deleting leftover %s (created %s)", e.DN, created.Format(time.RFC3339))
			if err := treeDelete(c, e.DN); err != nil {
				t.Errorf("delete leftover %s: %v", e.DN, err)
			}
		}
	}
	dn := fmt.Sprintf("OU=%s%s-%s,%s", ouPrefix, what, randHex(8), d.base)
	add := gl.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"organizationalUnit"})
	if err := c.Add(add); err != nil {
		t.Fatalf("create %s: %v", dn, err)
	}
	t.Cleanup(func() {
		start := time.Now()
		if err := treeDelete(c, dn); err != nil {
			t.Errorf("delete %s: %v", dn, err)
			return
		}
		t.Logf("deleted %s and its contents in %v", dn, time.Since(start).Round(time.Millisecond))
	})
	return dn
}

// treeDelete deletes dn and its subtree: one request with the tree delete
// control; where the server refuses the control, child by child, deepest
// first.
func treeDelete(c *gl.Conn, dn string) error {
	err := c.Del(gl.NewDelRequest(dn, []gl.Control{gl.NewControlString(oidTreeDel, true, "")}))
	if err == nil || gl.IsErrorWithCode(err, gl.LDAPResultNoSuchObject) {
		return nil
	}
	if !gl.IsErrorWithCode(err, gl.LDAPResultUnavailableCriticalExtension) {
		return err
	}
	res, serr := c.SearchWithPaging(gl.NewSearchRequest(dn, gl.ScopeWholeSubtree, gl.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"1.1"}, nil), 1000)
	if serr != nil {
		return errors.Join(err, serr)
	}
	dns := make([]string, len(res.Entries))
	for i, e := range res.Entries {
		dns[i] = e.DN
	}
	sort.Slice(dns, func(i, j int) bool { return strings.Count(dns[i], ",") > strings.Count(dns[j], ",") })
	for _, x := range dns {
		if err := c.Del(gl.NewDelRequest(x, nil)); err != nil && !gl.IsErrorWithCode(err, gl.LDAPResultNoSuchObject) {
			return err
		}
	}
	return nil
}

// userAdd is the add request of a user in ou. A password (Samba takes it
// only over TLS) makes an enabled account that can simple-bind; without
// one the account is disabled, which is all a failing object needs to be.
func userAdd(ou, sam, password string) *gl.AddRequest {
	dn := "CN=" + sam + "," + ou
	add := gl.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user"})
	add.Attribute("sAMAccountName", []string{sam})
	if password != "" {
		add.Attribute("unicodePwd", []string{unicodePwd(password)})
		add.Attribute("userAccountControl", []string{uacNormal})
	} else {
		add.Attribute("userAccountControl", []string{uacDisabled})
	}
	return add
}

// unicodePwd is the value AD expects: the quoted password in UTF-16LE.
func unicodePwd(p string) string {
	u := utf16.Encode([]rune(`"` + p + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i], b[2*i+1] = byte(r), byte(r>>8)
	}
	return string(b)
}

// password is random and meets Samba's default complexity rules.
func password() string { return "Pw-" + randHex(12) + "!9aZ" }

// readSD reads dn's DACL-only security descriptor, as the tool does.
func readSD(ctx context.Context, c ldap.Conn, dn string) (*ntsd.SecurityDescriptor, error) {
	es, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Attributes: []string{"nTSecurityDescriptor"},
		Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if err != nil {
		return nil, err
	}
	if len(es) != 1 || len(es[0].Value("nTSecurityDescriptor")) == 0 {
		return nil, fmt.Errorf("%s: no nTSecurityDescriptor returned", dn)
	}
	return ntsd.Parse(es[0].Value("nTSecurityDescriptor"))
}

// writeDACL replaces dn's DACL (SD flags: DACL only), as the tool does.
func writeDACL(ctx context.Context, c ldap.Conn, dn string, sd []byte) error {
	return c.Modify(ctx, dn, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)})
}

// sidOf reads one object's objectSid.
func sidOf(ctx context.Context, c ldap.Conn, dn string) (ntsd.SID, error) {
	es, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Attributes: []string{"objectSid"}})
	if err != nil {
		return ntsd.SID{}, err
	}
	if len(es) != 1 {
		return ntsd.SID{}, fmt.Errorf("%s: %d entries", dn, len(es))
	}
	s, _, err := ntsd.ParseSID(es[0].Value("objectSid"))
	return s, err
}

// schemaGUIDs reads schemaIDGUID and attributeSecurityGUID (zero when
// absent) of schema objects by lDAPDisplayName.
func (d *dc) schemaGUIDs(ctx context.Context, c ldap.Conn, names ...string) (id, set map[string]ntsd.GUID, err error) {
	terms := ""
	for _, n := range names {
		terms += "(lDAPDisplayName=" + n + ")"
	}
	es, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=Schema,CN=Configuration," + d.base, Scope: ldap.ScopeOneLevel,
		Filter: "(|" + terms + ")", Attributes: []string{"lDAPDisplayName", "schemaIDGUID", "attributeSecurityGUID"}})
	if err != nil {
		return nil, nil, err
	}
	id, set = map[string]ntsd.GUID{}, map[string]ntsd.GUID{}
	for _, e := range es {
		n := e.String("lDAPDisplayName")
		if id[n], err = ntsd.GUIDFromBytes(e.Value("schemaIDGUID")); err != nil {
			return nil, nil, fmt.Errorf("%s: schemaIDGUID: %w", n, err)
		}
		if v := e.Value("attributeSecurityGUID"); len(v) > 0 {
			if set[n], err = ntsd.GUIDFromBytes(v); err != nil {
				return nil, nil, fmt.Errorf("%s: attributeSecurityGUID: %w", n, err)
			}
		}
	}
	for _, n := range names {
		if _, ok := id[n]; !ok {
			return nil, nil, fmt.Errorf("%s is not in the schema", n)
		}
	}
	return id, set, nil
}
