package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// acl --account over a scenario's directory: one document per format, the
// account resolved and its domain scanned; a malformed or unknown account
// is an error document with exit 3, never a partial review.
func TestAclReview(t *testing.T) {
	for _, c := range []struct {
		name, account, format string
		code                  int
		want                  string
	}{
		{"json", `CONTOSO\MSOL_2f4e1b7c9a3d`, "json", 0, `"sid": "S-1-5-21-1004336348-1177238915-682003330-1109"`},
		{"csv", `CONTOSO\MSOL_2f4e1b7c9a3d`, "csv", 0, "dn,domain_nc,trustee,"},
		{"text", `CONTOSO\MSOL_2f4e1b7c9a3d`, "text", 0, "Read DC=contoso,DC=com from dc01.contoso.com"},
		{"no domain", `MSOL_2f4e1b7c9a3d`, "json", 3, `want DOMAIN\\user`},
		{"unknown account", `CONTOSO\nobody`, "text", 3, `ERROR: the account CONTOSO\\nobody was not found`},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, code := runCLI(t, "acl", "--account", c.account, "--replay", "keycredlink-admin", "--format", c.format)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s", code, c.code, c.want, out)
			}
			if c.format == "json" {
				var doc map[string]any
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatalf("not one JSON document: %v", err)
				}
			}
		})
	}
}

// TestAclReadsTheReplay: acl's DN read asks the same host as the review,
// so --replay reads the scenario's directory like every other command.
func TestAclReadsTheReplay(t *testing.T) {
	t.Setenv(sessionsEnv, t.TempDir())
	out, stderr, code := runCLI(t, "acl", "--replay", "demo")
	var res aclResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || stderr != "" {
		t.Fatalf("exit %d stderr %q: %v\n%s", code, stderr, err, out)
	}
	if res.DN != "CN=AdminSDHolder,CN=System,DC=contoso,DC=com" || !strings.HasPrefix(res.SDDL, "D:PAI") || res.Server != "dc01.contoso.com" {
		t.Errorf("got %+v", res)
	}
}
