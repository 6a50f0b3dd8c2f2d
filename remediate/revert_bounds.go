package remediate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"entra8344/detect"
	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// Revert is bounded even with an authenticated journal: it acts only on
// AdminSDHolder of the domain the DC it dials holds, removes only ACEs of
// the one shape a grant adds (detect.Grantable decides, as for the grant),
// and --restore-exact changes nothing beyond the journal's own ACEs unless
// a token approves exactly the extra difference.

// holder is a revert target the directory confirmed: AdminSDHolder of
// the DC's domain, or (ou set) an OU, container or domain head of it.
type holder struct {
	domain   ntsd.SID
	schemaNC string
	ou       bool
	dn, nc   string
	class    string // the target's structural class (ou only)
}

// confirmHolder checks, on conn, that dn is AdminSDHolder of the domain
// the DC holds (its rootDSE's default naming context, whose head has a
// domain SID), or an OU, container or domain head in that domain.
func confirmHolder(ctx context.Context, conn ldap.Conn, dn string) (holder, error) {
	root, err := conn.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)",
		Attributes: []string{"defaultNamingContext", "schemaNamingContext"}})
	if err != nil || len(root) != 1 {
		return holder{}, fmt.Errorf("read the rootDSE of %s to confirm %s: %v", conn.Server(), dn, err)
	}
	nc, schemaNC := root[0].String("defaultNamingContext"), root[0].String("schemaNamingContext")
	ou := nc != "" && normalDN(dn) != normalDN(ad.AdminSDHolderDN(nc)) && under(dn, nc)
	if nc == "" || (!ou && normalDN(dn) != normalDN(ad.AdminSDHolderDN(nc))) {
		return holder{}, fmt.Errorf("%s is neither AdminSDHolder nor a container of %s's domain (%s): revert acts on nothing else", dn, conn.Server(), nc)
	}
	head, err := conn.Search(ctx, &ldap.SearchRequest{BaseDN: nc, Scope: ldap.ScopeBase, Filter: "(objectClass=domainDNS)", Attributes: []string{"objectSid"}})
	if err != nil || len(head) != 1 {
		return holder{}, fmt.Errorf("%s does not confirm %s as a domain (%v): nothing written", conn.Server(), nc, err)
	}
	sid, _, err := ntsd.ParseSID(head[0].Value("objectSid"))
	if err != nil || len(sid.Sub) != 4 || sid.Sub[0] != 21 {
		return holder{}, fmt.Errorf("%s names no domain SID for %s: nothing written", conn.Server(), nc)
	}
	h := holder{domain: sid, schemaNC: schemaNC, ou: ou, dn: dn, nc: nc}
	if ou {
		es, err := conn.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"objectClass"}})
		if err != nil || len(es) != 1 {
			return holder{}, fmt.Errorf("%s does not confirm %s (%v): nothing written", conn.Server(), dn, err)
		}
		oc := es[0].Values("objectClass")
		if len(oc) > 0 {
			h.class = string(oc[len(oc)-1])
		}
		if !detect.OUTargetClass(h.class) {
			return holder{}, fmt.Errorf("%s is a %q, neither AdminSDHolder nor an OU, container or domain head: revert acts on nothing else", dn, h.class)
		}
	}
	return h, nil
}

// ourShape checks that raw is exactly an ACE a grant adds: the
// Write-Property object ACE of NewObjectAllow, for an attribute and a
// trustee detect.Grantable accepts (the attribute resolved from the schema
// by its GUID).
func ourShape(ctx context.Context, conn ldap.Conn, h holder, raw []byte) error {
	if h.ou {
		return ourOUShape(ctx, conn, h, raw)
	}
	const objectTypeAt, sidAt = 12, 28
	bad := func(why string) error {
		return fmt.Errorf("the journal's ACE %x is not one entra8344 adds (%s): revert removes nothing else", raw, why)
	}
	if len(raw) < sidAt+8 {
		return bad("too short")
	}
	guid, err1 := ntsd.GUIDFromBytes(raw[objectTypeAt:sidAt])
	sid, _, err2 := ntsd.ParseSID(raw[sidAt:])
	if err1 != nil || err2 != nil || !bytes.Equal(raw, ntsd.NewObjectAllow(ntsd.RightWriteProperty, guid, sid).Bytes()) {
		return bad("not an attribute-scoped Write-Property object ACE without inheritance")
	}
	es, err := conn.Search(ctx, &ldap.SearchRequest{BaseDN: h.schemaNC, Scope: ldap.ScopeOneLevel,
		Filter: "(&(objectClass=attributeSchema)(schemaIDGUID=" + escapeFilterBytes(raw[objectTypeAt:sidAt]) + "))", Attributes: []string{"lDAPDisplayName"}})
	if err != nil {
		return fmt.Errorf("resolve the attribute %s of the journal's ACE in the schema: %w", guid, err)
	}
	s := detect.GrantSubject{DomainSID: h.domain, Named: guid.String(), Account: sid, AccountFound: true}
	if len(es) == 1 {
		s.Attribute, s.AttributeGUID = es[0].String("lDAPDisplayName"), guid
	}
	if err := detect.Grantable(s); err != nil {
		return bad(err.Error())
	}
	return nil
}

// ourOUShape checks that raw is exactly an OU grant (shape (b)): the
// ACE of NewInheritableObjectAllow with Read+Write Property, for an
// attribute and class resolved from the schema by their GUIDs, and a
// target, trustee and class detect.Grantable accepts.
func ourOUShape(ctx context.Context, conn ldap.Conn, h holder, raw []byte) error {
	const objectTypeAt, inheritedAt, sidAt = 12, 28, 44
	bad := func(why string) error {
		return fmt.Errorf("the journal's ACE %x on %s is not one entra8344 adds (%s): revert removes nothing else", raw, h.dn, why)
	}
	if len(raw) < sidAt+8 {
		return bad("too short")
	}
	attr, err1 := ntsd.GUIDFromBytes(raw[objectTypeAt:inheritedAt])
	class, err2 := ntsd.GUIDFromBytes(raw[inheritedAt:sidAt])
	sid, _, err3 := ntsd.ParseSID(raw[sidAt:])
	if err1 != nil || err2 != nil || err3 != nil ||
		!bytes.Equal(raw, ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, attr, class, sid).Bytes()) {
		return bad("not an attribute- and class-scoped inheritable Read/Write-Property object ACE")
	}
	es, err := conn.Search(ctx, &ldap.SearchRequest{BaseDN: h.schemaNC, Scope: ldap.ScopeOneLevel,
		Filter:     "(|(schemaIDGUID=" + escapeFilterBytes(raw[objectTypeAt:inheritedAt]) + ")(schemaIDGUID=" + escapeFilterBytes(raw[inheritedAt:sidAt]) + "))",
		Attributes: []string{"lDAPDisplayName", "objectClass", "schemaIDGUID"}})
	if err != nil {
		return fmt.Errorf("resolve the attribute %s and class %s of the journal's ACE in the schema: %w", attr, class, err)
	}
	s := detect.GrantSubject{DomainSID: h.domain, Named: attr.String(), Account: sid, AccountFound: true,
		ClassGUID: class, Target: h.dn, TargetClass: h.class, DomainNC: h.nc}
	for _, e := range es {
		g, err := ntsd.GUIDFromBytes(e.Value("schemaIDGUID"))
		switch {
		case err != nil:
		case g == attr && hasClass(e.Values("objectClass"), "attributeSchema"):
			s.Attribute, s.AttributeGUID = e.String("lDAPDisplayName"), attr
		case g == class && hasClass(e.Values("objectClass"), "classSchema"):
			s.Class = e.String("lDAPDisplayName")
		}
	}
	if err := detect.Grantable(s); err != nil {
		return bad(err.Error())
	}
	return nil
}

func hasClass(vs [][]byte, want string) bool {
	for _, v := range vs {
		if strings.EqualFold(string(v), want) {
			return true
		}
	}
	return false
}

func escapeFilterBytes(v []byte) string {
	var b strings.Builder
	for _, c := range v {
		fmt.Fprintf(&b, "\\%02x", c)
	}
	return b.String()
}

// bound is the pre-pass of a revert: every object it would write is
// confirmed and every ACE it would remove checked before anything is
// written; for --restore-exact also the difference. false: refused.
func (r *run) bound(ctx context.Context, env RevertEnv, src *Journal) bool {
	refuse := func(code string, err error, obj string) bool {
		r.refuse(code, err.Error(), obj)
		return false
	}
	var extra, shown []string // the restore's difference beyond the journal's own ACEs
	for _, e := range src.Steps {
		if e.State != "done" || (e.Name != "write" && e.Name != "backup") || (e.Name == "backup") != env.RestoreExact {
			continue
		}
		server, dn := e.Server, e.DN
		if e.Name == "backup" {
			if e.Backup == nil {
				continue
			}
			server, dn = e.Backup.Server, e.Backup.DN
		}
		conn, err := env.Dial(ctx, server)
		if err != nil {
			return refuse("revert-unconfirmed", fmt.Errorf("connect to %s to confirm %s: %w: nothing written", server, dn, err), dn)
		}
		h, err := confirmHolder(ctx, conn, dn)
		if err == nil {
			err = ownShapes(ctx, conn, h, src, dn)
		}
		if err == nil && e.Name == "backup" {
			var more, show []string
			more, show, err = restoreExtra(ctx, conn, src, e.Backup)
			extra, shown = append(extra, more...), append(shown, show...)
		}
		conn.Close()
		if err != nil {
			return refuse("revert-out-of-bounds", err, dn)
		}
	}
	if len(extra) == 0 {
		return true
	}
	sort.Strings(extra)
	digest := sha256.Sum256([]byte("entra8344.restore.v1\n" + src.ID + "\n" + strings.Join(extra, "\n") + "\n"))
	sort.Strings(shown)
	diff := strings.Join(shown, " ")
	if env.Token == "" {
		tok, err := IssueScoped(r.akey, ScopeHost, digest, src.Host, r.now().Add(DefaultExpiry))
		if err != nil {
			return refuse("restore-beyond-journal", fmt.Errorf("restoring the backup would change ACEs journal %s did not (%s), and no token for it could be issued: %w", src.ID, diff, err), src.ID)
		}
		msg := fmt.Sprintf("restoring the backup of journal %s would also change ACEs that journal did not (- removed, + put back): %s; nothing written. To approve exactly this difference: revert --journal %s --restore-exact --token %s", src.ID, diff, src.ID, tok)
		r.step(schema.ResultStep{Name: "restore", Status: schema.StepRefused, Message: msg})
		r.refuse("restore-beyond-journal", msg, src.ID)
		return false
	}
	if _, err := VerifyScoped(r.akey, ScopeHost, env.Token, digest, src.Host, r.now()); err != nil {
		code := "token"
		var ref *Refusal
		if errors.As(err, &ref) {
			code = "token-" + ref.Code
		}
		msg := fmt.Sprintf("the token does not approve the restore's difference beyond journal %s (%s): %v; nothing written", src.ID, diff, err)
		r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: msg})
		r.refuse(code, msg, src.ID)
		return false
	}
	r.step(schema.ResultStep{Name: "token", Status: schema.StepDone, Message: "the token approves exactly this difference beyond the journal: " + diff})
	r.approvedExtra = extra
	return true
}

// ownShapes checks every ACE the journal added on dn.
func ownShapes(ctx context.Context, conn ldap.Conn, h holder, src *Journal, dn string) error {
	for _, e := range src.Steps {
		if e.Name != "write" || e.State != "done" || normalDN(e.DN) != normalDN(dn) {
			continue
		}
		raw, err := hex.DecodeString(e.ACEHex)
		if err != nil {
			return fmt.Errorf("the journal's ACE bytes of %s are damaged: nothing written", dn)
		}
		if err := ourShape(ctx, conn, h, raw); err != nil {
			return err
		}
	}
	return nil
}

// restoreExtra reads the DACL now and lists what writing the backup back
// would change beyond the journal's own ACEs on that object: ACEs removed
// that the journal did not add ("-dn|hex"), ACEs put back that it did not
// remove ("+dn|hex"), and the same in SDDL to show.
func restoreExtra(ctx context.Context, conn ldap.Conn, src *Journal, b *Backup) (extra, shown []string, err error) {
	raw, err := hex.DecodeString(b.SDHex)
	if err != nil {
		return nil, nil, fmt.Errorf("the journal's backup bytes of %s are damaged: nothing written", b.DN)
	}
	want, err := ntsd.Parse(raw)
	if err != nil || want.DACL == nil {
		return nil, nil, fmt.Errorf("the journal's backup of %s does not parse: nothing written", b.DN)
	}
	cur, _, _, err := readSD(ctx, conn, b.DN)
	if err != nil {
		return nil, nil, fmt.Errorf("%v: nothing written", err)
	}
	if cur.DACL == nil {
		return nil, nil, fmt.Errorf("%s has no DACL: nothing written", b.DN)
	}
	own := map[string]int{} // "-hex" the journal added, "+hex" it removed
	for _, e := range src.Steps {
		if e.State == "done" && normalDN(e.DN) == normalDN(b.DN) && (e.Name == "write" || e.Name == "remove") {
			own[map[string]string{"write": "-", "remove": "+"}[e.Name]+strings.ToLower(e.ACEHex)]++
		}
	}
	for _, d := range []struct {
		sign     string
		from, to []ntsd.ACE
	}{{"-", cur.DACL.ACEs, want.DACL.ACEs}, {"+", want.DACL.ACEs, cur.DACL.ACEs}} {
		for _, a := range aceMinus(d.from, d.to) {
			k := d.sign + hex.EncodeToString(a.Bytes())
			if own[k] > 0 {
				own[k]--
				continue
			}
			extra = append(extra, d.sign+normalDN(b.DN)+"|"+hex.EncodeToString(a.Bytes()))
			shown = append(shown, d.sign+a.SDDL(nil))
		}
	}
	return extra, shown, nil
}

// aceMinus lists the ACEs of a missing from b, as multisets of bytes (a
// DC may re-sort a DACL).
func aceMinus(a, b []ntsd.ACE) []ntsd.ACE {
	count := map[string]int{}
	for _, x := range b {
		count[string(x.Bytes())]++
	}
	var out []ntsd.ACE
	for _, x := range a {
		if count[string(x.Bytes())] > 0 {
			count[string(x.Bytes())]--
			continue
		}
		out = append(out, x)
	}
	return out
}
