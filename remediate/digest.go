// Package remediate turns an approved plan into directory changes: the plan
// digest and the approval token that binds an approval to exactly the
// changes a person saw, and (in the steps that follow) the journaled write,
// verification and revert.
package remediate

import (
	"crypto/sha256"
	"sort"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/schema"
)

// DigestSize is the size of a plan digest (SHA-256).
const DigestSize = sha256.Size

// Digest is the SHA-256 of the plan's canonical form: the changes only
// (action, domain SID, target DN, trustee SID, right, attribute GUID, and for
// a removal the ACE), sorted,
// so that the same changes give the same digest whatever the order, the
// objects, counts, dates or the server named. An empty plan has the digest
// of the empty string and is never approved.
func Digest(p schema.Plan) [DigestSize]byte {
	return sha256.Sum256([]byte(Canonical(p)))
}

// Canonical is the text the digest is computed over, one change per line.
// DNs are normalized (case, spacing, escapes) as AD compares them.
func Canonical(p schema.Plan) string {
	lines := make([]string, 0, len(p.Changes))
	for _, c := range p.Changes {
		f := []string{c.Action, strings.ToUpper(c.DomainSID), normalDN(c.TargetDN), strings.ToUpper(c.TrusteeSID), c.Right, strings.ToLower(c.AttributeGUID)}
		if c.Action == schema.ActionRemoveACE || c.Action == schema.ActionAddOUACE {
			// A removal, and an OU grant (its flags and inherited object
			// type), are bound to the exact ACE (its SDDL renders every byte
			// that matters: type, flags, mask, object types, trustee).
			f = append(f, c.ACE, strings.ToLower(c.ClassGUID))
		}
		lines = append(lines, strings.Join(f, "|"))
	}
	sort.Strings(lines)
	// Two equal changes are one change.
	out := lines[:0]
	for i, l := range lines {
		if i == 0 || l != lines[i-1] {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "entra8344.plan.v1\n" + strings.Join(out, "\n") + "\n"
}

func normalDN(dn string) string {
	if dn == "" {
		return ""
	}
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return "invalid:" + dn
	}
	return p.Normal()
}

// isAdminSDHolder: dn, parsed (never compared as text, so spacing, case
// and escapes cannot hide it), is CN=AdminSDHolder,CN=System of a domain
// naming context (DC= components only).
func isAdminSDHolder(dn string) bool {
	p, err := ldap.ParseDN(dn)
	if err != nil || len(p) < 3 {
		return false
	}
	single := func(rdn ldap.RDN, typ, val string) bool {
		return len(rdn) == 1 && !rdn[0].BER && strings.EqualFold(rdn[0].Type, typ) && (val == "" || strings.EqualFold(rdn[0].Value, val))
	}
	if !single(p[0], "CN", "AdminSDHolder") || !single(p[1], "CN", "System") {
		return false
	}
	for _, rdn := range p[2:] {
		if !single(rdn, "DC", "") {
			return false
		}
	}
	return true
}
