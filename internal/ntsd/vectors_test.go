package ntsd

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ws2022SDDL is AdminSDHolder of a fresh Windows Server 2022 forest. The
// DACL is a Get-Acl dump of a WS2022 DC published in a public hardening
// script (its order and its eleven Pre-Windows-2000 ACEs differ slightly
// from the summary in reference/ad-adminsdholder.md §2.1, which elides the
// GUIDs); the SACL is the one in §2.1, whose binary form matches an
// independent capture (realSACLHex). Only the domain SID was replaced.
// Windows prints Enterprise Admins (-519) numerically, and so do we.
const ws2022SDDL = "O:DAG:DAD:PAI" +
	"(A;;LCRPLORC;;;AU)" +
	"(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)" +
	"(A;;CCDCLCSWRPWPLOCRSDRCWDWO;;;BA)" +
	"(A;;CCDCLCSWRPWPLOCRRCWDWO;;;DA)" +
	"(A;;CCDCLCSWRPWPLOCRRCWDWO;;;S-1-5-21-1004336348-1177238915-682003330-519)" +
	"(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)" +
	"(OA;CI;RPWPCR;91e647de-d96f-4b70-9557-d63ff4f3ccd8;;PS)" +
	"(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;PS)" +
	"(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;RU)" +
	"(OA;;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;bf967aba-0de6-11d0-a285-00aa003049e2;RU)" +
	"(OA;;LCRPLORC;;bf967aba-0de6-11d0-a285-00aa003049e2;RU)" +
	"(OA;;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;bf967aba-0de6-11d0-a285-00aa003049e2;RU)" +
	"(OA;;RP;037088f8-0ae1-11d2-b422-00a0c968f939;bf967aba-0de6-11d0-a285-00aa003049e2;RU)" +
	"(OA;;RP;037088f8-0ae1-11d2-b422-00a0c968f939;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)" +
	"(OA;;RP;59ba2f42-79a2-11d0-9020-00c04fc2d3cf;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)" +
	"(OA;;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)" +
	"(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)" +
	"(OA;;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)" +
	"(OA;;LCRPLORC;;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)" +
	"(OA;;RP;46a9b11d-60ae-405a-b7e8-ff8a58d456d2;;S-1-5-32-560)" +
	"(OA;;RPWP;6db69a1c-9422-11d1-aebd-0000f80367c1;;S-1-5-32-561)" +
	"(OA;;RPWP;5805bc62-bdc9-4428-a5e2-856a0f4c185e;;S-1-5-32-561)" +
	"(OA;;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;;CA)" +
	"S:AI(AU;SA;WPWDWO;;;WD)" +
	"(OU;CIIOIDSA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)" +
	"(OU;CIIOIDSA;WP;f30e3bbf-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)"

// realSACLHex is that SACL as Windows encodes it, captured independently of
// this project (test vector of the LdapTools PHP library, Sacl spec).
const realSACLHex = "04008c00030000000240140020000c00010100000000000100000000075a3800200000000300" +
	"0000be3b0ef3f09fd111b6030000f80367c1a57a96bfe60dd011a28500aa003049e201010000000000010000" +
	"0000075a38002000000003000000bf3b0ef3f09fd111b6030000f80367c1a57a96bfe60dd011a28500aa0030" +
	"49e2010100000000000100000000"

// builtVectors are golden descriptors generated from SDDL by the test
// builder (go test -run TestBuiltVectors -update rewrites the .hex files).
var builtVectors = []struct{ file, sddl string }{
	{"ws2022-adminsdholder.hex", ws2022SDDL},
	// A revision-2 DACL (no object ACE) with an explicit deny, an explicit
	// allow and an inherited ACE; Insert of an object ACE must raise the
	// revision and Remove must lower it again.
	{"rev2-inherited.hex", "O:BAG:SYD:AI(D;;WP;;;AN)(A;;RPWP;;;S-1-5-21-1004336348-1177238915-682003330-1109)(A;CIID;LCRPLORC;;;AU)"},
	// DACL present but NULL: everything allowed.
	{"null-dacl.hex", "O:DAG:DAD:NO_ACCESS_CONTROL"},
	// DACL present and empty: nothing allowed.
	{"empty-dacl.hex", "O:DAG:DAD:P"},
}

func TestBuiltVectors(t *testing.T) {
	for _, v := range builtVectors {
		t.Run(v.file, func(t *testing.T) {
			b, err := sddlToBytes(v.sddl, testDomain)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", v.file)
			if *update {
				var sb strings.Builder
				sb.WriteString("# Built from SDDL by sddlbuild_test.go (domain " + testDomain + "):\n")
				for s := v.sddl; s != ""; {
					n := min(len(s), 90)
					sb.WriteString("#   " + s[:n] + "\n")
					s = s[n:]
				}
				sb.WriteString(formatHex(b))
				if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			file := readHex(t, path)
			if !bytes.Equal(file, b) {
				t.Fatalf("%s differs from what the builder makes of its SDDL (run with -update if the SDDL changed on purpose)", path)
			}
			sd, err := Parse(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := sd.SDDL(&testDomainSID); got != v.sddl {
				t.Errorf("SDDL renders\n%s\nwant\n%s", got, v.sddl)
			}
			if got := sd.Marshal(); !bytes.Equal(got, file) {
				t.Errorf("Marshal is not byte-exact: %s", firstDiff(got, file))
			}
		})
	}
}

func TestWS2022Details(t *testing.T) {
	b := readHex(t, "testdata/ws2022-adminsdholder.hex")
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Control != 0x9C14 {
		t.Errorf("control 0x%04x, want 0x9c14 (SR|SACL_AI|DACL_P|DACL_AI|SACL|DACL)", sd.Control)
	}
	if !sd.DACLProtected() {
		t.Error("DACLProtected() = false for AdminSDHolder")
	}
	if sd.DACL.Revision != 4 || len(sd.DACL.ACEs) != 23 || len(sd.SACL.ACEs) != 3 {
		t.Errorf("DACL rev %d with %d ACEs, SACL %d ACEs; want rev 4, 23, 3", sd.DACL.Revision, len(sd.DACL.ACEs), len(sd.SACL.ACEs))
	}
	if got := sd.Owner.String(); got != testDomain+"-512" {
		t.Errorf("owner %s", got)
	}
	// Windows order: SACL right after the header, then DACL, owner, group.
	if off := int(b[12]) | int(b[13])<<8; off != 20 {
		t.Errorf("SACL offset %d, want 20", off)
	}
	want, _ := hex.DecodeString(realSACLHex)
	if got := sd.SACL.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("SACL differs from the independent Windows capture: %s", firstDiff(got, want))
	}
	// Fully qualified rendering without a domain.
	if got := sd.SDDL(nil); !strings.HasPrefix(got, "O:"+testDomain+"-512G:"+testDomain+"-512D:PAI(A;;LCRPLORC;;;AU)") {
		t.Errorf("SDDL(nil) = %.80s...", got)
	}
	// With the forest root known, -519 becomes EA.
	if got := sd.SDDLWith(SDDLContext{Domain: &testDomainSID, RootDomain: &testDomainSID}); !strings.Contains(got, "(A;;CCDCLCSWRPWPLOCRRCWDWO;;;EA)") {
		t.Errorf("SDDLWith(root) lacks EA: %s", got)
	}
}

// TestDACLOnlyVector checks the SD-flags=4 form field by field (reference
// §3.1 and §3.2).
func TestDACLOnlyVector(t *testing.T) {
	b := readHex(t, "testdata/dacl-only.hex")
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Revision != 1 || sd.Control != 0x8404 || sd.Owner != nil || sd.Group != nil || sd.SACL != nil {
		t.Errorf("header: rev %d control 0x%04x owner %v group %v sacl %v", sd.Revision, sd.Control, sd.Owner, sd.Group, sd.SACL)
	}
	if sd.DACL == nil || len(sd.DACL.ACEs) != 1 {
		t.Fatalf("DACL %+v", sd.DACL)
	}
	want := NewObjectAllow(RightWriteProperty, keyCredentialLink, testDomainSID.WithRID(1109))
	if got := sd.DACL.ACEs[0]; !got.Equal(want) {
		t.Errorf("ACE %s, want %s", got.SDDL(nil), want.SDDL(nil))
	}
	if got, w := sd.SDDL(&testDomainSID), "D:AI(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;"+testDomain+"-1109)"; got != w {
		t.Errorf("SDDL %s, want %s", got, w)
	}
	// Building the same descriptor by hand gives the same bytes.
	hand := &SecurityDescriptor{Revision: 1, Control: 0x8404, DACL: &ACL{Revision: 4, ACEs: []ACE{want}}}
	if got := hand.Marshal(); !bytes.Equal(got, b) {
		t.Errorf("hand-built descriptor: %s", firstDiff(got, b))
	}
}

// TestRoundTripTestdata runs every testdata/*.hex through Parse, Marshal,
// SDDL and Insert+Remove. Vectors captured elsewhere (e.g. the Samba 4.17
// ones, testdata/samba417-*.hex) are picked up just by being dropped there.
func TestRoundTripTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.hex")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("only %d testdata/*.hex files; the vectors are missing", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b := readHex(t, path)
			sd, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := sd.Marshal(); !bytes.Equal(got, b) {
				t.Fatalf("Marshal is not byte-exact: %s", firstDiff(got, b))
			}
			sddl := sd.SDDL(domainHint(sd))
			golden := strings.TrimSuffix(path, ".hex") + ".sddl"
			if *update && !isBuiltVector(path) {
				if err := os.WriteFile(golden, []byte(sddl+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, err := os.ReadFile(golden); err == nil && strings.TrimSpace(string(want)) != sddl {
				t.Errorf("SDDL\n%s\nwant (%s)\n%s", sddl, golden, want)
			}
			checkInsertRemove(t, sd, b)
		})
	}
}

func isBuiltVector(path string) bool {
	for _, v := range builtVectors {
		if filepath.Base(path) == v.file {
			return true
		}
	}
	return false
}

// domainHint picks the domain for alias rendering: the owner's domain, else
// the first domain account SID found in the DACL.
func domainHint(sd *SecurityDescriptor) *SID {
	cands := []SID{}
	if sd.Owner != nil {
		cands = append(cands, *sd.Owner)
	}
	if sd.DACL != nil {
		for _, a := range sd.DACL.ACEs {
			cands = append(cands, a.SID)
		}
	}
	for _, s := range cands {
		if d, ok := s.Domain(); ok && len(d.Sub) == 4 && d.Sub[0] == 21 {
			return &d
		}
	}
	return nil
}

// checkInsertRemove inserts new ACEs of each kind into the DACL (and an audit
// ACE into the SACL), checks the result re-parses with the ACE where Insert
// said, then removes them and wants the original bytes back.
func checkInsertRemove(t *testing.T, sd *SecurityDescriptor, orig []byte) {
	t.Helper()
	unique := MustSID("S-1-5-21-4000000001-4000000002-4000000003-77777")
	probes := []ACE{
		NewObjectAllow(RightWriteProperty, keyCredentialLink, unique),
		{Type: AccessDeniedObject, Mask: RightWriteProperty, ObjectFlags: ObjectTypePresent, ObjectType: consistencyGUID, SID: unique},
		{Type: AccessAllowed, Flags: Inherited | ContainerInherit, Mask: RightReadProperty, SID: unique},
	}
	type target struct {
		name string
		acl  *ACL
		ace  ACE
	}
	var targets []target
	if sd.DACL != nil {
		for _, p := range probes {
			targets = append(targets, target{"DACL", sd.DACL, p})
		}
	}
	if sd.SACL != nil {
		targets = append(targets, target{"SACL", sd.SACL, ACE{Type: SystemAudit, Flags: FailedAccess, Mask: RightWriteProperty, SID: unique}})
	}
	for _, tg := range targets {
		idx := tg.acl.Insert(tg.ace)
		if idx < 0 {
			t.Fatalf("%s Insert(%s) refused", tg.name, tg.ace.SDDL(nil))
		}
		changed := sd.Marshal()
		if len(changed) != len(orig)+len(tg.ace.Bytes()) {
			t.Errorf("%s Insert(%s): descriptor grew by %d bytes, want %d", tg.name, tg.ace.SDDL(nil), len(changed)-len(orig), len(tg.ace.Bytes()))
		}
		re, err := Parse(changed)
		if err != nil {
			t.Fatalf("%s Insert(%s): result does not parse: %v", tg.name, tg.ace.SDDL(nil), err)
		}
		reACL := re.DACL
		if tg.name == "SACL" {
			reACL = re.SACL
		}
		if got := reACL.ACEs[idx]; !got.Equal(tg.ace) {
			t.Errorf("%s Insert returned %d but the re-parsed ACE there is %s", tg.name, idx, got.SDDL(nil))
		}
		if !bytes.Equal(re.Marshal(), changed) {
			t.Errorf("%s: Parse(Marshal()) does not marshal to the same bytes", tg.name)
		}
		if !tg.acl.Remove(tg.ace) {
			t.Fatalf("%s Remove(%s) found nothing", tg.name, tg.ace.SDDL(nil))
		}
		if got := sd.Marshal(); !bytes.Equal(got, orig) {
			t.Fatalf("%s Insert+Remove of %s is not byte-exact: %s", tg.name, tg.ace.SDDL(nil), firstDiff(got, orig))
		}
	}
}

// firstDiff describes where two byte slices first differ.
func firstDiff(got, want []byte) string {
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			lo := max(0, i-8)
			return "first difference at offset " + strconv.Itoa(i) + ": got ..." + hex.EncodeToString(got[lo:min(i+8, len(got))]) +
				" want ..." + hex.EncodeToString(want[lo:min(i+8, len(want))])
		}
	}
	return "length " + strconv.Itoa(len(got)) + ", want " + strconv.Itoa(len(want))
}
