package remediate

import (
	"context"
	"errors"
	"fmt"

	"entra8344/detect"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// ouACEOf rebuilds the one ACE an OU grant adds (shape (b): inheritable,
// inherit-only, Read+Write Property on one attribute, for one class) from
// the plan's fields, checks them again, and checks that it is exactly the
// ACE the approval bound (the change's SDDL is in the digest).
func ouACEOf(c schema.Change) (ntsd.ACE, error) {
	bad := func(why string) (ntsd.ACE, error) {
		return ntsd.ACE{}, fmt.Errorf("change %s is not one attribute- and class-scoped inheritable grant for an ordinary account (%s)", c.ID, why)
	}
	sid, err := ntsd.ParseSIDString(c.TrusteeSID)
	if err != nil {
		return bad(fmt.Sprintf("trustee %q: %v", c.TrusteeSID, err))
	}
	attr, err := ntsd.ParseGUID(c.AttributeGUID)
	if err != nil || attr.IsZero() {
		return bad(fmt.Sprintf("attribute GUID %q", c.AttributeGUID))
	}
	class, err := ntsd.ParseGUID(c.ClassGUID)
	if err != nil || class.IsZero() {
		return bad(fmt.Sprintf("class GUID %q", c.ClassGUID))
	}
	dom, err := ntsd.ParseSIDString(c.DomainSID)
	if err != nil {
		return bad(fmt.Sprintf("domain SID %q", c.DomainSID))
	}
	if rid, _ := sid.RID(); len(sid.Sub) != 5 || sid.Sub[0] != 21 || rid < 1000 {
		return bad("the trustee is not an ordinary domain account")
	}
	if c.Right != detect.OURight || isAdminSDHolder(c.TargetDN) {
		return bad("rights or target")
	}
	ace := ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, attr, class, sid)
	if ace.SDDL(&dom) != c.ACE {
		return bad("its fields do not give the approved ACE " + c.ACE)
	}
	return ace, nil
}

// ouGrant writes one OU grant like the AdminSDHolder grant: backup,
// compare, insert in canonical order, read back. Already present (byte
// equal): nothing is written. false stops the run.
func (r *run) ouGrant(ctx context.Context, v *schema.Verdict, c schema.Change) bool {
	ace, err := ouACEOf(c)
	if err != nil {
		r.step(schema.ResultStep{Name: "backup", Status: schema.StepFailed, Change: c.ID, Server: c.Server, DN: c.TargetDN, Message: err.Error() + ": nothing written"})
		return false
	}
	return r.edit(ctx, v, c, daclEdit{
		name: "write",
		resolve: func(sd *ntsd.SecurityDescriptor) (ntsd.ACE, string, error) {
			if sd.DACL.Index(ace) >= 0 {
				return ace, c.TargetDN + " already holds exactly this ACE", nil
			}
			return ace, "", nil
		},
		apply: func(dacl *ntsd.ACL, a ntsd.ACE) error {
			if dacl.Insert(a) < 0 {
				return errors.New("the DACL would exceed its maximum size")
			}
			return nil
		},
		holds: func(dacl *ntsd.ACL, a ntsd.ACE) bool { return dacl.Index(a) >= 0 },
	})
}

// under: dn is target or below it (compared RDN by RDN).
func under(dn, target string) bool {
	d, err1 := ldap.ParseDN(dn)
	t, err2 := ldap.ParseDN(target)
	return err1 == nil && err2 == nil && len(t) > 0 && len(d) >= len(t) && d[len(d)-len(t):].Normal() == t.Normal()
}
