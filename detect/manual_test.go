package detect

import (
	"strings"
	"testing"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/shellquote/shelltest"
	"entra8344/schema"
)

// psSkeletons are the PowerShell lines the manual may hold, each string
// expression replaced by <S>; a DN that ended its quoting would leave a
// skeleton not in this list.
var psSkeletons = map[string]bool{
	"Set-ADObject -Identity <S> -Clear adminCount": true,
	"$o = Get-ADObject -Identity <S> -Properties nTSecurityDescriptor; $o.nTSecurityDescriptor.SetAccessRuleProtection($false, $true); Set-ADObject -Identity <S> -Replace @{nTSecurityDescriptor = $o.nTSecurityDescriptor}": true,
	"Set-ADSyncMsDsConsistencyGuidPermissions -ADConnectorAccountName <S> -ADConnectorAccountDomain <S> -ADobjectDN <S>":                                                                                                      true,
	"Import-Module <S>": true,
	"$d = [ADSI]<S>; $d.Put(<S>, <S>); $d.SetInfo()": true,
	"Start-ADSyncSyncCycle -PolicyType Delta":        true,
	"dsacls <S> /P:N":        true,
	"dsacls <S> /G <S>":      true,
	"dsacls <S> /R <S>":      true,
	"dsacls <S> /G <S> /I:S": true,
}

// named checks every manual line and returns the strings they name: a note
// (#) must be one line and repeat no directory string; a dsacls line must
// pass cmd.exe's checks, split by the MSVCRT rules, and read the same when
// pasted into PowerShell; every other line must tokenize as PowerShell into
// a known skeleton.
func named(t *testing.T, what string, lines []string, hostile string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			if strings.ContainsAny(l, "\r\n\x00") || len(hostile) > 8 && strings.Contains(l, hostile) {
				t.Errorf("%s: a note carries the directory string: %q", what, l)
			}
			continue
		}
		sk, vals, err := shelltest.PowerShell(l)
		if err != nil || !psSkeletons[sk] {
			t.Errorf("%s: %q reads in PowerShell as %q (%v): the quoting was ended", what, l, sk, err)
			continue
		}
		if strings.HasPrefix(l, "dsacls ") {
			args, err := shelltest.Cmd(l)
			if err != nil {
				t.Errorf("%s: %q is not a safe cmd.exe line: %v", what, l, err)
				continue
			}
			var quoted []string
			for _, a := range args[1:] {
				if !strings.HasPrefix(a, "/") || strings.Contains(l, `"`+a+`"`) {
					quoted = append(quoted, a)
				}
			}
			if strings.Join(quoted, "\x00") != strings.Join(vals, "\x00") {
				t.Errorf("%s: %q names %q in cmd.exe but %q in PowerShell", what, l, quoted, vals)
			}
		}
		for _, v := range vals {
			out[v] = true
		}
	}
	return out
}

// TestManualLinesNameExactlyTheDN puts each hostile DN through every kind
// of printed line (Set-ADObject, dsacls /P:N or its PowerShell form, the
// ADSyncConfig cmdlet and dsacls /G on the OU, dsacls /G and /R on
// AdminSDHolder, the rootDSE trigger) and reads the lines back: each
// names exactly the DN (compared as a string and as a DN), and every
// object keeps at least one line that names it.
func TestManualLinesNameExactlyTheDN(t *testing.T) {
	for _, h := range shelltest.Hostile {
		dn := h.DN
		if strings.ContainsAny(dn, "\x00") {
			dn = strings.ReplaceAll(dn, "\x00", "\x01") // not a string LDAP can return
		}
		want := func(what string, lines []string, names ...string) {
			got := named(t, h.Name+": "+what, lines, dn)
			for _, n := range names {
				if !got[n] {
					t.Errorf("%s: %s: no line names %q exactly: %q", h.Name, what, n, lines)
				}
				if p, err := ldap.ParseDN(n); err == nil {
					for v := range got {
						if q, err := ldap.ParseDN(v); err == nil && q.Equal(p) && v != n {
							t.Errorf("%s: %s names %q, another spelling of %q", h.Name, what, v, n)
						}
					}
				}
			}
		}
		for _, kind := range []schema.DiagnosisKind{schema.DiagStaleAdminCount, schema.DiagInheritanceDisabled} {
			g := &diagnosis{forest: &ForestFacts{Account: `CONTOSO\MSOL_x`}, dns: []string{dn}, d: schema.Diagnosis{Kind: kind, ObjectCount: 1}}
			describe(g)
			want(string(kind), g.d.Manual, dn)
		}
		ou := "OU=" + ldap.EscapeDNValue(dn) + ",DC=contoso,DC=com"
		for _, attr := range []string{"mS-DS-ConsistencyGuid", "msDS-KeyCredentialLink"} {
			g := &diagnosis{forest: &ForestFacts{Account: `CONTOSO\MSOL_x`}, dns: []string{"CN=u," + ou}, d: schema.Diagnosis{Kind: schema.DiagOUPermissionMissing, Attribute: attr, Domain: "contoso.com"}}
			describe(g)
			if _, err := ldap.ParseDN(ou); err == nil && strings.HasPrefix(g.d.Manual[len(g.d.Manual)-1], "dsacls ") {
				want(attr, g.d.Manual, ou)
			} else {
				named(t, h.Name+": "+attr, g.d.Manual, dn)
			}
		}
		holder := "CN=AdminSDHolder,CN=System," + dn
		plan := manualPlan([]schema.Change{{Action: schema.ActionAddACE, Server: "dc01.contoso.com", TargetDN: holder, TrusteeName: `CONTOSO\MSOL_x`, Attribute: "msDS-KeyCredentialLink"},
			{Action: schema.ActionRunProtectTask, Server: "dc01.contoso.com"}})
		named(t, h.Name+": plan", plan, dn)
		if h.Cmd {
			want("plan", plan, `\\dc01.contoso.com\`+holder)
		}
		// A hostile trustee name and server name.
		for _, server := range []string{"dc01.contoso.com", dn} {
			lines := append(staleRemoveLines(server, "CN=AdminSDHolder,CN=System,DC=contoso,DC=com", `CONTOSO\`+dn, false), triggerLine(server))
			named(t, h.Name+": cleanup on "+server, lines, dn)
		}
	}
}

// TestStaleRemoveLineNeverBroadens: dsacls /R removes every ACE of the
// account, so it is printed only when all of them are allow ACEs.
func TestStaleRemoveLineNeverBroadens(t *testing.T) {
	me := ntsd.MustSID("S-1-5-21-1-2-3-1200")
	kcl := ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063")
	allow := ntsd.NewObjectAllow(ntsd.RightWriteProperty, kcl, me)
	for _, tc := range []struct {
		name string
		aces []ntsd.ACE
		line bool
	}{
		{"allow only", []ntsd.ACE{allow}, true},
		{"allow and deny", []ntsd.ACE{{Type: ntsd.AccessDenied, Mask: ntsd.RightWriteProperty, SID: me}, allow}, false},
		{"allow and object deny", []ntsd.ACE{{Type: ntsd.AccessDeniedObject, Mask: ntsd.RightWriteProperty, SID: me, ObjectFlags: ntsd.ObjectTypePresent, ObjectType: kcl}, allow}, false},
		{"allow and audit", []ntsd.ACE{allow, {Type: ntsd.SystemAudit, Flags: ntsd.FailedAccess, Mask: ntsd.GenericAll, SID: me}}, false},
		{"another's deny", []ntsd.ACE{{Type: ntsd.AccessDenied, Mask: ntsd.RightWriteProperty, SID: ntsd.Everyone}, allow}, true},
	} {
		dom := &ad.Domain{NC: "DC=contoso,DC=com", DNSName: "contoso.com", NetBIOS: "CONTOSO", SID: ntsd.MustSID("S-1-5-21-1-2-3"), PDCEmulator: "dc01.contoso.com",
			AdminSDHolder: &ad.AdminSDHolder{SDRightsEffective: ptr(int64(15)), SD: &ntsd.SecurityDescriptor{Revision: 1, Control: ntsd.ControlDACLPresent, DACL: &ntsd.ACL{Revision: 4, ACEs: tc.aces}}}}
		g := &diagnosis{key: diagKey{kind: schema.DiagStaleConnectorACE, domain: dom.DNSName, attribute: me.String()}, dom: dom,
			forest: &ForestFacts{Account: `CONTOSO\MSOL_x`}, stale: &ad.Principal{SID: me, Found: true, SAM: "MSOL_old"},
			d: schema.Diagnosis{Kind: schema.DiagStaleConnectorACE, Domain: dom.DNSName}}
		p := BuildCleanup([]*diagnosis{g}, HostRole{})
		describe(g)
		for what, lines := range map[string][]string{"cleanup": p.Manual, "diagnosis": g.d.Manual} {
			got := false
			for _, l := range lines {
				got = got || strings.HasPrefix(l, "dsacls ") && strings.Contains(l, " /R ")
			}
			if got != tc.line {
				t.Errorf("%s: %s prints dsacls /R %v, want %v: %q", tc.name, what, got, tc.line, lines)
			}
		}
	}
}
