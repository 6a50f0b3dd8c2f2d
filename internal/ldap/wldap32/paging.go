package wldap32

import (
	"bytes"
	"errors"
	"fmt"

	"entra8344/internal/ldap"
)

// Paged results (RFC 2696), built and parsed here rather than through
// ldap_create_page_controlW / ldap_parse_page_controlW: the value is a
// seven-byte-plus-cookie BER sequence, and parsing it in Go keeps one code
// path for Windows and Wine and lets it be tested on every OS. The control
// travels through ldap_search_ext_sW and comes back from
// ldap_parse_resultW, calls the Wine/Samba tests exercise.

// oidPagedResults is the paged results control (LDAP_PAGED_RESULT_OID_STRING).
const oidPagedResults = "1.2.840.113556.1.4.319"

// DefaultPageSize is the page size when Dialer.PageSize is 0: AD's default
// MaxPageSize, so a DC never truncates a page.
const DefaultPageSize = 1000

// maxCookie bounds a server's cookie (AD's are tens of bytes).
const maxCookie = 1 << 16

// pagedControl is the request control: SEQUENCE { size INTEGER, cookie
// OCTET STRING }. Not critical, as go-ldap sends it: a server without
// paging answers with everything up to its own limit and no response
// control, which ends the loop after one round.
func pagedControl(size uint32, cookie []byte) ldap.Control {
	var body bytes.Buffer
	body.Write(berInteger(size))
	body.WriteByte(0x04)
	body.Write(berLength(len(cookie)))
	body.Write(cookie)
	v := []byte{0x30}
	v = append(v, berLength(body.Len())...)
	v = append(v, body.Bytes()...)
	return ldap.Control{OID: oidPagedResults, Value: v}
}

func berInteger(n uint32) []byte {
	// Minimal two's complement, big-endian; a leading 0 keeps it positive.
	b := []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	for len(b) > 1 && b[0] == 0 && b[1]&0x80 == 0 {
		b = b[1:]
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return append([]byte{0x02, byte(len(b))}, b...)
}

func berLength(n int) []byte {
	if n < 0x80 {
		return []byte{byte(n)}
	}
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return append([]byte{0x80 | byte(len(b))}, b...)
}

// parsePagedValue reads the response control's cookie. The value comes
// from the server: anything malformed is an error, never a panic.
func parsePagedValue(v []byte) (cookie []byte, err error) {
	seq, rest, err := berTLV(v, 0x30)
	if err != nil {
		return nil, fmt.Errorf("paged results control: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("paged results control: trailing bytes after the sequence")
	}
	size, seq, err := berTLV(seq, 0x02)
	if err != nil || len(size) == 0 {
		return nil, fmt.Errorf("paged results control: size: %v", orEmpty(err))
	}
	cookie, seq, err = berTLV(seq, 0x04)
	if err != nil {
		return nil, fmt.Errorf("paged results control: cookie: %w", err)
	}
	if len(seq) != 0 {
		return nil, errors.New("paged results control: trailing bytes in the sequence")
	}
	if len(cookie) > maxCookie {
		return nil, fmt.Errorf("paged results control: cookie of %d bytes (more than %d)", len(cookie), maxCookie)
	}
	return bytes.Clone(cookie), nil
}

func orEmpty(err error) error {
	if err == nil {
		return errors.New("empty integer")
	}
	return err
}

// berTLV splits one element with the given tag off b (definite lengths,
// short or long form up to 4 bytes).
func berTLV(b []byte, tag byte) (content, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, errors.New("truncated")
	}
	if b[0] != tag {
		return nil, nil, fmt.Errorf("tag 0x%02x, want 0x%02x", b[0], tag)
	}
	n, i := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return nil, nil, errors.New("bad length")
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || n > len(b)-i {
		return nil, nil, errors.New("length past the end")
	}
	return b[i : i+n], b[i+n:], nil
}

// page is one round of a paged search.
type page struct {
	entries []*ldap.Entry
	// controls are the server's response controls.
	controls []ldap.Control
	// err is the round's failure; with sizeLimitExceeded entries still
	// holds what arrived.
	err error
}

// pagedSearch runs fetch (one search request with the paged control
// given, asking for at most sizeLimit entries, 0 = no limit) until the
// server's cookie is empty. limit is the caller's SizeLimit (0 = none):
// reaching it with more pages pending is sizeLimitExceeded, with the
// entries so far, as for an unpaged search. limitErr builds that error.
// A failed round ends the search: with sizeLimitExceeded the entries so
// far come back with it, any other error drops them.
func pagedSearch(size, limit int, fetch func(ctl ldap.Control, sizeLimit int) page, protoErr func(msg string) error, limitErr func() error) ([]*ldap.Entry, error) {
	var out []*ldap.Entry
	var cookie []byte
	for round := 1; ; round++ {
		sl := 0
		if limit > 0 {
			sl = limit - len(out)
		}
		p := fetch(pagedControl(uint32(size), cookie), sl)
		out = append(out, p.entries...)
		if p.err != nil {
			if ldap.IsCode(p.err, ldap.ResultSizeLimitExceeded) {
				return out, p.err
			}
			return nil, p.err
		}
		if limit > 0 && len(out) > limit {
			// A server that ignores the size limit (Samba 4.17 does).
			return out[:limit], limitErr()
		}
		next, found, err := responseCookie(p.controls)
		if err != nil {
			return nil, protoErr(fmt.Sprintf("page %d: %v", round, err))
		}
		if !found || len(next) == 0 {
			return out, nil
		}
		if limit > 0 && len(out) >= limit {
			return out[:limit], limitErr()
		}
		if len(p.entries) == 0 && bytes.Equal(next, cookie) {
			// A server that hands back the cookie it was given without
			// progress would keep this loop going until the timeout.
			return nil, protoErr(fmt.Sprintf("page %d: the server returned the same paging cookie and no entries", round))
		}
		cookie = next
	}
}

// responseCookie finds the paged results response control.
func responseCookie(cs []ldap.Control) (cookie []byte, found bool, err error) {
	for _, c := range cs {
		if c.OID == oidPagedResults {
			cookie, err = parsePagedValue(c.Value)
			return cookie, true, err
		}
	}
	return nil, false, nil
}

// pages tells whether a search should be paged by the transport: any
// search that is not a base search, unless paging is off or the caller
// pages itself (its own paged control).
func pages(pageSize int, scope ldap.Scope, controls []ldap.Control) bool {
	if pageSize <= 0 || scope == ldap.ScopeBase {
		return false
	}
	for _, c := range controls {
		if c.OID == oidPagedResults {
			return false
		}
	}
	return true
}
