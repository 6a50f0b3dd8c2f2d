package ntsd

import (
	"slices"
	"strings"
	"testing"
)

func TestCanWriteProperty(t *testing.T) {
	const (
		kcl      = "5b47d60f-6090-40b2-9f37-2a4de88f3063" // msDS-KeyCredentialLink
		cons     = "23773dc2-b63a-11d2-90e1-00c04fd91ab1" // mS-DS-ConsistencyGuid
		proxy    = "bf967a06-0de6-11d0-a285-00aa003049e2" // proxyAddresses
		pubInfo  = "e48d0154-bcf8-11d1-8702-00c04fb96050" // Public-Information, proxyAddresses' property set
		user     = "bf967aba-0de6-11d0-a285-00aa003049e2"
		computer = "bf967a86-0de6-11d0-a285-00aa003049e2"
		group    = testDomain + "-1200" // a group the connector account is in
		other    = testDomain + "-1300" // someone else
	)
	ace := func(typ, flags, rights, obj, inh, sid string) string {
		return "(" + strings.Join([]string{typ, flags, rights, obj, inh, sid}, ";") + ")"
	}
	tests := []struct {
		name    string
		dacl    string // SDDL; "" = DACL present but NULL
		proxy   bool   // evaluate proxyAddresses/Public-Information instead of msDS-KeyCredentialLink
		allowed bool
		ace     int
		reason  string
	}{
		{"null DACL allows", "D:NO_ACCESS_CONTROL", false, true, -1, "no DACL (NULL DACL)"},
		{"empty DACL denies", "D:P", false, false, -1, "DACL is empty"},
		{"object allow on the attribute", "D:" + ace("OA", "", "WP", kcl, "", msol), false, true, 0,
			"ACE 0 (OA;;WP;" + kcl + ";;" + msol + ") allows Write-Property on the attribute"},
		{"object allow on another attribute", "D:" + ace("OA", "", "WP", cons, "", msol), false, false, -1,
			"no ACE grants Write-Property on this attribute to any SID of the account (implicit deny)"},
		{"object allow on the property set", "D:" + ace("OA", "", "WP", pubInfo, "", msol), true, true, 0, "on the property set " + pubInfo},
		{"property set ACE does not cover an attribute outside it", "D:" + ace("OA", "", "WP", pubInfo, "", msol), false, false, -1, "implicit deny"},
		{"non-object WP covers every property", "D:" + ace("A", "", "WP", "", "", msol), false, true, 0,
			"=ACE 0 (A;;WP;;;" + msol + ") allows Write-Property on every property"},
		{"object ACE without object type", "D:" + ace("OA", "", "WP", "", user, msol), false, true, 0,
			"=ACE 0 (OA;;WP;;" + user + ";" + msol + ") allows Write-Property on every property (object ACE without an object type)"},
		{"deny before allow: deny wins", "D:" + ace("OD", "", "WP", kcl, "", msol) + ace("OA", "", "WP", kcl, "", msol), false, false, 0,
			"ACE 0 (OD;;WP;" + kcl + ";;" + msol + ") denies Write-Property on the attribute"},
		{"allow before deny: allow wins", "D:" + ace("OA", "", "WP", kcl, "", msol) + ace("OD", "", "WP", kcl, "", msol), false, true, 0, "allows"},
		{"inherit-only allow skipped", "D:" + ace("OA", "CIIO", "WP", kcl, "", msol), false, false, -1, "implicit deny"},
		{"inherit-only deny skipped", "D:" + ace("OD", "CIIO", "WP", kcl, "", msol) + ace("OA", "", "WP", kcl, "", msol), false, true, 1, "ACE 1"},
		{"SID not in the set", "D:" + ace("OA", "", "WP", kcl, "", other), false, false, -1, "implicit deny"},
		{"group SID in the set", "D:" + ace("OA", "", "WP", kcl, "", group), false, true, 0, "allows"},
		{"Everyone", "D:" + ace("A", "", "WP", "", "", "WD"), false, true, 0, "(A;;WP;;;WD)"},
		{"generic all", "D:" + ace("A", "", "GA", "", "", msol), false, true, 0, "(through generic rights GA)"},
		{"generic write", "D:" + ace("A", "", "GW", "", "", msol), false, true, 0, "(through generic rights GW)"},
		{"generic read only", "D:" + ace("A", "", "GRGX", "", "", msol), false, false, -1, "implicit deny"},
		{"explicit WP and GA: no generic note", "D:" + ace("A", "", "WPGA", "", "", msol), false, true, 0, "on every property"},
		{"read-only rights", "D:" + ace("OA", "", "RP", kcl, "", msol) + ace("A", "", "LCRPLORC", "", "", msol), false, false, -1, "implicit deny"},
		{"validated write is not Write-Property", "D:" + ace("OA", "", "SWCR", kcl, "", msol), false, false, -1, "implicit deny"},
		{"inherited ACE applies", "D:" + ace("OA", "CIID", "WP", kcl, "", msol), false, true, 0, "allows"},
		{"explicit deny on the property set", "D:" + ace("OD", "", "WP", pubInfo, "", msol) + ace("OA", "", "WP", proxy, "", msol), true, false, 0, "denies Write-Property on the property set"},
		{"deny on another attribute does not block", "D:" + ace("OD", "", "WP", cons, "", msol) + ace("OA", "", "WP", kcl, "", msol), false, true, 1, "ACE 1"},
		{"deny for another SID does not block", "D:" + ace("D", "", "WP", "", "", other) + ace("A", "", "WP", "", "", msol), false, true, 1, "ACE 1"},
		{"deny of read only does not block", "D:" + ace("D", "", "RP", "", "", msol) + ace("OA", "", "WP", kcl, "", msol), false, true, 1, "ACE 1"},
		{"non-object deny blocks every property", "D:" + ace("D", "", "WP", "", "", "WD") + ace("OA", "", "WP", kcl, "", msol), false, false, 0, "denies Write-Property on every property"},
		{"generic all deny", "D:" + ace("D", "", "GA", "", "", msol) + ace("OA", "", "WP", kcl, "", msol), false, false, 0, "denies"},
		{"inherited object type is ignored", "D:" + ace("OA", "", "WP", kcl, computer, msol), false, true, 0, "allows"},
		{"audit ACE in a DACL carries no access", "D:" + ace("AU", "SA", "WP", "", "", msol), false, false, -1, "implicit deny"},
		{"PrincipalSelf is not the account", "D:" + ace("OA", "", "WP", kcl, "", "PS"), false, false, -1, "implicit deny"},
		{"class GUID needs WriteCheck.Class", "D:" + ace("OA", "", "WP", user, "", msol), false, false, -1, "implicit deny"},
		{"WS2022 AdminSDHolder: connector account denied", ws2022SDDL, false, false, -1, "implicit deny"},
	}
	sids := []SID{MustSID(msol), MustSID(group), Everyone, AuthenticatedUsers}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := mustSD(t, tt.dacl)
			attr, set := keyCredentialLink, GUID{}
			if tt.proxy {
				attr, set = proxyAddresses, publicInformation
			}
			d := CanWriteProperty(sd, sids, attr, set)
			// A reason starting with "=" must match exactly, else as a substring.
			reasonOK := strings.Contains(d.Reason, tt.reason)
			if exact, ok := strings.CutPrefix(tt.reason, "="); ok {
				reasonOK = d.Reason == exact
			}
			if d.Allowed != tt.allowed || d.ACE != tt.ace || !reasonOK {
				t.Errorf("got %+v\nwant allowed=%v ace=%d reason containing %q", d, tt.allowed, tt.ace, tt.reason)
			}
			if len(d.Unevaluated) != 0 {
				t.Errorf("Unevaluated = %v", d.Unevaluated)
			}
		})
	}
	if len(tests) < 25 {
		t.Errorf("only %d cases", len(tests))
	}
}

func TestCheckWritePropertyExtras(t *testing.T) {
	sids := []SID{MustSID(msol), Everyone, AuthenticatedUsers}
	t.Run("PrincipalSelf with Self", func(t *testing.T) {
		sd := mustSD(t, "D:(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;PS)")
		d := CheckWriteProperty(sd, WriteCheck{SIDs: sids, Attribute: keyCredentialLink, Self: MustSID(msol)})
		if !d.Allowed || d.ACE != 0 {
			t.Errorf("%+v", d)
		}
		d = CheckWriteProperty(sd, WriteCheck{SIDs: sids, Attribute: keyCredentialLink, Self: MustSID(testDomain + "-500")})
		if d.Allowed {
			t.Errorf("PS of another object matched: %+v", d)
		}
	})
	t.Run("class GUID", func(t *testing.T) {
		sd := mustSD(t, "D:(OA;;WP;bf967aba-0de6-11d0-a285-00aa003049e2;;"+msol+")")
		d := CheckWriteProperty(sd, WriteCheck{SIDs: sids, Attribute: keyCredentialLink, Class: userClass})
		if !d.Allowed || !strings.Contains(d.Reason, "every property of the object class") {
			t.Errorf("%+v", d)
		}
		d = CheckWriteProperty(sd, WriteCheck{SIDs: sids, Attribute: keyCredentialLink, Class: inetOrgPersonClass})
		if d.Allowed {
			t.Errorf("another class matched: %+v", d)
		}
	})
	t.Run("unknown and callback ACEs are reported, not evaluated", func(t *testing.T) {
		sd := mustSD(t, "D:(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;"+msol+")")
		unknown, _ := parseACE([]byte{0x42, 0, 8, 0, 1, 2, 3, 4}, 0)
		callbackDeny, _ := parseACE(append([]byte{0x0a, 0, 20, 0, 0x20, 0, 0, 0}, Everyone.Bytes()...), 0)
		label, _ := parseACE(append([]byte{0x11, 0, 20, 0, 1, 0, 0, 0}, MustSID("S-1-16-4096").Bytes()...), 0)
		inheritOnlyUnknown, _ := parseACE([]byte{0x42, InheritOnly, 8, 0, 1, 2, 3, 4}, 0)
		sd.DACL.ACEs = append([]ACE{unknown, callbackDeny, label, inheritOnlyUnknown}, sd.DACL.ACEs...)
		d := CanWriteProperty(sd, sids, keyCredentialLink, GUID{})
		if !d.Allowed || d.ACE != 4 || !slices.Equal(d.Unevaluated, []int{0, 1}) {
			t.Errorf("%+v", d)
		}
	})
	t.Run("DACL without its present bit", func(t *testing.T) {
		sd := mustSD(t, "D:(D;;WP;;;WD)")
		sd.Control &^= ControlDACLPresent
		if d := CanWriteProperty(sd, sids, keyCredentialLink, GUID{}); !d.Allowed || d.ACE != -1 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("nil descriptor", func(t *testing.T) {
		if d := CanWriteProperty(nil, sids, keyCredentialLink, GUID{}); d.Allowed || d.ACE != -1 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("WS2022 after the fix", func(t *testing.T) {
		sd := mustSD(t, ws2022SDDL)
		sd.DACL.Insert(NewObjectAllow(RightWriteProperty, keyCredentialLink, MustSID(msol)))
		d := CanWriteProperty(sd, sids, keyCredentialLink, GUID{})
		if !d.Allowed || d.ACE != 23 {
			t.Errorf("%+v", d)
		}
		// A Domain Admin gets it from the DA ACE (ACE 3), on every property.
		d = CanWriteProperty(sd, []SID{testDomainSID.WithRID(512)}, keyCredentialLink, GUID{})
		if !d.Allowed || d.ACE != 3 || !strings.Contains(d.Reason, "every property") {
			t.Errorf("%+v", d)
		}
		// Terminal Server License Servers hold RPWP on the TS property set only.
		ts := MustSID("S-1-5-32-561")
		d = CanWriteProperty(sd, []SID{ts}, MustGUID("6db69a1c-9422-11d1-aebd-0000f80367c1"), GUID{})
		if !d.Allowed || d.ACE != 20 {
			t.Errorf("%+v", d)
		}
		if d := CanWriteProperty(sd, []SID{ts}, keyCredentialLink, GUID{}); d.Allowed {
			t.Errorf("%+v", d)
		}
	})
}

func TestMapGeneric(t *testing.T) {
	tests := []struct{ in, want uint32 }{
		{GenericAll, 0xF01FF},
		{GenericWrite, 0x20028},
		{GenericRead, 0x20094},
		{GenericExecute, 0x20004},
		{RightWriteProperty, RightWriteProperty},
		{GenericRead | RightDelete, 0x30094},
	}
	for _, tt := range tests {
		if got := mapGeneric(tt.in); got != tt.want {
			t.Errorf("mapGeneric(0x%x) = 0x%x, want 0x%x", tt.in, got, tt.want)
		}
	}
}
