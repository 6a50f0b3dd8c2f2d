package ntsd

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseSIDString(t *testing.T) {
	tests := []struct {
		in, want string // want "" = error
	}{
		{"S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-500"},
		{"S-1-1-0", "S-1-1-0"},
		{"s-1-5-18", "S-1-5-18"},
		{"S-1-5", "S-1-5"}, // no sub-authority is a valid SID (NT AUTHORITY itself)
		{"S-1-0x000000000005-32-544", "S-1-5-32-544"},
		{"S-1-0x12A05F200-30-40", "S-1-0x00012A05F200-30-40"}, // authority >= 2^32 stays hex
		{"S-1-281474976710655-1", "S-1-0xFFFFFFFFFFFF-1"},
		{"S-1-5-21-0x1-0x2-0x3-513", "S-1-5-21-1-2-3-513"},
		{"S-1-5-4294967295", "S-1-5-4294967295"},
		{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"},
		{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", ""}, // 16 sub-authorities
		{"S-1-5-4294967296", ""},
		{"S-1-281474976710656-1", ""},
		{"S-1-0x1000000000000-1", ""},
		{"S-2-5-18", ""},
		{"S-1", ""},
		{"S-1-", ""},
		{"S-1-5-", ""},
		{"S-1-5--1", ""},
		{"S-1-5-+1", ""},
		{"S-1-5-1a", ""},
		{"S-1-5-0x", ""},
		{"X-1-5-18", ""},
		{"", ""},
		{"S-1-5-18 ", ""},
	}
	for _, tt := range tests {
		got, err := ParseSIDString(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseSIDString(%q) = %s, want error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSIDString(%q): %v", tt.in, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ParseSIDString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// The binary form parses back to the same SID.
		back, n, err := ParseSID(got.Bytes())
		if err != nil || n != len(got.Bytes()) || !back.Equal(got) {
			t.Errorf("%s: binary round trip gave %s, %d, %v", tt.in, back, n, err)
		}
	}
}

func TestParseSIDBinary(t *testing.T) {
	valid := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xf4, 1, 0, 0}
	s, n, err := ParseSID(append(bytes.Clone(valid), 0xAA, 0xBB)) // trailing bytes are not part of it
	if err != nil || n != 28 || s.String() != "S-1-5-21-1-2-3-500" {
		t.Fatalf("ParseSID = %s, %d, %v", s, n, err)
	}
	if !bytes.Equal(s.Bytes(), valid) {
		t.Errorf("Bytes() = %x", s.Bytes())
	}
	bad := []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "at least 8 bytes"},
		{"short header", valid[:7], "at least 8 bytes"},
		{"revision 2", append([]byte{2}, valid[1:]...), "revision is 2"},
		{"16 subs", append([]byte{1, 16}, valid[2:]...), "16 sub-authorities"},
		{"truncated RID", valid[:27], "needs 28 bytes, have 27"},
	}
	for _, tt := range bad {
		_, _, err := ParseSID(tt.b)
		if err == nil || !strings.Contains(err.Error(), tt.msg) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed mentioning %q", tt.name, err, tt.msg)
		}
	}
}

func TestSIDHelpers(t *testing.T) {
	user := MustSID("S-1-5-21-1-2-3-1109")
	if rid, ok := user.RID(); !ok || rid != 1109 {
		t.Errorf("RID = %d, %v", rid, ok)
	}
	d, ok := user.Domain()
	if !ok || d.String() != "S-1-5-21-1-2-3" {
		t.Errorf("Domain = %s, %v", d, ok)
	}
	if got := d.WithRID(512); got.String() != "S-1-5-21-1-2-3-512" {
		t.Errorf("WithRID = %s", got)
	}
	if d.String() != "S-1-5-21-1-2-3" {
		t.Errorf("WithRID modified its receiver: %s", d)
	}
	// WithRID must not share the backing array: two appends to one domain.
	a, b := d.WithRID(1), d.WithRID(2)
	if a.String() != "S-1-5-21-1-2-3-1" || b.String() != "S-1-5-21-1-2-3-2" {
		t.Errorf("WithRID aliasing: %s %s", a, b)
	}
	if _, ok := d.Domain(); ok {
		t.Error("a domain SID (S-1-5-21-a-b-c) must not have a Domain()")
	}
	if bd, ok := BuiltinAdministrators.Domain(); !ok || bd.String() != "S-1-5-32" {
		t.Errorf("Domain(BA) = %s, %v", bd, ok)
	}
	if _, ok := Everyone.Domain(); ok {
		t.Error("Everyone has no domain")
	}
	if _, ok := (SID{}).RID(); ok {
		t.Error("zero SID has no RID")
	}
	if !(SID{}).IsZero() || Everyone.IsZero() {
		t.Error("IsZero")
	}
	if Everyone.Equal(AuthenticatedUsers) || !Everyone.Equal(MustSID("S-1-1-0")) {
		t.Error("Equal")
	}
	if user.Equal(MustSID("S-1-5-21-1-2-3-1109-1")) {
		t.Error("Equal ignores length")
	}
	for name, s := range map[string]SID{"Everyone": Everyone, "AuthenticatedUsers": AuthenticatedUsers, "LocalSystem": LocalSystem,
		"PrincipalSelf": PrincipalSelf, "BuiltinAdministrators": BuiltinAdministrators, "CreatorOwner": CreatorOwner,
		"EnterpriseDomainControllers": EnterpriseDomainControllers} {
		want := map[string]string{"Everyone": "S-1-1-0", "AuthenticatedUsers": "S-1-5-11", "LocalSystem": "S-1-5-18",
			"PrincipalSelf": "S-1-5-10", "BuiltinAdministrators": "S-1-5-32-544", "CreatorOwner": "S-1-3-0",
			"EnterpriseDomainControllers": "S-1-5-9"}[name]
		if s.String() != want {
			t.Errorf("%s = %s, want %s", name, s, want)
		}
	}
}

func TestMustSIDPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustSID did not panic on garbage")
		}
	}()
	MustSID("not a sid")
}

func FuzzParseSID(f *testing.F) {
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Add(MustSID("S-1-5-21-1-2-3-500").Bytes())
	f.Add([]byte{1, 15, 0, 0, 0, 0, 0, 5})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, n, err := ParseSID(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if n > len(b) || !bytes.Equal(s.Bytes(), b[:n]) {
			t.Fatalf("Bytes() = %x, consumed %x", s.Bytes(), b[:min(n, len(b))])
		}
		back, err := ParseSIDString(s.String())
		if err != nil || !back.Equal(s) {
			t.Fatalf("string round trip of %s: %s, %v", s, back, err)
		}
		_ = SDDLContext{Domain: &s}.SID(s)
	})
}
