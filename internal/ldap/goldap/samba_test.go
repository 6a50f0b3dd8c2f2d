package goldap

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ldap"
)

// Integration tests against a real Samba AD DC; they run only when
// SAMBA_DC_LDAP_URL is set (see /work/shared/reference/samba-dc.md).

func sambaConn(t *testing.T, modify ...func(*Options)) (ldap.Conn, string) {
	t.Helper()
	rawURL, opts, ok := FromSambaEnv()
	if !ok {
		t.Skip("SAMBA_DC_LDAP_URL not set")
	}
	base := os.Getenv("SAMBA_DC_BASE_DN")
	if base == "" {
		t.Fatal("SAMBA_DC_BASE_DN not set")
	}
	for _, m := range modify {
		m(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, rawURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, base
}

func TestSambaRootDSE(t *testing.T) {
	c, base := sambaConn(t)
	got, err := c.Search(context.Background(), &ldap.SearchRequest{Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext", "dnsHostName", "supportedControl"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].DN != "" || !ldap.EqualDN(got[0].String("defaultNamingContext"), base) {
		t.Fatalf("rootDSE = %+v", got)
	}
	sdFlags := false
	for _, v := range got[0].Values("supportedControl") {
		sdFlags = sdFlags || string(v) == ldap.OIDSDFlags
	}
	if !sdFlags {
		t.Errorf("SD flags control not in supportedControl")
	}
	t.Logf("rootDSE: defaultNamingContext=%s dnsHostName=%s", got[0].String("defaultNamingContext"), got[0].String("dnsHostName"))
}

func TestSambaAdminSDHolderDACL(t *testing.T) {
	c, base := sambaConn(t)
	dn := "CN=AdminSDHolder,CN=System," + base
	got, err := c.Search(context.Background(), &ldap.SearchRequest{BaseDN: dn, Filter: "(objectClass=*)", Attributes: []string{"nTSecurityDescriptor"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if err != nil {
		t.Fatal(err)
	}
	sd := got[0].Value("nTSecurityDescriptor")
	if len(sd) < 28 {
		t.Fatalf("SD %x", sd)
	}
	// DACL only: header 01 00 04 84, owner/group/SACL offsets 0, DACL at 20.
	if h := hex.EncodeToString(sd[:4]); h != "01000484" {
		t.Errorf("header %s, want 01000484", h)
	}
	for i, name := range []string{"owner", "group", "SACL"} {
		if off := binary.LittleEndian.Uint32(sd[4+4*i:]); off != 0 {
			t.Errorf("%s offset %d, want 0", name, off)
		}
	}
	if off := binary.LittleEndian.Uint32(sd[16:]); off != 20 {
		t.Errorf("DACL offset %d, want 20", off)
	}
	t.Logf("AdminSDHolder DACL-only SD: %d bytes, first 32: % x", len(sd), sd[:32])
}

func TestSambaTokenGroups(t *testing.T) {
	c, base := sambaConn(t)
	admin := os.Getenv("SAMBA_DC_ADMIN_DN")
	if admin == "" {
		admin = "CN=Administrator,CN=Users," + base
	}
	got, err := c.Search(context.Background(), &ldap.SearchRequest{BaseDN: admin, Filter: "(objectClass=*)", Attributes: []string{"tokenGroups", "objectSid"}})
	if err != nil {
		t.Fatal(err)
	}
	tg := got[0].Values("tokenGroups")
	if len(tg) == 0 {
		t.Fatalf("no tokenGroups on a BASE search")
	}
	for _, v := range tg {
		if len(v) < 8 || v[0] != 1 || len(v) != 8+4*int(v[1]) {
			t.Errorf("tokenGroups value %x is not a binary SID", v)
		}
	}
	// Not on a subtree search: Samba 4.17 answers operationsError, unless
	// the search is paged (then it computes tokenGroups per entry).
	subtree := &ldap.SearchRequest{BaseDN: base, Scope: ldap.ScopeSubtree, Filter: "(sAMAccountName=Administrator)", Attributes: []string{"tokenGroups"}}
	unpaged, _ := sambaConn(t, func(o *Options) { o.PageSize = -1 })
	_, err = unpaged.Search(context.Background(), subtree)
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultOperationsError || !strings.Contains(le.Message, "Cannot provide tokenGroups attribute, this is not a BASE search") {
		t.Errorf("tokenGroups on an unpaged subtree search: %v", err)
	} else {
		t.Logf("unpaged subtree tokenGroups: %v", err)
	}
	paged, err := c.Search(context.Background(), subtree)
	t.Logf("paged subtree tokenGroups: %d entries, %d values, err %v", len(paged), len(firstValues(paged, "tokenGroups")), err)
	t.Logf("tokenGroups: %d SIDs", len(tg))
}

func TestSambaNoSuchObject(t *testing.T) {
	c, base := sambaConn(t)
	dn := "CN=entra8344-missing,CN=Users," + base
	_, err := c.Search(context.Background(), &ldap.SearchRequest{BaseDN: dn, Filter: "(objectClass=*)"})
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultNoSuchObject || le.Op != "search" || le.DN != dn {
		t.Fatalf("error %#v", err)
	}
	t.Logf("missing DN: %v", err)
}

func TestSambaRootDSEModifyRefused(t *testing.T) {
	c, _ := sambaConn(t)
	err := c.Modify(context.Background(), "", []ldap.Mod{{Op: ldap.ModAdd, Attr: "runProtectAdminGroupsTask", Values: [][]byte{[]byte("1")}}}, nil)
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultUnwillingToPerform {
		t.Fatalf("error %#v", err)
	}
	t.Logf("runProtectAdminGroupsTask: %v", err)
}

func TestSambaCancelledContext(t *testing.T) {
	c, base := sambaConn(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: base}); !ldap.IsCode(err, ldap.ResultTimeout) {
		t.Errorf("cancelled search: %v", err)
	}
}

func TestSambaRewriteSameDACL(t *testing.T) {
	c, base := sambaConn(t)
	dn := "CN=AdminSDHolder,CN=System," + base
	ctl := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	read := func() []byte {
		got, err := c.Search(context.Background(), &ldap.SearchRequest{BaseDN: dn, Attributes: []string{"nTSecurityDescriptor"}, Controls: ctl})
		if err != nil {
			t.Fatal(err)
		}
		return got[0].Value("nTSecurityDescriptor")
	}
	before := read()
	// Writing back the same DACL (binary value, SD flags control, replace) changes nothing.
	if err := c.Modify(context.Background(), dn, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{before}}}, ctl); err != nil {
		t.Fatal(err)
	}
	if after := read(); string(after) != string(before) {
		t.Errorf("DACL changed by an identical write:\n%x\n%x", before, after)
	}
}

func TestSambaBadPassword(t *testing.T) {
	rawURL, opts, ok := FromSambaEnv()
	if !ok {
		t.Skip("SAMBA_DC_LDAP_URL not set")
	}
	opts.Password += "-wrong"
	_, err := Dial(context.Background(), rawURL, opts)
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultInvalidCredentials || le.Op != "bind" {
		t.Fatalf("error %#v", err)
	}
	t.Logf("bad password: %v", err)
}

func firstValues(es []*ldap.Entry, attr string) [][]byte {
	if len(es) == 0 {
		return nil
	}
	return es[0].Values(attr)
}
