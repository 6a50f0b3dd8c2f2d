package detect

import (
	"fmt"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// staleACEs finds ACEs on d's AdminSDHolder whose trustee looks like an
// Entra Connect connector account (MSOL_ name or Connect's description) but
// is not the account of any configured connector, or no longer resolves to
// any account. SDProp stamps them onto every protected object.
func staleACEs(f *ForestFacts, d *ad.Domain, configured map[string]bool) []*diagnosis {
	h := d.AdminSDHolder
	if h == nil || h.SD == nil || h.SD.DACL == nil {
		return nil
	}
	bySID := map[string]*diagnosis{}
	var order []string
	for _, ace := range h.SD.DACL.ACEs {
		if !ace.Known() {
			continue
		}
		sid := ace.SID.String()
		p := d.Trustees[sid]
		if p == nil || configured[sid] {
			continue
		}
		why := ""
		switch {
		case p.Found && ad.LooksLikeConnectorAccount(p.SAM, p.Description):
			why = fmt.Sprintf("%s (%s) looks like an Entra Connect connector account (its name or description), but no connector on this server uses it", p.SAM, p.DN)
		case !p.Found && ace.IsObject() && ace.IsAllow() && ace.Mask&ntsd.RightWriteProperty != 0:
			why = fmt.Sprintf("%s resolves to no account (deleted, for example by an Entra Connect reinstall), yet it still holds an attribute write grant", sid)
		default:
			continue
		}
		g := bySID[sid]
		if g == nil {
			g = &diagnosis{
				key: diagKey{kind: schema.DiagStaleConnectorACE, domain: d.DNSName, attribute: sid},
				dom: d, forest: f,
				d: schema.Diagnosis{Kind: schema.DiagStaleConnectorACE, Domain: d.DNSName,
					Objects: []schema.ObjectEvidence{}, AdminSDHolderACEs: []string{}, Manual: []string{}, Changes: []string{},
					Explanation: why},
			}
			bySID[sid] = g
			order = append(order, sid)
		}
		g.d.AdminSDHolderACEs = append(g.d.AdminSDHolderACEs, ace.SDDL(&d.SID))
		g.stale = p
	}
	out := make([]*diagnosis, 0, len(order))
	for _, sid := range order {
		out = append(out, bySID[sid])
	}
	return out
}
