package cli

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entra8344/internal/ntsd"
	"entra8344/internal/schemacheck"
	"entra8344/schema"
)

// driftScenario writes a healthy server (no export error in its history or
// csexport) over stale-msol-ace's directory into dir/scen, the domain
// root's DACL edited by mutate. The folder's name is the same for every
// case, so they share the replay key a baseline is sealed under.
func driftScenario(t *testing.T, dir string, mutate func(acl *ntsd.ACL)) string {
	t.Helper()
	scen := filepath.Join(dir, "scen")
	src := filepath.Join("..", "..", "fixtures", "scenarios")
	for _, f := range []string{"collector.json", "host.json", "scenario.json", "csexport/contoso.com.xml", "csexport/contoso.onmicrosoft.com - AAD.xml"} {
		b, err := os.ReadFile(filepath.Join(src, "healthy", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(scen, f)), 0o755)
		if err := os.WriteFile(filepath.Join(scen, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ldif, err := os.ReadFile(filepath.Join(src, "stale-msol-ace", "directory.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	// Unfold, then edit the domain root's nTSecurityDescriptor.
	lines := strings.Split(strings.ReplaceAll(string(ldif), "\n ", ""), "\n")
	inRoot, edited := false, false
	for i, l := range lines {
		if strings.HasPrefix(l, "dn:") {
			inRoot = strings.TrimSpace(strings.TrimPrefix(l, "dn:")) == "DC=contoso,DC=com"
		}
		if v, ok := strings.CutPrefix(l, "nTSecurityDescriptor:: "); ok && inRoot && mutate != nil {
			raw, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := ntsd.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			mutate(sd.DACL)
			lines[i] = "nTSecurityDescriptor:: " + base64.StdEncoding.EncodeToString(sd.Marshal())
			edited = true
		}
	}
	if mutate != nil && !edited {
		t.Fatal("the domain root's security descriptor was not found")
	}
	if err := os.WriteFile(filepath.Join(scen, "directory.ldif"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return scen
}

const msol = "S-1-5-21-1004336348-1177238915-682003330-1109"

// connectorACE is the index of the connector's root ACE on objectType g.
func connectorACE(t *testing.T, acl *ntsd.ACL, g string) int {
	for i, a := range acl.ACEs {
		if a.SID.String() == msol && a.ObjectType.String() == g {
			return i
		}
	}
	t.Fatalf("no connector ACE for %s", g)
	return -1
}

func verdictOf(t *testing.T, stdout string) *schema.Verdict {
	t.Helper()
	if err := schemacheck.Validate("verdict", []byte(stdout)); err != nil {
		t.Fatalf("verdict does not validate: %v\n%s", err, stdout)
	}
	var v schema.Verdict
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// TestBaselineDrift: a baseline recorded on a healthy server; then the
// directory drifts (an ACE removed, changed, a broad one added) and detect
// reports it as findings before any export error exists, within the
// healthy read budget; a tampered baseline is refused, never compared.
func TestBaselineDrift(t *testing.T) {
	t.Setenv("ENTRA8344_APPROVAL_KEY", "")
	t.Setenv(sessionsEnv, t.TempDir())
	root := t.TempDir()
	base := driftScenario(t, filepath.Join(root, "base"), nil)
	out, stderr, code := runCLI(t, "baseline", "--replay", base)
	var res baselineResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || stderr != "" || res.Action != "recorded" {
		t.Fatalf("baseline: exit %d, %v, %s %s", code, err, out, stderr)
	}
	if n := len(res.Baseline.Connectors[0].ACEs); n != 5 {
		t.Fatalf("baseline has %d connector ACEs, want the 5 on the domain root", n)
	}
	sealed, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}

	// The healthy server with its baseline: no drift, 1 process, the budget.
	out, _, code = runCLI(t, "detect", "--replay", base)
	v := verdictOf(t, out)
	if v.Status != schema.StatusHealthy || len(v.Findings) != 0 || code != exitOK {
		t.Fatalf("baseline's own directory: status %s, %d findings", v.Status, len(v.Findings))
	}
	if ops := v.Directory.LDAPOperations; ops > 15 || ops == 0 {
		t.Errorf("healthy server with a baseline: %d LDAP operations, budget 15", ops)
	}
	if p := v.Collection.ProcessesStarted; p != 1 {
		t.Errorf("healthy server with a baseline started %d processes, want 1", p)
	}

	keyLink := "5b47d60f-6090-40b2-9f37-2a4de88f3063" // msDS-KeyCredentialLink
	for _, tc := range []struct {
		name   string
		mutate func(acl *ntsd.ACL)
		want   []schema.FindingKind
	}{
		{"removed", func(acl *ntsd.ACL) {
			i := connectorACE(t, acl, keyLink)
			acl.ACEs = append(acl.ACEs[:i], acl.ACEs[i+1:]...)
		}, []schema.FindingKind{schema.KindACERemoved}},
		{"changed", func(acl *ntsd.ACL) {
			acl.ACEs[connectorACE(t, acl, keyLink)].Mask = ntsd.RightWriteProperty
		}, []schema.FindingKind{schema.KindACEChanged}},
		{"added-broad", func(acl *ntsd.ACL) {
			sid, _ := ntsd.ParseSIDString(msol)
			acl.ACEs = append(acl.ACEs, ntsd.ACE{Type: 0, Flags: ntsd.ContainerInherit, Mask: ntsd.GenericAll, SID: sid})
		}, []schema.FindingKind{schema.KindACEAddedBroad}},
		{"added-narrow", func(acl *ntsd.ACL) {
			sid, _ := ntsd.ParseSIDString(msol)
			g, _ := ntsd.ParseGUID("bf967a06-0de6-11d0-a285-00aa003049e3")
			acl.ACEs = append(acl.ACEs, ntsd.NewObjectAllow(ntsd.RightWriteProperty, g, sid))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scen := driftScenario(t, filepath.Join(root, tc.name), tc.mutate)
			if err := os.WriteFile(filepath.Join(scen, "baseline.json"), sealed, 0o600); err != nil {
				t.Fatal(err)
			}
			out, stderr, code := runCLI(t, "detect", "--replay", scen)
			v := verdictOf(t, out)
			var kinds []schema.FindingKind
			for _, f := range v.Findings {
				kinds = append(kinds, f.Kind)
				if f.Drift == nil || f.Drift.DN != "DC=contoso,DC=com" || f.Drift.BaselineRecordedAt != res.Baseline.RecordedAt {
					t.Errorf("finding %s: drift %+v", f.ID, f.Drift)
				}
			}
			if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tc.want), ",") || stderr != "" {
				t.Fatalf("findings %v, want %v (stderr %q)\n%s", kinds, tc.want, stderr, out)
			}
			for _, c := range v.Sync.Connectors {
				if c.ExportErrors != 0 {
					t.Fatalf("connector %s has export errors: drift must show before any", c.Name)
				}
			}
			if len(tc.want) > 0 && code != exitPerson {
				t.Errorf("exit %d, want %d", code, exitPerson)
			}

			// A second baseline says what changed and keeps the old one.
			out, _, code = runCLI(t, "baseline", "--replay", scen)
			var res2 baselineResult
			json.Unmarshal([]byte(out), &res2)
			if res2.Action != "changed" || code != exitPerson || len(res2.Changes) == 0 {
				t.Fatalf("second baseline: exit %d %s", code, out)
			}
			if kept, _ := os.ReadFile(res2.Path); string(kept) != string(sealed) {
				t.Error("a second baseline replaced the recorded one without --replace")
			}
			out, _, code = runCLI(t, "baseline", "--replay", scen, "--replace")
			json.Unmarshal([]byte(out), &res2)
			if res2.Action != "replaced" || code != exitOK {
				t.Fatalf("--replace: exit %d %s", code, out)
			}
			out, _, _ = runCLI(t, "detect", "--replay", scen)
			if v := verdictOf(t, out); len(v.Findings) != 0 {
				t.Errorf("after --replace: %d findings", len(v.Findings))
			}
		})
	}

	// Tampered: one byte of the sealed document changed.
	scen := driftScenario(t, filepath.Join(root, "tampered"), func(acl *ntsd.ACL) { acl.ACEs = acl.ACEs[:1] })
	bad := strings.Replace(string(sealed), `\"mask\":48`, `\"mask\":49`, 1)
	bad = strings.Replace(bad, `"mask": 48`, `"mask": 49`, 1)
	if bad == string(sealed) {
		t.Fatal("tamper did not change the file")
	}
	os.WriteFile(filepath.Join(scen, "baseline.json"), []byte(bad), 0o600)
	out, _, _ = runCLI(t, "detect", "--replay", scen)
	v = verdictOf(t, out)
	warned := false
	for _, w := range v.Warnings {
		warned = warned || w.Code == "baseline-unreadable"
	}
	if len(v.Findings) != 0 || !warned {
		t.Errorf("tampered baseline: %d findings, warned %t", len(v.Findings), warned)
	}
	out, _, code = runCLI(t, "baseline", "--replay", scen, "--show")
	if code != exitUnknown || !strings.Contains(out, "MAC") {
		t.Errorf("--show of a tampered baseline: exit %d %s", code, out)
	}
}

func kindStrings(ks []schema.FindingKind) []string {
	out := []string{}
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}
