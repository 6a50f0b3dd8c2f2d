package sambatest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/goldap"
	"entra8344/internal/ntsd"
)

// TestSambaACLAgreement is the acceptance test of the offline access
// evaluation: for every generated DACL (aclcases_test.go) on a target user,
// ntsd's answer to "may the service account write msDS-KeyCredentialLink?"
// must equal what Samba does when that account, bound over LDAP, tries.
func TestSambaACLAgreement(t *testing.T) {
	d := needDC(t)
	ctx := bg(t, runTimeout)
	admin := d.dial(t, d.admin)
	tlsAdmin := d.raw(t, true)
	ou := d.newOU(t, tlsAdmin, "acl")

	// The service account (enabled, with a password, so it can bind), a
	// group it is a member of, and the target whose DACL the cases replace.
	run := randHex(6)
	svcPass := password()
	svcAdd := userAdd(ou, "svc-"+run, svcPass)
	tgtAdd := userAdd(ou, "tgt-"+run, "")
	grp := gl.NewAddRequest("CN=grp-"+run+","+ou, nil)
	grp.Attribute("objectClass", []string{"top", "group"})
	grp.Attribute("sAMAccountName", []string{"grp-" + run})
	grp.Attribute("member", []string{svcAdd.DN})
	for _, a := range []*gl.AddRequest{svcAdd, tgtAdd, grp} {
		if err := tlsAdmin.Add(a); err != nil {
			t.Fatalf("create %s: %v", a.DN, err)
		}
	}
	svc := d.dial(t, goldap.Options{BindDN: svcAdd.DN, Password: svcPass})

	w, sids := aclWorld(t, ctx, d, admin, svc, svcAdd.DN, grp.DN)
	target := tgtAdd.DN
	value := []byte("B:8:0102030A:" + target) // a valid DN-Binary value
	q := ntsd.WriteCheck{SIDs: sids, Attribute: w.attr, PropertySet: w.propSet, Class: w.class}

	var results []aclResult
	for i, c := range generateCases() {
		r := aclResult{n: i + 1, c: c}
		t.Run(fmt.Sprintf("%03d/%s", r.n, c.name()), func(t *testing.T) {
			written := dacl(w, c)
			raw := written.Marshal()
			if err := writeDACL(ctx, admin, target, raw); err != nil {
				t.Fatalf("write the DACL as Administrator: %v", err)
			}
			stored, err := readSD(ctx, admin, target)
			if err != nil {
				t.Fatalf("read the DACL back: %v", err)
			}
			r.normalized = !bytes.Equal(stored.Marshal(), raw)
			r.written = ntsd.CheckWriteProperty(written, q)
			r.stored = ntsd.CheckWriteProperty(stored, q)
			r.can = ntsd.CanWriteProperty(stored, sids, w.attr, w.propSet)
			r.samba, err = tryWrite(ctx, svc, admin, target, value, dacl(w, aclCase{}).Marshal())
			if err != nil {
				t.Fatal(err)
			}
			r.ran = true
			r.check(t, stored, &d.domainSID)
		})
		results = append(results, r)
	}
	logTable(t, results)
}

// aclWorld reads what the cases name: the account's SID set (objectSid and
// tokenGroups, read as the account itself, plus Everyone and Authenticated
// Users, which Samba puts in every bound user's token and tokenGroups
// omits), the group's SID, and the schema GUIDs.
func aclWorld(t *testing.T, ctx context.Context, d *dc, admin, svc ldap.Conn, svcDN, grpDN string) (world, []ntsd.SID) {
	t.Helper()
	es, err := svc.Search(ctx, &ldap.SearchRequest{BaseDN: svcDN, Attributes: []string{"objectSid", "tokenGroups"}})
	if err != nil || len(es) != 1 {
		t.Fatalf("read the account's objectSid and tokenGroups: %v", err)
	}
	var sids []ntsd.SID
	for _, v := range append(es[0].Values("objectSid"), es[0].Values("tokenGroups")...) {
		s, _, err := ntsd.ParseSID(v)
		if err != nil {
			t.Fatalf("SID %x: %v", v, err)
		}
		sids = append(sids, s)
	}
	sids = append(sids, ntsd.Everyone, ntsd.AuthenticatedUsers)
	grpSID, err := sidOf(ctx, admin, grpDN)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(sids, grpSID) {
		t.Fatalf("tokenGroups %v lacks the group %s", sids, grpSID)
	}
	id, set, err := d.schemaGUIDs(ctx, admin, "msDS-KeyCredentialLink", "description", "user", "computer")
	if err != nil {
		t.Fatal(err)
	}
	w := world{account: sids[0], group: grpSID, unrelated: d.domainSID.WithRID(501), domainAdmins: d.domainSID.WithRID(512),
		attr: id["msDS-KeyCredentialLink"], propSet: set["msDS-KeyCredentialLink"], otherAttr: id["description"],
		class: id["user"], otherClass: id["computer"]}
	if w.propSet.IsZero() {
		t.Fatal("msDS-KeyCredentialLink has no attributeSecurityGUID in this schema: the property-set cases would ask nothing")
	}
	t.Logf("account %s, token %d SIDs %v; group %s; msDS-KeyCredentialLink %s in property set %s",
		w.account, len(sids), sids, grpSID, w.attr, w.propSet)
	return w, sids
}

func contains(sids []ntsd.SID, s ntsd.SID) bool {
	for _, x := range sids {
		if x.Equal(s) {
			return true
		}
	}
	return false
}

// tryWrite adds value to msDS-KeyCredentialLink of target bound as the
// service account: true on success (then removes it again as
// Administrator, under the base DACL so that no case ACE can stand in the
// way), false on insufficientAccessRights (50); anything else is an error
// of the test, not an answer.
func tryWrite(ctx context.Context, svc, admin ldap.Conn, target string, value, base []byte) (bool, error) {
	err := svc.Modify(ctx, target, []ldap.Mod{{Op: ldap.ModAdd, Attr: "msDS-KeyCredentialLink", Values: [][]byte{value}}}, nil)
	switch {
	case ldap.IsCode(err, ldap.ResultInsufficientAccess):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("write msDS-KeyCredentialLink as the account: neither success nor insufficientAccessRights: %w", err)
	}
	if err := writeDACL(ctx, admin, target, base); err != nil {
		return true, fmt.Errorf("write the base DACL: %w", err)
	}
	if err := admin.Modify(ctx, target, []ldap.Mod{{Op: ldap.ModReplace, Attr: "msDS-KeyCredentialLink"}}, nil); err != nil {
		return true, fmt.Errorf("remove the value written: %w", err)
	}
	return true, nil
}

// aclResult is one case: the evaluator (CheckWriteProperty with the
// target's class, as detect calls it) on the DACL as written and as Samba
// stored it, CanWriteProperty (no class) on the stored one, and Samba's
// answer.
type aclResult struct {
	n                    int
	c                    aclCase
	ran, normalized      bool
	written, stored, can ntsd.Decision
	samba                bool
}

func (r aclResult) agrees() bool {
	return r.ran && r.stored.Allowed == r.samba && r.written.Allowed == r.samba
}

// check asserts one case. A case Samba answers differently from MS-DTYP on
// purpose (sambaDeviation) must still differ, so nothing is silently
// accepted; CanWriteProperty may differ from CheckWriteProperty only where
// an object ACE names the target's class, which it cannot know.
func (r aclResult) check(t *testing.T, stored *ntsd.SecurityDescriptor, domain *ntsd.SID) {
	t.Helper()
	if r.normalized {
		t.Logf("Samba stored the DACL as %s", stored.SDDL(domain))
	}
	dev := sambaDeviation(r.c)
	switch {
	case dev == "" && !r.agrees():
		t.Errorf("DISAGREEMENT: Samba allowed=%v; evaluator on the DACL written allowed=%v (%s); on the DACL stored allowed=%v (%s)",
			r.samba, r.written.Allowed, r.written.Reason, r.stored.Allowed, r.stored.Reason)
	case dev != "" && (r.samba == r.stored.Allowed || r.samba == r.written.Allowed):
		t.Errorf("Samba no longer deviates here (allowed=%v, as the evaluator says): drop the sambaDeviation rule: %s", r.samba, dev)
	case dev != "":
		t.Logf("known Samba deviation, asserted: Samba allowed=%v, evaluator %v: %s", r.samba, r.stored.Allowed, dev)
	}
	if r.can.Allowed != r.stored.Allowed {
		usesClass := false
		for _, a := range r.c.aces {
			usesClass = usesClass || a.right == wpClass
		}
		if !usesClass {
			t.Errorf("CanWriteProperty allowed=%v but CheckWriteProperty allowed=%v without a class ACE", r.can.Allowed, r.stored.Allowed)
		} else {
			t.Logf("CanWriteProperty (no object class) says allowed=%v; Samba and CheckWriteProperty with Class=user (what detect calls) say %v", r.can.Allowed, r.samba)
		}
	}
}

// logTable logs every case and a summary by dimension.
func logTable(t *testing.T, rs []aclResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-4s %-13s %-62s %-7s %-7s %-5s %s\n", "#", "dimension", "case ACEs (before the base)", "eval", "samba", "agree", "note")
	type tally struct{ n, agree, dev, canDiff int }
	by := map[string]*tally{}
	var total tally
	for _, r := range rs {
		note := ""
		if r.normalized {
			note = "stored≠written"
		}
		if sambaDeviation(r.c) != "" {
			note = strings.TrimSpace(note + " samba-deviation(CR)")
		}
		if r.can.Allowed != r.stored.Allowed {
			note = strings.TrimSpace(note + " CanWriteProperty=" + verdict(r.can.Allowed))
		}
		aces := strings.TrimPrefix(r.c.name(), r.c.dim+"/")
		fmt.Fprintf(&b, "%-4d %-13s %-62s %-7s %-7s %-5v %s\n", r.n, r.c.dim, aces, verdict(r.stored.Allowed), verdict(r.samba), r.agrees(), note)
		for _, x := range []*tally{&total, by[r.c.dim]} {
			if x == nil {
				x = &tally{}
				by[r.c.dim] = x
			}
			x.n++
			if r.agrees() {
				x.agree++
			}
			if sambaDeviation(r.c) != "" {
				x.dev++
			}
			if r.can.Allowed != r.stored.Allowed {
				x.canDiff++
			}
		}
	}
	for _, dim := range []string{"scope", "flags", "order", "controlAccess"} {
		if x := by[dim]; x != nil {
			fmt.Fprintf(&b, "%-13s %3d cases, %3d agree, %d known Samba deviations, %d where CanWriteProperty lacks the class\n", dim, x.n, x.agree, x.dev, x.canDiff)
		}
	}
	fmt.Fprintf(&b, "%-13s %3d cases, %3d agree, %d known Samba deviations, %d where CanWriteProperty lacks the class\n", "TOTAL", total.n, total.agree, total.dev, total.canDiff)
	t.Log(b.String())
	// The question the brief asks: does InheritedObjectType restrict the check?
	for _, r := range rs {
		a := r.c.aces[0]
		if r.ran && r.c.dim == "flags" && !a.deny && a.right == wpAttr && a.flags == flagsNone && a.iot == iotComputer {
			t.Logf("InheritedObjectType: %s on a user object -> Samba %s (ntsd ignores it: %s)", a, verdict(r.samba), verdict(r.stored.Allowed))
		}
	}
}

func verdict(allowed bool) string {
	if allowed {
		return "allow"
	}
	return "deny"
}
