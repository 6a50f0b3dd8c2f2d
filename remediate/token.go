package remediate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The approval token binds an approval to one plan digest, an expiry and a
// scope, under an HMAC key: the host's own (created on first use in the
// state directory) or an MSP-wide key. Layout, before base64url (no padding):
//
//	version 1 | scope 1 | expires 4 (unix seconds, big-endian) | host tag 4 |
//	digest prefix 16 | MAC 16
//
// The MAC is HMAC-SHA256 over a label and everything before it, truncated
// to 128 bits, so the token's integrity is checked first and on its own:
// a tampered token is "bad-mac", an intact one for another plan is
// "plan-changed". A 128-bit digest prefix leaves 2^128 work to find another
// plan with the same prefix. 42 bytes are 56 characters of [A-Za-z0-9_-]:
// they fit a 255-character RMM field.
const (
	tokenVersion  = 1
	tokenLen      = 1 + 1 + 4 + 4 + 16 + 16
	tokenPrefix   = "e8a1"
	digestPrefix  = 16
	macSize       = 16
	macLabel      = "entra8344 approval v1"
	DefaultExpiry = 72 * time.Hour
)

// Scope says where a token may be used.
type Scope byte

const (
	// ScopeHost: only on the host that issued it (its name is bound).
	ScopeHost Scope = 'h'
	// ScopeDC: only on the domain controller a member server's verdict
	// named, with the plan's parameters (remediate --plan), under the
	// MSP-wide key (the DC does not have the member server's host key).
	ScopeDC Scope = 'd'
)

// String is the scope's name in the verdict.
func (s Scope) String() string {
	if s == ScopeDC {
		return "dc"
	}
	return "host"
}

// Refusal is why a token was refused; remediate changes nothing and says it.
type Refusal struct {
	Code    string // missing, malformed, bad-mac, wrong-scope, other-host, expired, plan-changed
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Issue makes a host-scope token for digest, valid until expires, for host.
func Issue(key []byte, digest [DigestSize]byte, host string, expires time.Time) (string, error) {
	return IssueScoped(key, ScopeHost, digest, host, expires)
}

// IssueScoped makes a token of scope for digest, bound to host.
func IssueScoped(key []byte, scope Scope, digest [DigestSize]byte, host string, expires time.Time) (string, error) {
	if len(key) < 16 {
		return "", errors.New("approval key shorter than 16 bytes")
	}
	if scope != ScopeHost && scope != ScopeDC {
		return "", fmt.Errorf("unknown token scope %q", byte(scope))
	}
	b := make([]byte, tokenLen)
	b[0], b[1] = tokenVersion, byte(scope)
	binary.BigEndian.PutUint32(b[2:6], uint32(expires.Unix()))
	copy(b[6:10], hostTag(host))
	copy(b[10:26], digest[:digestPrefix])
	copy(b[26:], mac(key, b[:26]))
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Claims is what a token says once its MAC is checked.
type Claims struct {
	Scope   Scope
	Expires time.Time
	// DigestPrefix is the approved plan's digest prefix (hex).
	DigestPrefix string
	prefix       [digestPrefix]byte
}

// Verify checks a host-scope token against the live plan's digest, this
// host and now. Every refusal is a *Refusal with a specific code and an
// actionable message.
func Verify(key []byte, token string, live [DigestSize]byte, host string, now time.Time) (Claims, error) {
	return VerifyScoped(key, ScopeHost, token, live, host, now)
}

// VerifyScoped is Verify for a token that must have scope want: a host
// token is never accepted by the DC path, nor a DC token by the host path.
func VerifyScoped(key []byte, want Scope, token string, live [DigestSize]byte, host string, now time.Time) (Claims, error) {
	c, err := Check(key, want, token, host, now)
	if err != nil {
		return c, err
	}
	return c, c.Approves(live)
}

// Check verifies everything a token says that needs no directory: its MAC,
// scope, host and expiry. remediate calls it before any network I/O, so a
// forged or foreign token never makes this host dial anything; the plan
// digest is compared (Approves) once the live plan is known.
func Check(key []byte, want Scope, token, host string, now time.Time) (Claims, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Claims{}, &Refusal{"missing", "no approval token: set ENTRA8344_APPROVAL_TOKEN (or --token) to the token of the verdict you approved"}
	}
	raw, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || len(raw) != base64.RawURLEncoding.EncodedLen(tokenLen) {
		return Claims{}, &Refusal{"malformed", "the approval token is not one entra8344 issued (wrong prefix or length): copy it whole from the verdict's approval.token"}
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion || (Scope(b[1]) != ScopeHost && Scope(b[1]) != ScopeDC) {
		return Claims{}, &Refusal{"malformed", "the approval token is not one entra8344 issued (bad encoding, version or scope): copy it whole from the verdict's approval.token"}
	}
	if !hmac.Equal(b[26:], mac(key, b[:26])) {
		return Claims{}, &Refusal{"bad-mac", "the approval token's signature does not verify under this host's approval key (altered, or issued under another key)"}
	}
	c := Claims{Scope: Scope(b[1]), Expires: time.Unix(int64(binary.BigEndian.Uint32(b[2:6])), 0).UTC(), DigestPrefix: hex.EncodeToString(b[10:26]), prefix: [digestPrefix]byte(b[10:26])}
	if c.Scope != want {
		if want == ScopeDC {
			return c, &Refusal{"wrong-scope", "the approval token is for the host that issued it, not for a plan passed with --plan: run remediate there without --plan"}
		}
		return c, &Refusal{"wrong-scope", "the approval token is for the domain controller the verdict named (approval.run_on), with the verdict's approval.plan passed as ENTRA8344_APPROVAL_PLAN (or --plan)"}
	}
	if !hmac.Equal(b[6:10], hostTag(host)) {
		return c, &Refusal{"other-host", fmt.Sprintf("the approval token was issued on another host, not %s: approve the verdict of this host", host)}
	}
	if !now.Before(c.Expires) {
		return c, &Refusal{"expired", fmt.Sprintf("the approval token expired at %s: run detect again and approve the new verdict", c.Expires.Format(time.RFC3339))}
	}
	return c, nil
}

// Approves says whether the checked token approves the plan whose digest is
// live; otherwise the refusal is plan-changed.
func (c Claims) Approves(live [DigestSize]byte) error {
	if !hmac.Equal(c.prefix[:], live[:digestPrefix]) {
		return &Refusal{"plan-changed", "the situation changed: the live plan differs from the approved one; run detect again and approve the new plan"}
	}
	return nil
}

func mac(key, signed []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(macLabel))
	m.Write(signed)
	return m.Sum(nil)[:macSize]
}

// hostTag binds a token to a host name (case-insensitive).
func hostTag(host string) []byte {
	h := sha256.Sum256([]byte("entra8344 host\x00" + strings.ToLower(strings.TrimSpace(host))))
	return h[:4]
}

// HostID names a host for the token's host scope: its DNS name, lower case.
func HostID(computer, dnsDomain string) string {
	h := strings.ToLower(strings.TrimSpace(computer))
	if d := strings.ToLower(strings.TrimSpace(dnsDomain)); d != "" && !strings.Contains(h, ".") {
		h += "." + d
	}
	return h
}

// TokenID is a token's name in the journal: a hash, so the journal never
// holds an approval someone could reuse.
func TokenID(token string) string {
	h := sha256.Sum256([]byte("entra8344 token\x00" + strings.TrimSpace(token)))
	return hex.EncodeToString(h[:12])
}

// TokenNamesHost reports whether token verifies under key and is bound to
// host (HostID form), whatever its scope and expiry: the replay uses it to
// become the DC that approval.run_on names.
func TokenNamesHost(key []byte, token, host string) bool {
	raw, ok := strings.CutPrefix(strings.TrimSpace(token), tokenPrefix)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	return err == nil && len(b) == tokenLen && hmac.Equal(b[26:], mac(key, b[:26])) && hmac.Equal(b[6:10], hostTag(host))
}
