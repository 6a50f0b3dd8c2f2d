package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ldap/filter"
	"entra8344/internal/ldap/wldap32"
	"entra8344/internal/ntsd"
)

// LDAP is the bind as the directory sees it.
type LDAP struct {
	Server   string `json:"server"`
	Bound    *bool  `json:"bound"`
	DomainNC string `json:"domain_nc"`
	// Identity is the WhoAmI answer ("u:DOMAIN\name"); IdentityProblem
	// says why it is empty.
	Identity        string `json:"identity"`
	IdentityProblem string `json:"identity_problem"`
	// SignSeal: signing and sealing were required before the bind, so the
	// bind only succeeded with both; Sealed: sealing read back as on.
	SignSeal       *bool  `json:"sign_seal"`
	Sealed         *bool  `json:"sealed"`
	ProtectionNote string `json:"protection_note"`
	Operations     int    `json:"ldap_operations"`
	Problem        string `json:"problem"`
}

// AdminSDHolder is this identity's right on AdminSDHolder's DACL.
type AdminSDHolder struct {
	DN string `json:"dn"`
	// SDRightsEffective is the constructed attribute: which parts of the
	// descriptor this identity may write (1 owner, 2 group, 4 DACL, 8 SACL).
	SDRightsEffective *int64 `json:"sd_rights_effective"`
	MayWriteDACL      *bool  `json:"may_write_dacl"`
	Problem           string `json:"problem"`
}

// ProtectTask is whether this identity may trigger the protection task.
// It is evaluated, never tried: the control access right
// Run-Protect-Admin-Groups-Task on the domain object's DACL, for the
// identity's SID and tokenGroups.
type ProtectTask struct {
	MayTrigger    *bool  `json:"may_trigger"`
	Right         string `json:"right"`
	EvaluatedOn   string `json:"evaluated_on"`
	Evidence      string `json:"evidence"`
	PDCEmulator   string `json:"pdc_emulator"`
	ThisHostIsPDC *bool  `json:"this_host_is_pdc"`
	Note          string `json:"note"`
	Problem       string `json:"problem"`
}

// runProtectTaskRight is the control access right a DC checks for a
// rootDSE runProtectAdminGroupsTask modify.
var runProtectTaskRight = ntsd.MustGUID("7726b9d5-a4b4-4288-a6b2-dce952e80a7f")

const protectTaskNote = "evaluated from the domain object's DACL, not tried; which object a DC checks this right on is not verified, " +
	"and the task runs only when sent to the PDC emulator"

// whoAmIer and protected are what the wldap32 connection offers beyond ldap.Conn.
type whoAmIer interface {
	WhoAmI(context.Context) (string, error)
}

type protected interface {
	Protection() wldap32.Protection
}

// dirCheck counts the searches it makes.
type dirCheck struct {
	c   ldap.Conn
	ops int
}

func (d *dirCheck) base(ctx context.Context, dn string, attrs []string, ctrls ...ldap.Control) (*ldap.Entry, error) {
	d.ops++
	es, err := d.c.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: attrs, Controls: ctrls})
	if err != nil {
		return nil, err
	}
	if len(es) != 1 {
		return nil, fmt.Errorf("%q: %d entries, want 1", dn, len(es))
	}
	return es[0], nil
}

// checkDirectory binds and reads what the directory grants this identity.
// processSID is this process's own SID (empty when unknown): it tells the
// local SYSTEM token on a DC from an account the directory can look up.
func checkDirectory(ctx context.Context, dialer ldap.Dialer, server, processSID string) (l LDAP, h AdminSDHolder, p ProtectTask) {
	p.Right, p.Note = "Run-Protect-Admin-Groups-Task "+runProtectTaskRight.String(), protectTaskNote
	conn, err := dialer.Dial(ctx, server)
	bound := err == nil
	l.Bound = &bound
	if err != nil {
		l.Problem = fmt.Sprintf("bind: %v", err)
		h.Problem, p.Problem = "not bound", "not bound"
		return
	}
	defer conn.Close()
	l.Server = conn.Server()
	if pc, ok := conn.(protected); ok {
		pr := pc.Protection()
		l.SignSeal, l.ProtectionNote = &pr.SignSeal, pr.Unverified
		if pr.SignSeal {
			l.Sealed = &pr.Sealed
		}
	} else {
		l.ProtectionNote = "this transport does not report signing and sealing"
	}
	if w, ok := conn.(whoAmIer); ok {
		if l.Identity, err = w.WhoAmI(ctx); err != nil {
			l.IdentityProblem = err.Error()
		} else if l.Identity == "" {
			l.IdentityProblem = "the server says this connection is anonymous"
		}
	} else {
		l.IdentityProblem = "this transport has no WhoAmI"
	}
	d := &dirCheck{c: conn}
	defer func() { l.Operations = d.ops }()

	root, err := d.base(ctx, "", []string{"defaultNamingContext"})
	if err != nil || root.String("defaultNamingContext") == "" {
		l.Problem = fmt.Sprintf("read the rootDSE's defaultNamingContext: %v", err)
		h.Problem, p.Problem = l.Problem, l.Problem
		return
	}
	l.DomainNC = root.String("defaultNamingContext")
	h = adminSDHolderRights(ctx, d, l.DomainNC)
	p = protectTaskRight(ctx, d, l.DomainNC, l.Identity, l.IdentityProblem, processSID, p)
	return
}

func adminSDHolderRights(ctx context.Context, d *dirCheck, nc string) AdminSDHolder {
	h := AdminSDHolder{DN: ad.AdminSDHolderDN(nc)}
	e, err := d.base(ctx, h.DN, []string{"sDRightsEffective"})
	if err != nil {
		h.Problem = err.Error()
		return h
	}
	v, err := strconv.ParseInt(e.String("sDRightsEffective"), 10, 64)
	if err != nil {
		h.Problem = "the server returned no sDRightsEffective for AdminSDHolder"
		return h
	}
	may := v&ldap.SDDACL != 0
	h.SDRightsEffective, h.MayWriteDACL = &v, &may
	return h
}

func protectTaskRight(ctx context.Context, d *dirCheck, nc, identity, identityProblem, processSID string, p ProtectTask) ProtectTask {
	p.EvaluatedOn = nc
	head, err := d.base(ctx, nc, []string{"nTSecurityDescriptor", "fSMORoleOwner"}, ldap.SDFlagsControl(ldap.SDDACL))
	if err != nil {
		p.Problem = fmt.Sprintf("read the domain object: %v", err)
		return p
	}
	if owner := head.String("fSMORoleOwner"); owner != "" {
		p.PDCEmulator = owner
		// fSMORoleOwner is the PDC's NTDS Settings object; its parent is the server object.
		if dn, err := ldap.ParseDN(owner); err == nil && len(dn) > 1 {
			if srv, err := d.base(ctx, dn.Parent().String(), []string{"dNSHostName"}); err == nil && srv.String("dNSHostName") != "" {
				p.PDCEmulator = srv.String("dNSHostName")
			}
		}
	}
	sd, err := ntsd.Parse(head.Value("nTSecurityDescriptor"))
	if err != nil {
		p.Problem = fmt.Sprintf("the domain object's DACL could not be read or parsed: %v", err)
		return p
	}
	if identity == "" {
		p.Problem = "unknown: which identity the directory sees is not known (WhoAmI: " + identityProblem + "), so its groups cannot be evaluated"
		return p
	}
	var sids []ntsd.SID
	seenAs := ""
	if localSystem(identity, processSID) {
		sids, seenAs = localSystemSIDs, localSystemNote
	} else if sids, err = identitySIDs(ctx, d, nc, identity); err != nil {
		p.Problem = err.Error()
		return p
	}
	dec := canControlAccess(sd, sids, runProtectTaskRight)
	p.MayTrigger, p.Evidence = &dec.Allowed, dec.Reason+seenAs
	if len(dec.Unevaluated) > 0 {
		p.MayTrigger = nil
		p.Problem = fmt.Sprintf("ACEs %v of the domain object could not be evaluated (callback or unknown types)", dec.Unevaluated)
	}
	return p
}

// localSystemSIDs are the local SYSTEM token's user and groups (what
// `whoami /groups` shows for SYSTEM). On a domain controller BUILTIN\Administrators
// is the domain's builtin group, so this is the DC's own authority.
var localSystemSIDs = []ntsd.SID{ntsd.MustSID("S-1-5-18"), ntsd.MustSID("S-1-5-32-544"), ntsd.Everyone, ntsd.AuthenticatedUsers}

const localSystemNote = "; evaluated for the local SYSTEM token (SYSTEM, BUILTIN\\Administrators, Everyone, Authenticated Users): " +
	"SYSTEM bound to its own domain controller, a loopback logon that keeps the local token (MS-KILE 3.4.5.3)"

// localSystem: the directory sees this process's local SYSTEM token, not an
// account. SYSTEM reaches another DC as the computer account (a name ending
// in $); binding to its own DC, WhoAmI answers NT AUTHORITY\SYSTEM, whose
// names are localised ("AUTORITE NT\Système"), so the test is "we are
// S-1-5-18 and the name is not a computer account", never the name itself.
// sAMAccountName=SYSTEM would find nothing, or another account.
func localSystem(identity, processSID string) bool {
	if processSID != "S-1-5-18" || !strings.HasPrefix(identity, "u:") {
		return false
	}
	_, name, ok := strings.Cut(strings.TrimPrefix(identity, "u:"), `\`)
	return ok && name != "" && !strings.HasSuffix(name, "$")
}

// identitySIDs are the bound identity's SID, its tokenGroups, and the
// well-known SIDs every authenticated network logon has.
func identitySIDs(ctx context.Context, d *dirCheck, nc, identity string) ([]ntsd.SID, error) {
	var dn string
	switch {
	case strings.HasPrefix(identity, "dn:"):
		dn = strings.TrimPrefix(identity, "dn:")
	case strings.HasPrefix(identity, "u:") && strings.Contains(identity, `\`):
		_, name, _ := strings.Cut(strings.TrimPrefix(identity, "u:"), `\`)
		d.ops++
		es, err := d.c.Search(ctx, &ldap.SearchRequest{BaseDN: nc, Scope: ldap.ScopeSubtree,
			Filter: "(sAMAccountName=" + filter.EscapeString(name) + ")", Attributes: []string{"objectSid"}, SizeLimit: 2})
		if err != nil || len(es) != 1 {
			return nil, fmt.Errorf("find %s in %s (%d found): %v", identity, nc, len(es), err)
		}
		dn = es[0].DN
	default:
		return nil, fmt.Errorf("unknown: the identity the directory sees is not known (WhoAmI gave %q), so its groups cannot be read", identity)
	}
	e, err := d.base(ctx, dn, []string{"objectSid", "tokenGroups"})
	if err != nil {
		return nil, fmt.Errorf("read the SID and tokenGroups of %s: %v", dn, err)
	}
	own, _, err := ntsd.ParseSID(e.Value("objectSid"))
	if err != nil {
		return nil, fmt.Errorf("%s has no readable objectSid: %v", dn, err)
	}
	sids := []ntsd.SID{own, ntsd.Everyone, ntsd.AuthenticatedUsers, ntsd.MustSID("S-1-5-2")} // NETWORK
	for _, v := range e.Values("tokenGroups") {
		if s, _, err := ntsd.ParseSID(v); err == nil {
			sids = append(sids, s)
		}
	}
	return sids, nil
}

// canControlAccess evaluates a control access right (MS-DTYP 2.5.3.2, as
// ntsd.CheckWriteProperty does for Write-Property): the first allow or deny
// ACE that applies to the object, holds one of sids, carries
// RIGHT_DS_CONTROL_ACCESS (directly or through GENERIC_ALL) and is not an
// object ACE for another GUID decides.
func canControlAccess(sd *ntsd.SecurityDescriptor, sids []ntsd.SID, right ntsd.GUID) ntsd.Decision {
	if sd.Control&ntsd.ControlDACLPresent == 0 || sd.DACL == nil {
		return ntsd.Decision{Allowed: true, ACE: -1, Reason: "the domain object has no DACL (access is not restricted)"}
	}
	var unevaluated []int
	for i, a := range sd.DACL.ACEs {
		if a.IsInheritOnly() {
			continue
		}
		if !a.Known() || a.Type > ntsd.AccessDeniedObject {
			if a.Type >= ntsd.AccessAllowedCallback && a.Type <= ntsd.AccessDeniedCallbackObject || !a.Known() {
				unevaluated = append(unevaluated, i)
			}
			continue
		}
		if !a.IsAllow() && !a.IsDeny() || a.Mask&(ntsd.RightControlAccess|ntsd.GenericAll) == 0 {
			continue
		}
		held := false
		for _, s := range sids {
			held = held || s.Equal(a.SID)
		}
		if !held || (a.IsObject() && a.ObjectFlags&ntsd.ObjectTypePresent != 0 && a.ObjectType != right) {
			continue
		}
		verb := "allows"
		if a.IsDeny() {
			verb = "denies"
		}
		return ntsd.Decision{Allowed: a.IsAllow(), ACE: i, Unevaluated: unevaluated,
			Reason: fmt.Sprintf("ACE %d %s %s the right", i, a.SDDL(nil), verb)}
	}
	return ntsd.Decision{ACE: -1, Unevaluated: unevaluated, Reason: "no ACE of the domain object grants the right to this identity or its groups"}
}
