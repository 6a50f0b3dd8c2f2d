package remediate

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"entra8344/schema"
)

func plan(changes ...schema.Change) schema.Plan { return schema.Plan{Changes: changes} }

var (
	grantKCL = schema.Change{Action: schema.ActionAddACE, DomainSID: "S-1-5-21-1-2-3", TargetDN: "CN=AdminSDHolder,CN=System,DC=contoso,DC=com",
		TrusteeSID: "S-1-5-21-1-2-3-1109", Right: "WriteProperty", AttributeGUID: "5b47d60f-6090-40b2-9f37-2a4de88f3063", Server: "dc01.contoso.com", ID: "C1"}
	trigger = schema.Change{Action: schema.ActionRunProtectTask, DomainSID: "S-1-5-21-1-2-3", Right: "runProtectAdminGroupsTask", Server: "dc01.contoso.com", ID: "C2"}
	key     = bytes.Repeat([]byte{7}, 32)
	now     = time.Date(2025, 6, 16, 15, 0, 0, 0, time.UTC)
)

func with(c schema.Change, edit func(*schema.Change)) schema.Change { edit(&c); return c }

// TestDigestChangesOnly: the digest follows the changes, not their order,
// ids, servers, names or DN spelling.
func TestDigestChangesOnly(t *testing.T) {
	base := Digest(plan(grantKCL, trigger))
	same := []schema.Plan{
		plan(trigger, grantKCL),
		plan(with(grantKCL, func(c *schema.Change) {
			c.ID, c.Server, c.TrusteeName, c.ACE = "C9", "dc02.contoso.com", "X", "whatever"
		}), trigger),
		plan(with(grantKCL, func(c *schema.Change) { c.TargetDN = "cn=adminsdholder, cn=system, dc=CONTOSO, dc=com" }), trigger),
		plan(grantKCL, trigger, grantKCL),
	}
	for i, p := range same {
		if Digest(p) != base {
			t.Errorf("case %d: same changes, different digest:\n%s", i, Canonical(p))
		}
	}
	differ := map[string]schema.Plan{
		"trustee":   plan(with(grantKCL, func(c *schema.Change) { c.TrusteeSID = "S-1-5-21-1-2-3-1110" }), trigger),
		"attribute": plan(with(grantKCL, func(c *schema.Change) { c.AttributeGUID = "7cb4c7d3-8787-42b0-b438-3c5d479ad31e" }), trigger),
		"domain":    plan(with(grantKCL, func(c *schema.Change) { c.DomainSID = "S-1-5-21-9-9-9" }), trigger),
		"target":    plan(with(grantKCL, func(c *schema.Change) { c.TargetDN = "CN=AdminSDHolder,CN=System,DC=emea,DC=contoso,DC=com" }), trigger),
		"right":     plan(with(grantKCL, func(c *schema.Change) { c.Right = "GenericAll" }), trigger),
		"action":    plan(grantKCL),
		"more":      plan(grantKCL, trigger, with(grantKCL, func(c *schema.Change) { c.AttributeGUID = "7cb4c7d3-8787-42b0-b438-3c5d479ad31e" })),
	}
	for name, p := range differ {
		if Digest(p) == base {
			t.Errorf("%s changed but the digest did not", name)
		}
	}
	if Canonical(schema.Plan{}) != "" {
		t.Error("an empty plan must have an empty canonical form")
	}
}

// TestTokenRefusals: at least ten ways a token is refused, each with its
// own code; a valid one passes.
func TestTokenRefusals(t *testing.T) {
	d := Digest(plan(grantKCL, trigger))
	tok, err := Issue(key, d, "DC01.contoso.com", now.Add(DefaultExpiry))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(tok) || len(tok) >= 120 {
		t.Fatalf("token %q: must be [A-Za-z0-9_-] under 120 characters", tok)
	}
	if _, err := Verify(key, tok, d, "dc01.contoso.com", now); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, tokenPrefix))
	reencode := func(edit func([]byte)) string {
		b := append([]byte(nil), raw...)
		edit(b)
		return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	}
	otherPlan := Digest(plan(with(grantKCL, func(c *schema.Change) { c.TrusteeSID = "S-1-5-21-1-2-3-1110" }), trigger))
	cases := []struct {
		name, token, host, want string
		live                    [DigestSize]byte
		at                      time.Time
		key                     []byte
	}{
		{"empty", "", "dc01.contoso.com", "missing", d, now, key},
		{"blank", "   ", "dc01.contoso.com", "missing", d, now, key},
		{"truncated", tok[:len(tok)-3], "dc01.contoso.com", "malformed", d, now, key},
		{"no prefix", strings.TrimPrefix(tok, tokenPrefix) + "AAAA", "dc01.contoso.com", "malformed", d, now, key},
		{"not base64", tokenPrefix + strings.Repeat("!", len(tok)-len(tokenPrefix)), "dc01.contoso.com", "malformed", d, now, key},
		{"other version", reencode(func(b []byte) { b[0] = 2 }), "dc01.contoso.com", "malformed", d, now, key},
		{"tampered expiry", reencode(func(b []byte) { b[2]++ }), "dc01.contoso.com", "bad-mac", d, now, key},
		{"tampered digest", reencode(func(b []byte) { b[12] ^= 1 }), "dc01.contoso.com", "bad-mac", d, now, key},
		{"tampered mac", reencode(func(b []byte) { b[len(b)-1] ^= 0x80 }), "dc01.contoso.com", "bad-mac", d, now, key},
		{"wrong key", tok, "dc01.contoso.com", "bad-mac", d, now, bytes.Repeat([]byte{8}, 32)},
		{"expired", tok, "dc01.contoso.com", "expired", d, now.Add(DefaultExpiry), key},
		{"other host", tok, "dc02.contoso.com", "other-host", d, now, key},
		{"plan drift: trustee", tok, "dc01.contoso.com", "plan-changed", otherPlan, now, key},
		{"plan drift: after revert, nothing to do", tok, "dc01.contoso.com", "plan-changed", Digest(schema.Plan{}), now, key},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.key, c.token, c.live, c.host, c.at)
			r, ok := err.(*Refusal)
			if !ok || r.Code != c.want {
				t.Fatalf("got %v, want refusal %q", err, c.want)
			}
			if r.Message == "" {
				t.Error("a refusal must say why and what to do")
			}
		})
	}
}

func TestHostKeyCreatedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k, err := HostKey(dir)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}(i)
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) || len(k) != 32 {
			t.Fatal("concurrent first runs created different keys")
		}
	}
	if st, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("key file %v, mode %v: must be private", err, st)
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("short"), 0o600)
	if _, err := HostKey(dir); err == nil {
		t.Error("a damaged key must be an error, not silently replaced")
	}
}

func TestKeyFromEnv(t *testing.T) {
	t.Setenv(EnvApprovalKey, "")
	if _, set, err := KeyFromEnv(); set || err != nil {
		t.Fatal("unset")
	}
	t.Setenv(EnvApprovalKey, base64.StdEncoding.EncodeToString(key))
	if k, set, err := KeyFromEnv(); !set || err != nil || !bytes.Equal(k, key) {
		t.Fatalf("base64 key: %v %v", set, err)
	}
	t.Setenv(EnvApprovalKey, "c2hvcnQ=")
	if _, set, err := KeyFromEnv(); !set || err == nil {
		t.Fatal("a short key must be refused")
	}
}

// FuzzVerify: no input panics, and no input but the issued token verifies.
func FuzzVerify(f *testing.F) {
	d := Digest(plan(grantKCL, trigger))
	tok, _ := Issue(key, d, "dc01", now.Add(time.Hour))
	f.Add(tok)
	f.Add("")
	f.Add(tokenPrefix + strings.Repeat("A", 56))
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := Verify(key, s, d, "dc01", now); err == nil && s != tok && strings.TrimSpace(s) != tok {
			t.Fatalf("%q verified", s)
		}
	})
}

// TestEveryDigestPrefixByteBinds (issue 19 §1): a live plan whose digest
// differs from the approved one in any byte of the 16-byte prefix is not
// approved (a comparison of part of the prefix would let it through).
func TestEveryDigestPrefixByteBinds(t *testing.T) {
	d := Digest(plan(grantKCL, trigger))
	tok, err := Issue(key, d, "dc01.contoso.com", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(key, tok, d, "dc01.contoso.com", now); err != nil {
		t.Fatalf("the approved digest: %v", err)
	}
	for i := 0; i < 16; i++ {
		live := d
		live[i] ^= 0x01
		if _, err := Verify(key, tok, live, "dc01.contoso.com", now); err == nil {
			t.Errorf("digest differing in byte %d approved", i)
		}
	}
}
