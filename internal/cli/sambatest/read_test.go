package sambatest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
)

const (
	numObjects = 1000
	// maxOps is the acceptance bound on LDAP operations for numObjects
	// failing objects: the reads are batched, so it must not grow with them.
	maxOps = 15
	// addWorkers is the number of connections the users are added over.
	// Measured on the 2-core machine: 1 and 4 connections are equally fast
	// (Samba runs each add inside its one ldb transaction lock), about
	// 6 ms per user with the script's smb.conf, about 3 ms with
	// "ldb:nosync = true" (no fdatasync per commit); a few in flight only
	// hide the round trips.
	addWorkers = 4
)

// kind is what a failing object is made to look like.
type kind int

const (
	unprotected kind = iota // an ordinary user, inheriting its DACL from the OU
	protected               // adminCount=1, member of Domain Admins, AdminSDHolder's DACL, protected
	stale                   // adminCount=1 and the protected DACL, but in no protected group any more
)

func kindOf(i int) kind {
	switch {
	case i == numObjects-1:
		return stale
	case i%2 == 0:
		return protected
	}
	return unprotected
}

// TestSambaRead1000 reads a connector account and 1,000 failing objects
// through ad.Read (the tool's own batched reads, over goldap) and checks
// every fact the diagnosis needs, and that the number of LDAP operations
// stays under maxOps. Samba has no SDProp (samba-dc.md), so the test plays
// it: the protected objects get adminCount=1 and AdminSDHolder's DACL with
// inheritance blocked when they are created.
func TestSambaRead1000(t *testing.T) {
	d := needDC(t)
	ctx := bg(t, runTimeout)
	admin := d.dial(t, d.admin)
	tlsAdmin := d.raw(t, true)
	ou := d.newOU(t, tlsAdmin, "read")

	holderDN := ad.AdminSDHolderDN(d.base)
	holder, err := readSD(ctx, admin, holderDN)
	if err != nil {
		t.Fatal(err)
	}
	holder.Control |= ntsd.ControlDACLProtected
	protectedSD := holder.Marshal()

	// The connector account: MSOL_ and 12 hex digits, like an express
	// install's, with a password so that the non-admin read can bind as it.
	msol := "MSOL_" + randHex(12)
	msolPass := password()
	msolAdd := userAdd(ou, msol, msolPass)
	if err := tlsAdmin.Add(msolAdd); err != nil {
		t.Fatalf("create %s: %v", msolAdd.DN, err)
	}

	run := randHex(6)
	start := time.Now()
	dns, err := addUsers(d, t, ou, run, protectedSD)
	if err != nil {
		t.Fatal(err)
	}
	added := time.Since(start)
	var members []string
	for i, dn := range dns {
		if kindOf(i) == protected {
			members = append(members, dn)
		}
	}
	if err := addMembers(tlsAdmin, "CN=Domain Admins,CN=Users,"+d.base, members); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Deleting the users drops their membership too; this leaves
		// Domain Admins as it was even if the OU could not be deleted.
		mr := gl.NewModifyRequest("CN=Domain Admins,CN=Users,"+d.base, nil)
		mr.Delete("member", members)
		if err := tlsAdmin.Modify(mr); err != nil && !gl.IsErrorWithCode(err, gl.LDAPResultNoSuchAttribute) {
			t.Errorf("remove the test users from Domain Admins: %v", err)
		}
	})
	setup := time.Since(start)
	t.Logf("setup: %d users (%d protected, 1 stale) added over %d connections in %v, %d Domain Admins members in one modify in %v: %v",
		len(dns), len(members), addWorkers, added.Round(time.Millisecond), len(members),
		(setup - added).Round(time.Millisecond), setup.Round(time.Millisecond))

	req := ad.Request{
		Accounts:   []ad.AccountRef{{Connector: "test.example", Domain: "TEST", User: msol}},
		Attributes: []string{"msDS-KeyCredentialLink"},
		Objects:    dns,
	}
	dialer := goldap.Dialer{URL: d.url, Options: d.admin}
	s := readCounted(t, dialer, req)
	checkSnapshot(t, s, d, msolAdd.DN, dns, "Administrator")

	// The same read as the connector account itself, a non-admin: it may
	// read everything but must not be able to change AdminSDHolder's DACL.
	dialer.Options = goldap.Options{BindDN: msolAdd.DN, Password: msolPass}
	s = readCounted(t, dialer, req)
	checkSnapshot(t, s, d, msolAdd.DN, dns, msol)
	if v := s.Domains[0].AdminSDHolder.SDRightsEffective; v == nil || *v&4 != 0 {
		t.Errorf("sDRightsEffective on AdminSDHolder for %s = %v, want present without WRITE_DAC (4)", msol, show(v))
	}
}

// addUsers adds numObjects users to ou with plain Add requests over
// addWorkers connections and returns their DNs in index order. The
// protected ones get adminCount and their SD in the Add itself, so that
// playing SDProp costs no extra operation.
func addUsers(d *dc, t *testing.T, ou, run string, protectedSD []byte) ([]string, error) {
	dns := make([]string, numObjects)
	errs := make(chan error, addWorkers)
	var wg sync.WaitGroup
	for w := 0; w < addWorkers; w++ {
		c := d.raw(t, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < numObjects; i += addWorkers {
				add := userAdd(ou, fmt.Sprintf("e8-%s-%04d", run, i), "")
				if k := kindOf(i); k != unprotected {
					add.Attribute("adminCount", []string{"1"})
					add.Attribute("nTSecurityDescriptor", []string{string(protectedSD)})
				}
				if err := c.Add(add); err != nil {
					errs <- fmt.Errorf("add %s: %w", add.DN, err)
					return
				}
				dns[i] = add.DN
			}
		}()
	}
	wg.Wait()
	close(errs)
	return dns, <-errs
}

func addMembers(c *gl.Conn, group string, members []string) error {
	mr := gl.NewModifyRequest(group, nil)
	mr.Add("member", members)
	if err := c.Modify(mr); err != nil {
		return fmt.Errorf("add %d members to %s: %w", len(members), group, err)
	}
	return nil
}

// readCounted runs ad.Read through ldap.Counter (the acceptance count) and
// a log of every operation, and checks the count.
func readCounted(t *testing.T, dialer ldap.Dialer, req ad.Request) *ad.Snapshot {
	t.Helper()
	counter := ldap.NewCounter(nil)
	ops := &opLog{}
	start := time.Now()
	s, err := ad.Read(bg(t, runTimeout), counter.Dialer(logDialer{d: dialer, log: ops}), req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("ad.Read: %v", err)
	}
	t.Logf("ad.Read as %s of %d objects: %d LDAP operations (%d searches, %d modifies) on %d connection(s) in %v:\n%s",
		bindName(dialer), len(req.Objects), counter.Ops(), counter.Searches(), counter.Modifies(), counter.Dials(),
		took.Round(time.Millisecond), strings.Join(ops.lines, "\n"))
	if counter.Ops() >= maxOps {
		t.Errorf("%d LDAP operations for %d objects, want fewer than %d", counter.Ops(), len(req.Objects), maxOps)
	}
	for _, w := range s.Warnings {
		t.Errorf("warning %s on %s: %s", w.Code, w.Object, w.Message)
	}
	return s
}

func bindName(d ldap.Dialer) string {
	if g, ok := d.(goldap.Dialer); ok {
		return g.Options.BindDN
	}
	return "?"
}

// checkSnapshot asserts what ad.Read must have found.
func checkSnapshot(t *testing.T, s *ad.Snapshot, d *dc, msolDN string, dns []string, who string) {
	t.Helper()
	if len(s.Domains) != 1 {
		t.Fatalf("%d domains read, want 1 (%s)", len(s.Domains), d.base)
	}
	dom := s.Domains[0]
	if !dom.SID.Equal(d.domainSID) {
		t.Errorf("domain SID %s, want %s", dom.SID, d.domainSID)
	}
	// The script provisions host dc1 in realm TEST.EXAMPLE.
	if dom.PDCEmulator != "dc1.test.example" {
		t.Errorf("PDC emulator %q, want dc1.test.example", dom.PDCEmulator)
	}
	h := dom.AdminSDHolder
	switch {
	case h == nil || h.SD == nil:
		t.Fatalf("AdminSDHolder not read: %+v", h)
	case h.SD.Owner != nil || h.SD.Group != nil || h.SD.SACL != nil || h.SD.DACL == nil:
		t.Errorf("AdminSDHolder SD is not DACL-only: %s", h.SD.SDDL(&dom.SID))
	case !bytes.HasPrefix(h.Raw, []byte{1, 0, 4, 0x84}) && !bytes.HasPrefix(h.Raw, []byte{1, 0, 4, 0x94}):
		t.Errorf("AdminSDHolder SD header % x, want 01 00 04 84 or 01 00 04 94", h.Raw[:4])
	}
	t.Logf("as %s: AdminSDHolder %d bytes, header %s, %d ACEs, sDRightsEffective %s; domain %s, PDC %s",
		who, len(h.Raw), hex.EncodeToString(h.Raw[:4]), len(h.SD.DACL.ACEs), show(h.SDRightsEffective), dom.SID, dom.PDCEmulator)
	if who == "Administrator" && (h.SDRightsEffective == nil || *h.SDRightsEffective != 15) {
		t.Errorf("sDRightsEffective for Administrator = %s, want 15", show(h.SDRightsEffective))
	}
	if a := s.Attributes["msds-keycredentiallink"]; a == nil || !a.Found ||
		a.SchemaIDGUID != ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063") {
		t.Errorf("msDS-KeyCredentialLink schema: %+v", a)
	}
	checkAccount(t, s, msolDN)
	userClass := ntsd.MustGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	counts := map[string]int{}
	for i, dn := range dns {
		o := s.Objects[normalDN(t, dn)]
		if o == nil || !o.Found || o.SD == nil || o.Err != "" {
			t.Errorf("object %s: %+v", dn, o)
			continue
		}
		if got := s.ClassOf(o); got != userClass {
			t.Errorf("object %s: structural class %q, schemaIDGUID %s, want user %s", dn, o.StructuralClass(), got, userClass)
		}
		k := kindOf(i)
		p := s.ProtectionOf(o)
		wantCount := k != unprotected
		gotCount := o.AdminCount != nil && *o.AdminCount == 1
		if gotCount != wantCount || o.SD.DACLProtected() != wantCount || !p.Known ||
			(p.By == "member of Domain Admins") != (k == protected) || (k != protected && p.By != "") {
			t.Errorf("object %d %s (kind %d): adminCount %s, DACL protected %v, protection %+v", i, dn, k, show(o.AdminCount), o.SD.DACLProtected(), p)
		}
		counts[fmt.Sprintf("kind %d, adminCount %s, protected DACL %v, %q", k, show(o.AdminCount), o.SD.DACLProtected(), p.By)]++
	}
	t.Logf("objects as read by %s: %v", who, counts)
}

// normalDN is the key of Snapshot.Objects (ldap's normalised DN).
func normalDN(t *testing.T, dn string) string {
	p, err := ldap.ParseDN(dn)
	if err != nil {
		t.Fatalf("DN %q: %v", dn, err)
	}
	return p.Normal()
}

func checkAccount(t *testing.T, s *ad.Snapshot, msolDN string) {
	t.Helper()
	if len(s.Accounts) != 1 || !s.Accounts[0].Found {
		t.Fatalf("connector account not resolved: %+v", s.Accounts)
	}
	a := s.Accounts[0]
	if !ldap.EqualDN(a.DN, msolDN) {
		t.Errorf("account DN %s, want %s", a.DN, msolDN)
	}
	if rid, ok := a.SID.RID(); !ok || rid < 1000 || !ad.IsOrdinaryAccountSID(a.SID) {
		t.Errorf("account SID %s", a.SID)
	}
	domainUsers := s.Domains[0].SID.WithRID(513)
	if !contains(a.Groups, domainUsers) {
		t.Errorf("tokenGroups %v lack Domain Users %s", a.Groups, domainUsers)
	}
	t.Logf("account %s: SID %s, %d tokenGroups %v", a.Ref.User, a.SID, len(a.Groups), a.Groups)
}

func show(v *int64) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprint(*v)
}

// opLog records every operation ad.Read makes, with what it returned.
type opLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *opLog) add(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("  %2d. ", len(l.lines)+1)+fmt.Sprintf(format, a...))
}

type logDialer struct {
	d   ldap.Dialer
	log *opLog
}

func (ld logDialer) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	c, err := ld.d.Dial(ctx, host)
	if err != nil {
		ld.log.add("dial %q: %v", host, err)
		return nil, err
	}
	return logConn{Conn: c, log: ld.log}, nil
}

type logConn struct {
	ldap.Conn
	log *opLog
}

func (c logConn) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	start := time.Now()
	es, err := c.Conn.Search(ctx, req)
	f := req.Filter
	if len(f) > 70 {
		f = fmt.Sprintf("%s... (%d bytes)", f[:60], len(f))
	}
	c.log.add("search %-4s %-45q %-75s -> %4d entries, %v, err %v", req.Scope, trim(req.BaseDN, 45), f, len(es), time.Since(start).Round(time.Millisecond), err)
	return es, err
}

func (c logConn) Modify(ctx context.Context, dn string, mods []ldap.Mod, controls []ldap.Control) error {
	err := c.Conn.Modify(ctx, dn, mods, controls)
	c.log.add("modify %s: err %v", dn, err)
	return err
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}
