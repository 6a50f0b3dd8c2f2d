package wldap32

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ldap"
)

// These tests run the real wldap32.dll: under Wine against the Samba DC of
// scripts/samba-dc.sh (scripts/wine-test.sh runs them with SAMBA_DC_* set),
// and are skipped without SAMBA_DC_LDAP_URL. They bind with explicit
// credentials (TEST\Administrator), because Wine's wldap32 crashes on a
// Negotiate bind as the current identity.

func sambaEnv(t *testing.T) (host, base string, creds *Credentials) {
	t.Helper()
	raw := os.Getenv("SAMBA_DC_LDAP_URL")
	if raw == "" {
		t.Skip("SAMBA_DC_LDAP_URL not set (bash scripts/samba-dc.sh up)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ldap" || (u.Port() != "" && u.Port() != "389") {
		t.Skipf("SAMBA_DC_LDAP_URL %q: the transport dials ldap:// on port 389 only", raw)
	}
	user, _, _ := strings.Cut(os.Getenv("SAMBA_DC_ADMIN_UPN"), "@")
	return u.Hostname(), os.Getenv("SAMBA_DC_BASE_DN"),
		&Credentials{User: user, Domain: os.Getenv("SAMBA_DC_DOMAIN"), Password: os.Getenv("SAMBA_DC_ADMIN_PASS")}
}

func dialSamba(t *testing.T) (*Conn, string) {
	t.Helper()
	host, base, creds := sambaEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dialer{Creds: creds, Timeout: 20 * time.Second}.Dial(ctx, host)
	if err != nil {
		t.Fatalf("Dial(%s) as %s\\%s: %v", host, creds.Domain, creds.User, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c.(*Conn), base
}

func search(t *testing.T, c *Conn, req *ldap.SearchRequest) []*ldap.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	es, err := c.Search(ctx, req)
	if err != nil {
		t.Fatalf("search %q: %v", req.BaseDN, err)
	}
	return es
}

func adminSDHolder(base string) string { return "CN=AdminSDHolder,CN=System," + base }

func readDACL(t *testing.T, c *Conn, base string) []byte {
	t.Helper()
	es := search(t, c, &ldap.SearchRequest{BaseDN: adminSDHolder(base), Scope: ldap.ScopeBase,
		Attributes: []string{"nTSecurityDescriptor"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if len(es) != 1 || len(es[0].Values("nTSecurityDescriptor")) != 1 {
		t.Fatalf("AdminSDHolder: %d entries, want 1 with one nTSecurityDescriptor", len(es))
	}
	return es[0].Value("nTSecurityDescriptor")
}

func TestSambaBindRootDSE(t *testing.T) {
	c, base := dialSamba(t)
	p := c.Protection()
	t.Logf("server %q (LDAP_OPT_HOST_NAME %q), wine %v, protection %+v", c.Server(), c.hostName(), underWine(), p)
	if c.Server() == "" {
		t.Error("Server() is empty")
	}
	if underWine() && (p.SignSeal || p.Unverified == "") {
		t.Errorf("under Wine LDAP_OPT_SIGN/ENCRYPT are unsupported; want that recorded, got %+v", p)
	}
	if !underWine() && !p.SignSeal {
		t.Errorf("on Windows signing and sealing must be required, got %+v", p)
	}
	es := search(t, c, &ldap.SearchRequest{Scope: ldap.ScopeBase,
		Attributes: []string{"defaultNamingContext", "supportedControl", "dnsHostName"}})
	if len(es) != 1 {
		t.Fatalf("rootDSE: %d entries", len(es))
	}
	if got := es[0].String("defaultNamingContext"); !strings.EqualFold(got, base) {
		t.Errorf("defaultNamingContext = %q, want %q", got, base)
	}
	found := false
	for _, v := range es[0].Values("supportedControl") {
		found = found || string(v) == ldap.OIDSDFlags
	}
	if !found {
		t.Error("supportedControl lacks the SD flags control")
	}
	t.Logf("rootDSE: defaultNamingContext=%s dnsHostName=%s, %d supportedControl values",
		es[0].String("defaultNamingContext"), es[0].String("dnsHostName"), len(es[0].Values("supportedControl")))
}

// TestSambaAdminSDHolderSD is the acceptance check: the descriptor read
// through wldap32 is byte-identical to what ldapsearch read (passed in by
// scripts/wine-test.sh).
func TestSambaAdminSDHolderSD(t *testing.T) {
	c, base := dialSamba(t)
	sd := readDACL(t, c, base)
	t.Logf("AdminSDHolder nTSecurityDescriptor (DACL only): %d bytes, first 32: % x", len(sd), sd[:min(32, len(sd))])
	if len(sd) < 28 || !bytes.Equal(sd[:4], []byte{0x01, 0x00, 0x04, 0x84}) {
		t.Fatalf("header % x, want 01 00 04 84 (revision 1, SE_SELF_RELATIVE|SE_DACL_AUTO_INHERITED|SE_DACL_PRESENT)", sd[:min(4, len(sd))])
	}
	if !bytes.Equal(sd[4:16], make([]byte, 12)) {
		t.Errorf("owner/group/SACL offsets % x, want 0 (DACL-only read)", sd[4:16])
	}
	if dacl := sd[16:20]; !bytes.Equal(dacl, []byte{0x14, 0, 0, 0}) {
		t.Errorf("DACL offset % x, want 20", dacl)
	}
	want64 := os.Getenv("ENTRA8344_EXPECT_ADMINSDHOLDER_SD_B64")
	if want64 == "" {
		t.Log("ENTRA8344_EXPECT_ADMINSDHOLDER_SD_B64 not set: no ldapsearch reference to compare with")
		return
	}
	want, err := base64.StdEncoding.DecodeString(want64)
	if err != nil {
		t.Fatalf("ENTRA8344_EXPECT_ADMINSDHOLDER_SD_B64: %v", err)
	}
	if !bytes.Equal(sd, want) {
		t.Fatalf("wldap32 read %d bytes, ldapsearch %d; they differ:\nwldap32:    %s\nldapsearch: %s",
			len(sd), len(want), hex.EncodeToString(sd), hex.EncodeToString(want))
	}
	t.Logf("byte-identical to ldapsearch (%d bytes)", len(want))
}

func TestSambaAdminSDHolderWriteBack(t *testing.T) {
	c, base := dialSamba(t)
	sd := readDACL(t, c, base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.Modify(ctx, adminSDHolder(base),
		[]ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)})
	if err != nil {
		t.Fatalf("DACL-only write-back: %v", err)
	}
	if again := readDACL(t, c, base); !bytes.Equal(again, sd) {
		t.Fatalf("re-read after write-back differs: %d -> %d bytes", len(sd), len(again))
	}
	t.Logf("wrote back %d bytes, re-read identical", len(sd))
}

// TestSambaRepeat reads the same values many times over one connection: a
// wrong free (double, or of memory wldap32 still uses) crashes or corrupts
// the results long before 200 rounds.
func TestSambaRepeat(t *testing.T) {
	c, base := dialSamba(t)
	first := readDACL(t, c, base)
	req := &ldap.SearchRequest{BaseDN: "CN=System," + base, Scope: ldap.ScopeOneLevel, Attributes: []string{"cn", "objectGUID"}}
	n := len(search(t, c, req))
	for i := 0; i < 200; i++ {
		if sd := readDACL(t, c, base); !bytes.Equal(sd, first) {
			t.Fatalf("round %d: the descriptor changed", i)
		}
		if es := search(t, c, req); len(es) != n {
			t.Fatalf("round %d: %d entries under CN=System, first %d", i, len(es), n)
		}
	}
	t.Logf("200 rounds: %d-byte descriptor and %d entries each time", len(first), n)
}

func TestSambaTokenGroups(t *testing.T) {
	c, _ := dialSamba(t)
	admin := os.Getenv("SAMBA_DC_ADMIN_DN")
	es := search(t, c, &ldap.SearchRequest{BaseDN: admin, Scope: ldap.ScopeBase, Attributes: []string{"tokenGroups"}})
	if len(es) != 1 {
		t.Fatalf("%s: %d entries", admin, len(es))
	}
	// S-1-5-32-544 (BUILTIN\Administrators) in binary.
	builtinAdmins := []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0}
	sids := es[0].Values("tokenGroups")
	found := false
	for _, s := range sids {
		if len(s) < 8 || s[0] != 1 || len(s) != 8+4*int(s[1]) {
			t.Errorf("not a binary SID: % x", s)
		}
		found = found || bytes.Equal(s, builtinAdmins)
	}
	if !found {
		t.Errorf("tokenGroups (%d SIDs) lacks BUILTIN\\Administrators", len(sids))
	}
	t.Logf("tokenGroups of %s: %d SIDs", admin, len(sids))
}

func TestSambaErrors(t *testing.T) {
	c, base := dialSamba(t)
	ctx := context.Background()

	missing := "CN=entra8344-missing," + base
	_, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: missing, Scope: ldap.ScopeBase})
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultNoSuchObject || le.Op != "search" || le.DN != missing || le.Message == "" {
		t.Errorf("missing DN: %v, want *ldap.Error 32 with the DN and a message", err)
	}
	t.Logf("missing DN: %v", err)

	err = c.Modify(ctx, "", []ldap.Mod{{Op: ldap.ModReplace, Attr: "runProtectAdminGroupsTask", Values: [][]byte{[]byte("1")}}}, nil)
	if !ldap.IsCode(err, ldap.ResultUnwillingToPerform) || !strings.Contains(err.Error(), "rootdse_modify") {
		t.Errorf("rootDSE runProtectAdminGroupsTask: %v, want 53 with Samba's diagnostic text", err)
	}
	t.Logf("runProtectAdminGroupsTask: %v", err)

	// Samba 4.17 ignores the size limit (ldapsearch -z 1 gets everything
	// too), so only the Windows answer can be checked: the entries so far
	// with result 4.
	es, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: "CN=Users," + base, Scope: ldap.ScopeSubtree, SizeLimit: 1})
	switch {
	case ldap.IsCode(err, ldap.ResultSizeLimitExceeded) && len(es) == 1:
	case err == nil && len(es) > 1:
		t.Logf("size limit 1: the server ignored it (%d entries)", len(es))
	default:
		t.Errorf("size limit 1: %d entries, %v; want 1 entry and result 4", len(es), err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Search(cctx, &ldap.SearchRequest{Scope: ldap.ScopeBase}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled search: %v", err)
	}
	if err := c.Modify(cctx, base, []ldap.Mod{{Op: ldap.ModReplace, Attr: "description", Values: [][]byte{[]byte("x")}}}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled modify: %v", err)
	}
}

func TestSambaBindFailures(t *testing.T) {
	host, _, creds := sambaEnv(t)
	ctx := context.Background()
	bad := *creds
	bad.Password += "-wrong"
	c, err := Dialer{Creds: &bad}.Dial(ctx, host)
	var le *ldap.Error
	if c != nil || !errors.As(err, &le) || le.Code != ldap.ResultInvalidCredentials || le.Op != "bind" {
		t.Errorf("wrong password: %v, want bind error 49", err)
	}
	t.Logf("wrong password: %v", err)
	if underWine() {
		c, err := Dialer{}.Dial(ctx, host)
		if c != nil || !ldap.IsCode(err, ldap.ResultNotSupported) || !strings.Contains(err.Error(), "Creds") {
			t.Errorf("nil Creds under Wine: %v, want a refusal instead of wldap32's crash", err)
		}
	}
}

// TestSambaUTF16User creates a user whose CN and description hold
// characters outside the BMP, finds it by a filter on them, and deletes it.
func TestSambaUTF16User(t *testing.T) {
	c, base := dialSamba(t)
	ctx := context.Background()
	dn := "CN=entra8344 wldap32 Grüße 𝄞,CN=Users," + base
	desc := "Grüße € 𝄞 ✓ 😀 テスト"
	if err := c.Delete(ctx, dn, nil); err != nil && !ldap.IsCode(err, ldap.ResultNoSuchObject) {
		t.Fatalf("removing a leftover: %v", err)
	}
	err := c.Add(ctx, dn, []ldap.Attribute{
		{Name: "objectClass", Values: [][]byte{[]byte("user")}},
		{Name: "sAMAccountName", Values: [][]byte{[]byte("e8344-wldap32")}},
	}, nil)
	if err != nil {
		t.Fatalf("add %q: %v", dn, err)
	}
	defer func() {
		if err := c.Delete(ctx, dn, nil); err != nil {
			t.Errorf("delete: %v", err)
		}
		if _, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Scope: ldap.ScopeBase}); !ldap.IsCode(err, ldap.ResultNoSuchObject) {
			t.Errorf("after delete: %v, want 32", err)
		}
	}()
	if err := c.Modify(ctx, dn, []ldap.Mod{{Op: ldap.ModReplace, Attr: "description", Values: [][]byte{[]byte(desc)}}}, nil); err != nil {
		t.Fatalf("modify description: %v", err)
	}
	es := search(t, c, &ldap.SearchRequest{BaseDN: "CN=Users," + base, Scope: ldap.ScopeSubtree,
		Filter: "(description=" + desc + ")", Attributes: []string{"description", "sAMAccountName"}})
	if len(es) != 1 {
		t.Fatalf("filter on the description found %d entries", len(es))
	}
	if !strings.EqualFold(es[0].DN, dn) || es[0].String("description") != desc {
		t.Errorf("round trip: DN %q description %q, want %q %q", es[0].DN, es[0].String("description"), dn, desc)
	}
	t.Logf("UTF-16 round trip: %s / %s", es[0].DN, es[0].String("description"))
}
