package wldap32

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"testing"

	"entra8344/internal/ldap"
)

func TestPagedControlEncoding(t *testing.T) {
	long := bytes.Repeat([]byte{0xab}, 200)
	tests := []struct {
		size   uint32
		cookie []byte
		want   []byte
	}{
		{1000, nil, []byte{0x30, 0x06, 0x02, 0x02, 0x03, 0xe8, 0x04, 0x00}},
		{50, []byte{1, 2, 3}, []byte{0x30, 0x08, 0x02, 0x01, 0x32, 0x04, 0x03, 1, 2, 3}},
		{128, nil, []byte{0x30, 0x06, 0x02, 0x02, 0x00, 0x80, 0x04, 0x00}},
		{0, nil, []byte{0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00}},
		{1 << 31, nil, []byte{0x30, 0x09, 0x02, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00, 0x04, 0x00}},
		{1000, long, append([]byte{0x30, 0x81, 0xcf, 0x02, 0x02, 0x03, 0xe8, 0x04, 0x81, 0xc8}, long...)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("size %d cookie %d", tt.size, len(tt.cookie)), func(t *testing.T) {
			c := pagedControl(tt.size, tt.cookie)
			if c.OID != "1.2.840.113556.1.4.319" || c.Critical {
				t.Errorf("control %s critical %v", c.OID, c.Critical)
			}
			if !bytes.Equal(c.Value, tt.want) {
				t.Fatalf("value % x, want % x", c.Value, tt.want)
			}
			// Cross-check with encoding/asn1 (our encoding is DER).
			var v struct {
				Size   int64
				Cookie []byte
			}
			if rest, err := asn1.Unmarshal(c.Value, &v); err != nil || len(rest) != 0 || v.Size != int64(tt.size) || !bytes.Equal(v.Cookie, tt.cookie) {
				t.Errorf("asn1: %+v rest %d err %v", v, len(rest), err)
			}
			cookie, err := parsePagedValue(c.Value)
			if err != nil || !bytes.Equal(cookie, tt.cookie) {
				t.Errorf("parse: % x, %v", cookie, err)
			}
		})
	}
}

// The response control comes from the server: malformed values are errors.
func TestParsePagedValueMalformed(t *testing.T) {
	tests := []struct {
		name string
		v    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"not a sequence", []byte{0x31, 0x00}, "tag 0x31"},
		{"length past the end", []byte{0x30, 0x10, 0x02, 0x01, 0x00}, "length past the end"},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x00, 0x04, 0x00}, "bad length"},
		{"five length bytes", []byte{0x30, 0x85, 1, 1, 1, 1, 1}, "bad length"},
		{"no size", []byte{0x30, 0x02, 0x04, 0x00}, "size"},
		{"empty size", []byte{0x30, 0x04, 0x02, 0x00, 0x04, 0x00}, "empty integer"},
		{"no cookie", []byte{0x30, 0x03, 0x02, 0x01, 0x00}, "cookie"},
		{"cookie past the end", []byte{0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x05}, "cookie"},
		{"extra element", []byte{0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x05, 0x00}, "trailing bytes in the sequence"},
		{"bytes after", []byte{0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00, 0x00}, "trailing bytes after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePagedValue(tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// Every truncation of a valid value fails without a panic.
	v := pagedControl(1000, []byte("cookie-bytes")).Value
	for i := range v {
		if _, err := parsePagedValue(v[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
}

// fakePager serves n entries in pages of the requested size, as a DC does.
type fakePager struct {
	n, served, rounds int
	noControl         bool
	failAt            int // round that fails (0: none)
	failCode          int
	sameCookie        bool
	badControl        bool
	ignoreLimit       bool
	gotSizes          []int
}

func (f *fakePager) fetch(t *testing.T) func(ldap.Control, int) page {
	return func(ctl ldap.Control, sizeLimit int) page {
		f.rounds++
		f.gotSizes = append(f.gotSizes, sizeLimit)
		if ctl.OID != oidPagedResults {
			t.Fatalf("round %d: control %s", f.rounds, ctl.OID)
		}
		var req struct {
			Size   int
			Cookie []byte
		}
		if _, err := asn1.Unmarshal(ctl.Value, &req); err != nil {
			t.Fatalf("round %d: request control: %v", f.rounds, err)
		}
		if want := fmt.Sprint(f.served); f.rounds > 1 && !f.sameCookie && string(req.Cookie) != want {
			t.Fatalf("round %d: cookie %q, want %q", f.rounds, req.Cookie, want)
		}
		var p page
		for i := 0; i < req.Size && f.served < f.n; i++ {
			if sizeLimit > 0 && len(p.entries) == sizeLimit && !f.ignoreLimit {
				break
			}
			p.entries = append(p.entries, &ldap.Entry{DN: fmt.Sprintf("CN=e%d", f.served)})
			f.served++
		}
		if f.rounds == f.failAt {
			p.err = &ldap.Error{Code: f.failCode, Message: "failed"}
			return p
		}
		if f.noControl {
			return p
		}
		cookie := []byte(fmt.Sprint(f.served))
		switch {
		case f.sameCookie:
			cookie, p.entries = req.Cookie, nil
			if f.rounds == 1 {
				cookie = []byte("stuck")
			}
		case f.served == f.n:
			cookie = nil
		}
		resp := pagedControl(0, cookie)
		if f.badControl {
			resp.Value = resp.Value[:len(resp.Value)-1]
		}
		p.controls = []ldap.Control{{OID: "1.2.3"}, resp}
		return p
	}
}

func TestPagedSearch(t *testing.T) {
	protoErr := func(msg string) error { return errors.New("protocol: " + msg) }
	limitErr := func() error { return &ldap.Error{Code: ldap.ResultSizeLimitExceeded, Message: "limit"} }
	tests := []struct {
		name        string
		pager       fakePager
		size, limit int
		wantN       int
		wantRounds  int
		wantErr     string
	}{
		{"130 entries in pages of 50", fakePager{n: 130}, 50, 0, 130, 3, ""},
		{"exactly one page", fakePager{n: 50}, 50, 0, 50, 1, ""},
		{"empty result", fakePager{n: 0}, 50, 0, 0, 1, ""},
		{"server without paging", fakePager{n: 30, noControl: true}, 50, 0, 30, 1, ""},
		{"size limit within the pages", fakePager{n: 130}, 50, 70, 70, 2, "limit"},
		{"server ignores the size limit", fakePager{n: 130, ignoreLimit: true}, 50, 70, 70, 2, "limit"},
		{"server ignores a limit in the last page", fakePager{n: 30, ignoreLimit: true}, 50, 10, 10, 1, "limit"},
		{"size limit equal to the total", fakePager{n: 100}, 50, 100, 100, 2, ""},
		{"sizeLimitExceeded keeps the entries", fakePager{n: 130, failAt: 2, failCode: ldap.ResultSizeLimitExceeded}, 50, 0, 100, 2, "failed"},
		{"other failure drops them", fakePager{n: 130, failAt: 3, failCode: ldap.ResultUnwillingToPerform}, 50, 0, 0, 3, "failed"},
		{"a cookie that does not move", fakePager{n: 130, sameCookie: true}, 50, 0, 0, 2, "same paging cookie"},
		{"malformed response control", fakePager{n: 130, badControl: true}, 50, 0, 0, 1, "protocol: page 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.pager
			es, err := pagedSearch(tt.size, tt.limit, f.fetch(t), protoErr, limitErr)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if len(es) != tt.wantN || f.rounds != tt.wantRounds {
				t.Errorf("%d entries in %d rounds, want %d in %d", len(es), f.rounds, tt.wantN, tt.wantRounds)
			}
			for i, e := range es {
				if e.DN != fmt.Sprintf("CN=e%d", i) {
					t.Fatalf("entry %d is %s", i, e.DN)
				}
			}
			if tt.limit > 0 && (f.gotSizes[0] != tt.limit || len(f.gotSizes) > 1 && f.gotSizes[1] != tt.limit-tt.size) {
				t.Errorf("size limits sent %v, want the remaining count each round", f.gotSizes)
			}
		})
	}
}

func TestPages(t *testing.T) {
	own := []ldap.Control{pagedControl(10, nil)}
	tests := []struct {
		name     string
		size     int
		scope    ldap.Scope
		controls []ldap.Control
		want     bool
	}{
		{"subtree", 1000, ldap.ScopeSubtree, nil, true},
		{"one level with the SD flags control", 1000, ldap.ScopeOneLevel, []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}, true},
		{"base", 1000, ldap.ScopeBase, nil, false},
		{"paging off", 0, ldap.ScopeSubtree, nil, false},
		{"caller pages", 1000, ldap.ScopeSubtree, own, false},
	}
	for _, tt := range tests {
		if got := pages(tt.size, tt.scope, tt.controls); got != tt.want {
			t.Errorf("%s: pages %v, want %v", tt.name, got, tt.want)
		}
	}
	for in, want := range map[int]int{0: DefaultPageSize, -1: 0, 50: 50} {
		if got := (Dialer{PageSize: in}).pageSize(); got != want {
			t.Errorf("PageSize %d: page size %d, want %d", in, got, want)
		}
	}
}

// copyControls reads a NULL-terminated PLDAPControlW[] as wldap32 returns
// it from ldap_parse_resultW.
func TestCopyControls(t *testing.T) {
	val := pagedControl(0, []byte{9, 8}).Value
	oid1, _ := utf16z(oidPagedResults)
	oid2, _ := utf16z("1.2.840.113556.1.4.801")
	arr := []*ldapControlW{
		{OID: oid1, Value: *bervalOf(val)},
		{OID: oid2, IsCritical: 1},
		nil,
	}
	got := copyControls(&arr[0])
	if len(got) != 2 || got[0].OID != oidPagedResults || !bytes.Equal(got[0].Value, val) || got[0].Critical ||
		got[1].OID != "1.2.840.113556.1.4.801" || len(got[1].Value) != 0 || !got[1].Critical {
		t.Errorf("copyControls: %+v", got)
	}
	if copyControls(nil) != nil {
		t.Error("copyControls(nil) is not nil")
	}
}
