package sambatest

import (
	"fmt"
	"strings"
	"testing"

	"entra8344/internal/ntsd"
)

// The ACL cases of TestSambaACLAgreement are generated from dimensions, not
// typed in with their answers: the evaluator (ntsd) predicts each answer and
// Samba's enforcement checks it. This file is pure (no DC): the generator
// and its own test run everywhere.

// right is what an ACE grants or denies, and on what.
type right int

const (
	wpAttr         right = iota // (OA;;WP;<msDS-KeyCredentialLink schemaIDGUID>)
	wpPropSet                   // (OA;;WP;<its attributeSecurityGUID>), the property set holding it
	wpOtherAttr                 // (OA;;WP;<description schemaIDGUID>), another attribute
	wpNoObjectType              // (OA;;WP;;) an object ACE without ObjectType: every property
	wpClass                     // (OA;;WP;<user class>), the target's class: every property
	wpOtherClass                // (OA;;WP;<computer class>), a class the target is not
	wpAll                       // (A;;WP) non-object Write-Property
	genericAll                  // (A;;GA)
	genericWrite                // (A;;GW)
	readOnly                    // (A;;GR), no write at all
	crAttr                      // (OA;;CR;<msDS-KeyCredentialLink>), control access, no WP
	crNoObjectType              // (OA;;CR;;)
	numRights
)

var rightNames = [numRights]string{"wpAttr", "wpPropSet", "wpOtherAttr", "wpNoObjectType", "wpClass",
	"wpOtherClass", "wpAll", "GA", "GW", "GR", "crAttr", "crNoObjectType"}

func (r right) String() string { return rightNames[r] }

// object reports whether the right is expressed by an object ACE.
func (r right) object() bool {
	switch r {
	case wpAll, genericAll, genericWrite, readOnly:
		return false
	}
	return true
}

// trustee is who an ACE names, relative to the service account.
type trustee int

const (
	account   trustee = iota // the account's objectSid
	group                    // a group it is a member of (in its tokenGroups)
	everyone                 // S-1-1-0
	authUsers                // S-1-5-11
	unrelated                // a domain SID the account does not hold (Guest)
	numTrustees
)

var trusteeNames = [numTrustees]string{"account", "group", "WD", "AU", "unrelated"}

func (t trustee) String() string { return trusteeNames[t] }

// aceFlags are the inheritance flags of the varied ACE.
type aceFlags int

const (
	flagsNone     aceFlags = iota // 0
	inheritOnly                   // IO alone (Samba drops it on write: it can reach no child)
	inheritOnlyCI                 // CIIO (stored as written)
	inherited                     // ID (Samba clears it on a protected DACL, MS-DTYP keeps it)
	numFlags
)

var flagNames = [numFlags]string{"0", "IO", "CIIO", "ID"}

func (f aceFlags) String() string { return flagNames[f] }

func (f aceFlags) bits() byte {
	return [numFlags]byte{0, ntsd.InheritOnly, ntsd.ContainerInherit | ntsd.InheritOnly, ntsd.Inherited}[f]
}

// iot is the InheritedObjectType of an object ACE.
type iot int

const (
	iotNone     iot = iota
	iotUser         // the target's class
	iotComputer     // another class
	numIOTs
)

var iotNames = [numIOTs]string{"-", "user", "computer"}

func (i iot) String() string { return iotNames[i] }

// aceSpec is one ACE of a case.
type aceSpec struct {
	deny    bool
	right   right
	trustee trustee
	flags   aceFlags
	iot     iot
}

func (s aceSpec) String() string {
	verb := "allow"
	if s.deny {
		verb = "deny"
	}
	out := fmt.Sprintf("%s(%s,%s", verb, s.right, s.trustee)
	if s.flags != flagsNone {
		out += "," + s.flags.String()
	}
	if s.iot != iotNone {
		out += ",iot=" + s.iot.String()
	}
	return out + ")"
}

// aclCase is one generated DACL: its ACEs come first, in this order,
// followed by the fixed base (see baseACEs in acl_test.go).
type aclCase struct {
	dim  string // the generator: which question the case asks
	aces []aceSpec
}

func (c aclCase) name() string {
	parts := make([]string, len(c.aces))
	for i, a := range c.aces {
		parts[i] = a.String()
	}
	return c.dim + "/" + strings.Join(parts, "+")
}

// broadAllow follows a varied deny ACE, so that the case asks "does this
// deny cover the attribute?" rather than always ending in implicit deny.
var broadAllow = aceSpec{right: wpAll, trustee: account}

// generateCases builds every case from the dimensions:
//   - scope: every right x every trustee, allowed alone, and denied in front
//     of broadAllow; which grants reach msDS-KeyCredentialLink, and whose.
//   - flags: rights that do grant it x allow/deny x ACE flags x
//     InheritedObjectType, trustee the account; whether IO ACEs are skipped,
//     ID ACEs count, and InheritedObjectType is ignored by the check.
//   - order: an allow for the account and a deny for its group, in both
//     orders; the first deciding ACE wins.
//   - controlAccess: CR without WP, which Samba treats specially.
func generateCases() []aclCase {
	var out []aclCase
	for r := right(0); r < numRights; r++ {
		if r == crAttr || r == crNoObjectType {
			continue // their own generator below
		}
		for t := trustee(0); t < numTrustees; t++ {
			out = append(out, aclCase{dim: "scope", aces: []aceSpec{{right: r, trustee: t}}})
			out = append(out, aclCase{dim: "scope", aces: []aceSpec{{deny: true, right: r, trustee: t}, broadAllow}})
		}
	}
	for _, r := range []right{wpAttr, wpPropSet, wpNoObjectType, wpAll, genericAll} {
		iots := []iot{iotNone}
		if r.object() {
			iots = []iot{iotNone, iotUser, iotComputer}
		}
		for _, deny := range []bool{false, true} {
			for f := aceFlags(0); f < numFlags; f++ {
				for _, i := range iots {
					if f == flagsNone && i == iotNone {
						continue // asked by the scope generator
					}
					c := aclCase{dim: "flags", aces: []aceSpec{{deny: deny, right: r, trustee: account, flags: f, iot: i}}}
					if deny {
						c.aces = append(c.aces, broadAllow)
					}
					out = append(out, c)
				}
			}
		}
	}
	pair := []right{wpAttr, wpPropSet, wpAll}
	for _, allow := range pair {
		for _, deny := range pair {
			a := aceSpec{right: allow, trustee: account}
			d := aceSpec{deny: true, right: deny, trustee: group}
			out = append(out,
				aclCase{dim: "order", aces: []aceSpec{a, d}},
				aclCase{dim: "order", aces: []aceSpec{d, a}})
		}
	}
	for _, r := range []right{crAttr, crNoObjectType} {
		for _, t := range []trustee{account, everyone, unrelated} {
			out = append(out, aclCase{dim: "controlAccess", aces: []aceSpec{{right: r, trustee: t}}})
		}
	}
	return out
}

// sambaDeviation says why Samba 4.17 knowingly answers a case differently
// from MS-DTYP 2.5.3.2 (and so from the evaluator, which models Windows);
// "" when it should not. The test asserts that Samba does differ there, so a
// Samba that changes is noticed; the deviation is never silently accepted.
func sambaDeviation(c aclCase) string {
	first := c.aces[0]
	if first.deny || first.trustee == unrelated || first.flags == inheritOnly || first.flags == inheritOnlyCI {
		return ""
	}
	if first.right == crAttr || first.right == crNoObjectType {
		return "Samba grants: check_object_specific_access (libcli/security/access_check.c, 4.17) ends the " +
			"check with success when an allow object ACE that matches a node of the object tree carries " +
			"CONTROL_ACCESS, whatever was requested (its reading of MS-ADTS 5.1.3.3.4); MS-DTYP 2.5.3.2 grants " +
			"only the mask's bits, so Windows and the evaluator deny Write-Property"
	}
	return ""
}

// world holds the SIDs and GUIDs the cases name, read from the DC.
type world struct {
	account, group, unrelated, domainAdmins     ntsd.SID
	attr, propSet, otherAttr, class, otherClass ntsd.GUID
}

func (w world) sid(t trustee) ntsd.SID {
	return [numTrustees]ntsd.SID{w.account, w.group, ntsd.Everyone, ntsd.AuthenticatedUsers, w.unrelated}[t]
}

// ace builds the binary ACE of a spec.
func (w world) ace(s aceSpec) ntsd.ACE {
	a := ntsd.ACE{Flags: s.flags.bits(), SID: w.sid(s.trustee), Type: ntsd.AccessAllowed}
	if s.deny {
		a.Type = ntsd.AccessDenied
	}
	a.Mask = ntsd.RightWriteProperty
	switch s.right {
	case genericAll:
		a.Mask = ntsd.GenericAll
	case genericWrite:
		a.Mask = ntsd.GenericWrite
	case readOnly:
		a.Mask = ntsd.GenericRead
	case crAttr, crNoObjectType:
		a.Mask = ntsd.RightControlAccess
	}
	if !s.right.object() {
		return a
	}
	a.Type += ntsd.AccessAllowedObject - ntsd.AccessAllowed // 0->5, 1->6
	objectType := map[right]ntsd.GUID{wpAttr: w.attr, wpPropSet: w.propSet, wpOtherAttr: w.otherAttr,
		wpClass: w.class, wpOtherClass: w.otherClass, crAttr: w.attr}
	if g, ok := objectType[s.right]; ok {
		a.ObjectFlags |= ntsd.ObjectTypePresent
		a.ObjectType = g
	}
	if s.iot != iotNone {
		a.ObjectFlags |= ntsd.InheritedObjectTypePresent
		a.InheritedObjectType = map[iot]ntsd.GUID{iotUser: w.class, iotComputer: w.otherClass}[s.iot]
	}
	return a
}

// TestGeneratedCases checks the generator without a DC: enough cases,
// unique, every value of every dimension used, each DACL encodable.
func TestGeneratedCases(t *testing.T) {
	cases := generateCases()
	if len(cases) < 24 {
		t.Fatalf("%d cases, want at least 24", len(cases))
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	for _, c := range cases {
		if seen[c.name()] {
			t.Errorf("duplicate case %s", c.name())
		}
		seen[c.name()] = true
		for _, a := range c.aces {
			used["right:"+a.right.String()] = true
			used["trustee:"+a.trustee.String()] = true
			used["flags:"+a.flags.String()] = true
			used["iot:"+a.iot.String()] = true
			used[fmt.Sprint("deny:", a.deny)] = true
		}
		if len(c.aces) == 2 && c.aces[0].deny != c.aces[1].deny {
			used[fmt.Sprint("denyFirst:", c.aces[0].deny)] = true
		}
	}
	for r := right(0); r < numRights; r++ {
		want(t, used, "right:"+r.String())
	}
	for x := trustee(0); x < numTrustees; x++ {
		want(t, used, "trustee:"+x.String())
	}
	for f := aceFlags(0); f < numFlags; f++ {
		want(t, used, "flags:"+f.String())
	}
	for i := iot(0); i < numIOTs; i++ {
		want(t, used, "iot:"+i.String())
	}
	for _, k := range []string{"deny:true", "deny:false", "denyFirst:true", "denyFirst:false"} {
		want(t, used, k)
	}
	w := world{account: ntsd.MustSID("S-1-5-21-1-2-3-1105"), group: ntsd.MustSID("S-1-5-21-1-2-3-1106"),
		unrelated:    ntsd.MustSID("S-1-5-21-1-2-3-500"),
		domainAdmins: ntsd.MustSID("S-1-5-21-1-2-3-512"),
		attr:         ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"),
		propSet:      ntsd.MustGUID("9b026da6-0d3c-465c-8bee-5199d7165cba"),
		otherAttr:    ntsd.MustGUID("bf967950-0de6-11d0-a285-00aa003049e2"),
		class:        ntsd.MustGUID("bf967aba-0de6-11d0-a285-00aa003049e2"),
		otherClass:   ntsd.MustGUID("bf967a86-0de6-11d0-a285-00aa003049e2")}
	for _, c := range cases {
		sd := dacl(w, c)
		back, err := ntsd.Parse(sd.Marshal())
		if err != nil || len(back.DACL.ACEs) != len(sd.DACL.ACEs) {
			t.Errorf("%s: DACL does not round-trip: %v", c.name(), err)
		}
	}
	t.Logf("%d cases", len(cases))
}

func want(t *testing.T, used map[string]bool, k string) {
	t.Helper()
	if !used[k] {
		t.Errorf("no generated case uses %s", k)
	}
}

// fullControl is every directory right (what GA maps to), spelled out.
const fullControl = ntsd.RightCreateChild | ntsd.RightDeleteChild | ntsd.RightList | ntsd.RightSelf |
	ntsd.RightReadProperty | ntsd.RightWriteProperty | ntsd.RightDeleteTree | ntsd.RightListObject |
	ntsd.RightControlAccess | ntsd.RightDelete | ntsd.RightReadControl | ntsd.RightWriteDAC | ntsd.RightWriteOwner

// baseACEs follow every case's ACEs: (A;;RPLCLORC;;;AU) as on a real
// user object, so the account can read but not write; and full control for
// Domain Admins and SYSTEM, so that Administrator can always rewrite or
// delete the target whatever the case did. None of them names a SID of the
// account's token with Write-Property, so the case's ACEs alone decide.
func baseACEs(w world) []ntsd.ACE {
	return []ntsd.ACE{
		{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadProperty | ntsd.RightList | ntsd.RightListObject | ntsd.RightReadControl, SID: ntsd.AuthenticatedUsers},
		{Type: ntsd.AccessAllowed, Mask: fullControl, SID: w.domainAdmins},
		{Type: ntsd.AccessAllowed, Mask: fullControl, SID: ntsd.LocalSystem},
	}
}

// dacl is the case's descriptor as written: DACL only, protected (0x1000),
// so that nothing is inherited from the OU and only these ACEs count.
func dacl(w world, c aclCase) *ntsd.SecurityDescriptor {
	l := &ntsd.ACL{Revision: ntsd.ACLRevisionDS}
	for _, s := range c.aces {
		l.ACEs = append(l.ACEs, w.ace(s))
	}
	l.ACEs = append(l.ACEs, baseACEs(w)...)
	return &ntsd.SecurityDescriptor{Revision: 1,
		Control: ntsd.ControlSelfRelative | ntsd.ControlDACLPresent | ntsd.ControlDACLProtected, DACL: l}
}
