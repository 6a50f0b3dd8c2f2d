package remediate

import (
	"strings"
	"testing"

	"entra8344/schema"
)

// TestCheckTrusteesOnlyConnectorAccounts: on the DC path a grant goes only
// to an account found in the directory that is recognizably an Entra
// Connect connector account, and only to one of the accounts passed.
func TestCheckTrusteesOnlyConnectorAccounts(t *testing.T) {
	const msol, svc = "S-1-5-21-1-2-3-1109", "S-1-5-21-1-2-3-1110"
	grant := func(sid string) schema.Change { return schema.Change{Action: schema.ActionAddACE, TrusteeSID: sid} }
	for _, tc := range []struct {
		name    string
		account schema.ConnectorAccount
		grants  []schema.Change
		want    string
	}{
		{"MSOL_ account", schema.ConnectorAccount{Account: `CONTOSO\MSOL_2f4e1b7c9a3d`, Found: true, SID: msol}, []schema.Change{grant(msol)}, ""},
		{"custom account with Connect's description", schema.ConnectorAccount{Account: `CONTOSO\svc-aadc`, Found: true, SID: svc,
			Description: "Account created by Microsoft Azure Active Directory Connect with installation identifier 0123456789abcdef0123456789abcdef running on computer AADC01 configured to synchronize to tenant contoso.onmicrosoft.com. This account must have directory replication permissions in the local Active Directory and write permission on certain attributes to enable Hybrid Deployment."},
			[]schema.Change{grant(svc)}, ""},
		{"ordinary user", schema.ConnectorAccount{Account: `CONTOSO\jane`, Found: true, SID: svc}, []schema.Change{grant(svc)}, "not recognizably"},
		{"not found", schema.ConnectorAccount{Account: `CONTOSO\MSOL_2f4e1b7c9a3d`, Error: "no such account"}, []schema.Change{grant(msol)}, "not found"},
		{"grant to another SID", schema.ConnectorAccount{Account: `CONTOSO\MSOL_2f4e1b7c9a3d`, Found: true, SID: msol}, []schema.Change{grant(svc)}, "none of the connector accounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &schema.Verdict{Directory: schema.Directory{ConnectorAccounts: []schema.ConnectorAccount{tc.account}, Plan: schema.Plan{Changes: tc.grants}}}
			err := checkTrustees(v)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestACEShapeSecondDefence (issue 19 §1): remediate rebuilds the ACE from
// the plan and refuses, whatever detect planned, a trustee that is not an
// ordinary domain account (RID < 1000: Administrator, krbtgt, Domain
// Admins, Domain Users, ...) or not in a domain.
func TestACEShapeSecondDefence(t *testing.T) {
	ok := schema.Change{ID: "C1", Action: schema.ActionAddACE, TargetDN: "CN=AdminSDHolder,CN=System,DC=contoso,DC=com",
		TrusteeSID: "S-1-5-21-1-2-3-1109", Right: "WriteProperty", AttributeGUID: "5b47d60f-6090-40b2-9f37-2a4de88f3063"}
	if _, _, _, err := aceOf(ok); err != nil {
		t.Fatalf("an ordinary account refused: %v", err)
	}
	for name, sid := range map[string]string{"Administrator": "S-1-5-21-1-2-3-500", "krbtgt": "S-1-5-21-1-2-3-502",
		"Domain Admins": "S-1-5-21-1-2-3-512", "Domain Users": "S-1-5-21-1-2-3-513", "RID 999": "S-1-5-21-1-2-3-999",
		"Everyone": "S-1-1-0", "builtin": "S-1-5-32-544", "not a domain": "S-1-5-21-1-2-1109"} {
		c := ok
		c.TrusteeSID = sid
		if _, _, _, err := aceOf(c); err == nil {
			t.Errorf("%s (%s) accepted as a grant trustee", name, sid)
		}
	}
}

// TestParamObjectsOnePerOUTarget (issue 16): the DC re-derives OU targets
// from the objects passed, so each target gets one object (directly below
// it when there is one), beyond the three passed per other diagnosis.
func TestParamObjectsOnePerOUTarget(t *testing.T) {
	p := schema.Plan{Changes: []schema.Change{
		{ID: "C1", Action: schema.ActionAddOUACE, TargetDN: "OU=A,DC=x"},
		{ID: "C2", Action: schema.ActionAddOUACE, TargetDN: "OU=B,DC=x"},
		{ID: "C3", Action: schema.ActionAddOUACE, TargetDN: "OU=C,DC=x"},
		{ID: "C4", Action: schema.ActionAddOUACE, TargetDN: "OU=Blocked,DC=x"},
	}}
	g := schema.Diagnosis{Kind: schema.DiagOUPermissionMissing, Changes: []string{"C1", "C2", "C3", "C4"}}
	for _, dn := range []string{"CN=a1,OU=A,DC=x", "CN=a2,OU=A,DC=x", "CN=b1,OU=Sub,OU=B,DC=x", "CN=b2,OU=B,DC=x", "CN=c1,OU=C,DC=x", "CN=z,OU=Team,OU=Blocked,DC=x"} {
		g.Objects = append(g.Objects, schema.ObjectEvidence{DN: dn})
	}
	got := strings.Join(paramObjects(p, g), ";")
	if want := "CN=a1,OU=A,DC=x;CN=b2,OU=B,DC=x;CN=c1,OU=C,DC=x;CN=z,OU=Team,OU=Blocked,DC=x"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestIsAdminSDHolderParsesTheDN: the apply-time shape checks recognise
// AdminSDHolder however the DN is spelled, and nothing else.
func TestIsAdminSDHolderParsesTheDN(t *testing.T) {
	for dn, want := range map[string]bool{
		"CN=AdminSDHolder,CN=System,DC=contoso,DC=com":         true,
		"cn=adminsdholder, cn=system, dc=contoso, dc=com":      true,
		`CN=AdminSDHolder,CN=Sys\74em,DC=contoso,DC=com`:       true,
		"CN=AdminSDHolder,CN=System,OU=x,DC=contoso,DC=com":    false,
		"CN=AdminSDHolder,CN=System":                           false,
		"OU=AdminSDHolder,CN=System,DC=contoso,DC=com":         false,
		"CN=AdminSDHolder+CN=x,CN=System,DC=contoso,DC=com":    false,
		"CN=AdminSDHolderX,CN=System,DC=contoso,DC=com":        false,
		"CN=Jane,CN=AdminSDHolder,CN=System,DC=contoso,DC=com": false,
		"not a DN": false,
	} {
		if got := isAdminSDHolder(dn); got != want {
			t.Errorf("%q: %v, want %v", dn, got, want)
		}
	}
}
