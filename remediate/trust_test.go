package remediate_test

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"entra8344/detect"
	"entra8344/internal/ldap"
	"entra8344/remediate"
	"entra8344/schema"
)

// dialLog wraps a run's directory and records every host dialled, through
// every connector's dialer: the transport-level view of "what did this
// run talk to".
type dialLog struct {
	inner detect.DirectorySource
	mu    sync.Mutex
	hosts []string
}

func (l *dialLog) Dialer(connector string) (ldap.Dialer, error) {
	d, err := l.inner.Dialer(connector)
	if err != nil {
		return nil, err
	}
	return dialFunc(func(ctx context.Context, host string) (ldap.Conn, error) {
		l.mu.Lock()
		l.hosts = append(l.hosts, strings.ToLower(host))
		l.mu.Unlock()
		return d.Dial(ctx, host)
	}), nil
}

func (l *dialLog) dialled() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hosts...)
}

type dialFunc func(ctx context.Context, host string) (ldap.Conn, error)

func (f dialFunc) Dial(ctx context.Context, host string) (ldap.Conn, error) { return f(ctx, host) }

// forgedParams: plan parameters whose connector, account and object all
// name a forest the DC is not part of (an attacker's LDAP server).
func forgedParams(connector, account, dn string) string {
	doc := `{"v":1,"f":[{"c":"` + connector + `","a":"` + strings.ReplaceAll(account, `\`, `\\`) + `","o":[{"d":"` + dn + `","t":["msDS-KeyCredentialLink"]}]}]}`
	return base64.RawURLEncoding.EncodeToString([]byte(doc))
}

// TestDCPathAuthenticatesBeforeDialling: on the DC path the token's MAC,
// scope, host and expiry are checked before any network I/O (a bad token
// dials nothing at all), and a valid token with forged parameters reads
// only the DC's own forest: the forged host is never dialled and the run
// is refused with nothing written.
func TestDCPathAuthenticatesBeforeDialling(t *testing.T) {
	d := newDCWorld(t)
	forged := forgedParams("evil.example", `EVIL\MSOL_0123456789ab`, "CN=Jane,OU=Admins,DC=evil,DC=example")
	var digest [remediate.DigestSize]byte
	now := d.dc.sc.Now
	sign := func(key []byte, scope remediate.Scope, host string, exp time.Time) string {
		tok, err := remediate.IssueScoped(key, scope, digest, host, exp)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherKey := []byte("another MSP's key, 32 bytes long!")
	cases := []struct {
		name, token, params, code string
		anyDial                   bool
	}{
		{"no token", "", forged, "token-missing", false},
		{"not a token", "not-a-token", forged, "token-malformed", false},
		{"another key", sign(otherKey, remediate.ScopeDC, "dc01.contoso.com", now.Add(time.Hour)), forged, "token-bad-mac", false},
		{"host scope", sign(d.dc.key, remediate.ScopeHost, "dc01.contoso.com", now.Add(time.Hour)), forged, "token-wrong-scope", false},
		{"other DC", sign(d.dc.key, remediate.ScopeDC, "dc02.contoso.com", now.Add(time.Hour)), forged, "token-other-host", false},
		{"expired", sign(d.dc.key, remediate.ScopeDC, "dc01.contoso.com", now.Add(-time.Minute)), forged, "token-expired", false},
		{"malformed params", d.token, "!!", "plan-malformed", false},
		// A valid DC token: the DC dials itself only, sees the forged
		// names are not in its forest and refuses before any other dial.
		{"valid token, forged forest", sign(d.dc.key, remediate.ScopeDC, "dc01.contoso.com", now.Add(time.Hour)), forged, "plan-outside-forest", true},
		{"valid token, forged account domain", sign(d.dc.key, remediate.ScopeDC, "dc01.contoso.com", now.Add(time.Hour)),
			forgedParams("contoso.com", `EVIL\MSOL_0123456789ab`, "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"), "plan-outside-forest", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := &dialLog{inner: d.dc.dir}
			before := d.dc.holder()
			res := d.dc.remediateWith(c.token, func(e *remediate.Env) {
				e.PlanParams = c.params
				e.Detect.Directory = log
			})
			if res.Status != schema.ResultRefused || res.Refusal == nil || res.Refusal.Code != c.code {
				t.Fatalf("got %s %+v, want refused %s", res.Status, res.Refusal, c.code)
			}
			dialled := log.dialled()
			if !c.anyDial && len(dialled) > 0 {
				t.Errorf("dialled %q before the token was verified", dialled)
			}
			for _, h := range dialled {
				if h != "dc01.contoso.com" {
					t.Errorf("dialled %q: the DC path dials only the DC itself and hosts its own directory names", h)
				}
			}
			if string(d.dc.holder()) != string(before) || len(d.dc.dir.Modifications()) != 0 {
				t.Error("the directory changed")
			}
		})
	}
}

// TestDCPathConnectorNameIsOnlyALabel: the connector name in the
// parameters is never dialled; the DC reads its own forest and the
// approved plan is carried out as usual.
func TestDCPathConnectorNameIsOnlyALabel(t *testing.T) {
	d := newDCWorld(t)
	raw, err := base64.RawURLEncoding.DecodeString(d.params)
	if err != nil {
		t.Fatal(err)
	}
	renamed := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"c":"contoso.com"`, `"c":"evil.example"`, 1)))
	if renamed == d.params {
		t.Fatalf("the parameters do not name connector contoso.com: %s", raw)
	}
	log := &dialLog{inner: d.dc.dir}
	res := d.dc.remediateWith(d.token, func(e *remediate.Env) {
		e.PlanParams = renamed
		e.Detect.Directory = log
	})
	if res.Status != schema.ResultVerified {
		t.Fatalf("got %s: %s", res.Status, res.Summary)
	}
	for _, h := range log.dialled() {
		if h != "dc01.contoso.com" {
			t.Errorf("dialled %q", h)
		}
	}
}
