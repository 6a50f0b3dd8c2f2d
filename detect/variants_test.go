package detect

import (
	"context"
	"strings"
	"testing"
	"time"

	"entra8344/fixtures/dirgen"
	"entra8344/internal/ldap"
	"entra8344/internal/replay"
	"entra8344/schema"
)

// variant runs detect on scenario base with the directory spec generates
// (fixtures/dirgen.Variant); wrap, when set, sits between detect and the
// replayed directory.
func variant(t *testing.T, base string, spec dirgen.Spec, wrap func(DirectorySource) DirectorySource) *schema.Verdict {
	t.Helper()
	fsys, name, err := dirgen.Variant(base, spec)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := replay.Load(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	var dir DirectorySource = sc.Directory()
	if wrap != nil {
		dir = wrap(dir)
	}
	env := Env{Prober: sc.Prober(), Runner: sc.Runner(), Now: func() time.Time { return sc.Now }, Replay: sc.Name, Directory: dir}
	return Run(context.Background(), env, DefaultOptions())
}

// baseSpec is a copy of a committed scenario's model, to vary.
func baseSpec(name string) dirgen.Spec {
	s := dirgen.Scenarios[name]
	s.Domains = append([]dirgen.Domain(nil), s.Domains...)
	s.Holder = append([]dirgen.HolderACE(nil), s.Holder...)
	return s
}

func diagnosesOf(v *schema.Verdict) map[string]schema.DiagnosisKind {
	out := map[string]schema.DiagnosisKind{}
	for _, f := range v.Findings {
		for _, o := range f.Objects {
			for _, d := range o.Diagnoses {
				out[o.DN] = d
			}
		}
	}
	return out
}

func actionsOf(p schema.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Action+" "+c.TargetDN+"@"+c.Server)
	}
	return out
}

const janeAdmin = "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"

// TestHolderDenyNotYetStamped (issue 19 §1): a deny for the connector
// account on AdminSDHolder that the protection task has not copied yet.
// The admin's own DACL decides nothing, so only AdminSDHolder's DACL tells
// that a grant there would be overridden: explicit-deny, and no add-ace
// (it would be written and never take effect).
func TestHolderDenyNotYetStamped(t *testing.T) {
	for _, first := range []bool{true, false} {
		spec := baseSpec("keycredlink-admin")
		spec.Holder = append(spec.Holder, dirgen.HolderACE{Domain: "contoso.com", Account: "MSOL_2f4e1b7c9a3d", Attr: "msDS-KeyCredentialLink", Deny: true, First: first})
		v := variant(t, "keycredlink-admin", spec, nil)
		if got := diagnosesOf(v)[janeAdmin]; got != schema.DiagExplicitDeny {
			t.Errorf("deny first=%v: %s diagnosed %q, want explicit-deny", first, janeAdmin, got)
		}
		if len(v.Directory.Plan.Changes) != 0 || v.Status == schema.StatusRemediable {
			t.Errorf("deny first=%v: status %s, plan %v: a grant the deny overrides must not be planned", first, v.Status, actionsOf(v.Directory.Plan))
		}
	}
}

// TestSDRightsEffectiveWriteDACBit (issue 19 §1): only the DACL bit (4) of
// sDRightsEffective says this host may write AdminSDHolder's DACL; owner
// (1), group (2) and SACL (8) rights do not.
func TestSDRightsEffectiveWriteDACBit(t *testing.T) {
	for _, tc := range []struct {
		rights   string
		writable bool
	}{{"0", false}, {"1", false}, {"2", false}, {"8", false}, {"11", false}, {"4", true}, {"5", true}, {"12", true}, {"15", true}} {
		spec := baseSpec("keycredlink-admin")
		spec.Domains[0].SDRights = tc.rights
		v := variant(t, "keycredlink-admin", spec, nil)
		p := v.Directory.Plan
		if len(p.Changes) == 0 {
			t.Fatalf("sDRightsEffective %s: no plan (%s)", tc.rights, v.Summary)
		}
		if p.RemediableHere != tc.writable || p.Changes[0].WritableHere != tc.writable {
			t.Errorf("sDRightsEffective %s: remediable here %v, change writable here %v, want %v (%s)", tc.rights, p.RemediableHere, p.Changes[0].WritableHere, tc.writable, p.RemediableReason)
		}
		if want := map[bool]schema.Status{true: schema.StatusRemediable, false: schema.StatusExportErrors}[tc.writable]; v.Status != want {
			t.Errorf("sDRightsEffective %s: status %s, want %s", tc.rights, v.Status, want)
		}
	}
}

// groupSearchFails is a directory whose protected-group search fails (a DC
// refusing it, a timeout): protection cannot be determined.
type groupSearchFails struct{ DirectorySource }

func (g groupSearchFails) Dialer(connector string) (ldap.Dialer, error) {
	d, err := g.DirectorySource.Dialer(connector)
	return failGroupsDialer{d}, err
}

type failGroupsDialer struct{ ldap.Dialer }

func (d failGroupsDialer) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	c, err := d.Dialer.Dial(ctx, host)
	if err != nil {
		return nil, err
	}
	return failGroupsConn{c}, nil
}

type failGroupsConn struct{ ldap.Conn }

func (c failGroupsConn) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	if strings.HasPrefix(req.Filter, "(&(objectClass=group)") {
		return nil, &ldap.Error{Op: "search", DN: req.BaseDN, Server: c.Server(), Code: ldap.ResultBusy, Message: "server busy"}
	}
	return c.Conn.Search(ctx, req)
}

// TestStaleAdminCountNeedsKnownProtection (issue 19 §1): when the protected
// groups could not be read, an adminCount=1 object in no group read is not
// "stale": that needs the membership known. With it known (the committed
// scenario) it is.
func TestStaleAdminCountNeedsKnownProtection(t *testing.T) {
	const olaf = "CN=Olaf Former,OU=Staff,DC=contoso,DC=com"
	spec := baseSpec("stale-admincount")
	if got := diagnosesOf(variant(t, "stale-admincount", spec, nil))[olaf]; got != schema.DiagStaleAdminCount {
		t.Fatalf("membership known: %s diagnosed %q, want stale-admincount", olaf, got)
	}
	v := variant(t, "stale-admincount", spec, func(d DirectorySource) DirectorySource { return groupSearchFails{d} })
	if got := diagnosesOf(v)[olaf]; got == schema.DiagStaleAdminCount {
		t.Errorf("membership unknown: %s diagnosed stale-admincount", olaf)
	}
	warned := false
	for _, w := range v.Warnings {
		warned = warned || w.Code == "directory-groups-unreadable"
	}
	if !warned {
		t.Errorf("no directory-groups-unreadable warning: %+v", v.Warnings)
	}
}
