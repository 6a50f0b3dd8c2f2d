package remediate

import (
	"context"
	"fmt"

	"entra8344/detect"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// removeStale removes one ACE of a connector account no longer configured
// from AdminSDHolder (directory.cleanup, approved by its own token): the
// ACE whose SDDL the approved change names, found again in the live DACL,
// and nothing else. false stops the run.
func (r *run) removeStale(ctx context.Context, v *schema.Verdict, c schema.Change) bool {
	trustee, err1 := ntsd.ParseSIDString(c.TrusteeSID)
	domain, err2 := ntsd.ParseSIDString(c.DomainSID)
	if err1 != nil || err2 != nil || c.ACE == "" || !isAdminSDHolder(c.TargetDN) {
		r.step(schema.ResultStep{Name: "backup", Status: schema.StepFailed, Change: c.ID, Server: c.Server, DN: c.TargetDN,
			Message: fmt.Sprintf("change %s is not the removal of one ACE from AdminSDHolder: nothing written", c.ID)})
		return false
	}
	return r.edit(ctx, v, c, daclEdit{
		name: "remove",
		resolve: func(sd *ntsd.SecurityDescriptor) (ntsd.ACE, string, error) {
			for _, a := range sd.DACL.ACEs {
				if !a.Known() || !a.SID.Equal(trustee) || a.SDDL(&domain) != c.ACE {
					continue
				}
				// The same decision as the plan's: an approved change can
				// only ever remove an allow ACE.
				if !detect.StaleACERemovable(a, trustee) {
					return ntsd.ACE{}, "", fmt.Errorf("the ACE %s on AdminSDHolder is not an explicit allow ACE of an ordinary account, and removing it could grant access; remove it by hand only if you are sure", c.ACE)
				}
				return a, "", nil
			}
			return ntsd.ACE{}, "the ACE " + c.ACE + " is no longer on AdminSDHolder: nothing to remove", nil
		},
		apply: func(dacl *ntsd.ACL, a ntsd.ACE) error {
			if !dacl.Remove(a) {
				return fmt.Errorf("the ACE %s could not be removed", c.ACE)
			}
			return nil
		},
		holds: func(dacl *ntsd.ACL, a ntsd.ACE) bool { return dacl.Index(a) < 0 },
	})
}
