package ntsd

import "testing"

func TestMaskString(t *testing.T) {
	tests := []struct {
		mask uint32
		want string
	}{
		{0x20, "WP"},
		{0x30, "RPWP"},
		{0xf01ff, "CCDCLCSWRPWPDTLOCRSDRCWDWO"}, // full control on a DS object
		{0x20094, "LCRPLORC"},                   // DS generic read, Windows order
		{0x100, "CR"},
		{0x10000000, "GA"},
		{0xe00f0000, "SDRCWDWOGXGWGR"}, // Samba's Windows-checked vector
		{0x1f01ff, "FA"},               // SYNCHRONIZE has no letter: whole-mask name
		{0x120089, "FR"},
		{0x1200a9, "0x1200a9"},     // no letter for SYNCHRONIZE, no whole-mask name
		{0x401200a0, "0x401200a0"}, // Samba canonical vector
		{0x1000000, "0x1000000"},   // ACCESS_SYSTEM_SECURITY has no letter
		{0x20 | 0x1000000, "0x1000020"},
		{0, ""},
	}
	for _, tt := range tests {
		if got := MaskString(tt.mask); got != tt.want {
			t.Errorf("MaskString(0x%x) = %q, want %q", tt.mask, got, tt.want)
		}
	}
}

func TestSDDLAliases(t *testing.T) {
	root := MustSID("S-1-5-21-9-9-9")
	ctx := SDDLContext{Domain: &testDomainSID, RootDomain: &root}
	tests := []struct {
		sid  string
		ctx  SDDLContext
		want string
	}{
		{"S-1-1-0", SDDLContext{}, "WD"},
		{"S-1-5-11", SDDLContext{}, "AU"},
		{"S-1-5-18", SDDLContext{}, "SY"},
		{"S-1-5-10", SDDLContext{}, "PS"},
		{"S-1-5-9", SDDLContext{}, "ED"},
		{"S-1-3-0", SDDLContext{}, "CO"},
		{"S-1-5-7", SDDLContext{}, "AN"},
		{"S-1-5-20", SDDLContext{}, "NS"},
		{"S-1-5-19", SDDLContext{}, "LS"},
		{"S-1-5-32-544", SDDLContext{}, "BA"},
		{"S-1-5-32-545", SDDLContext{}, "BU"},
		{"S-1-5-32-548", SDDLContext{}, "AO"},
		{"S-1-5-32-549", SDDLContext{}, "SO"},
		{"S-1-5-32-550", SDDLContext{}, "PO"},
		{"S-1-5-32-551", SDDLContext{}, "BO"},
		{"S-1-5-32-552", SDDLContext{}, "RE"},
		{"S-1-5-32-554", SDDLContext{}, "RU"},
		{"S-1-5-32-560", SDDLContext{}, "S-1-5-32-560"}, // no alias: Windows prints it numerically
		{"S-1-5-32-561", SDDLContext{}, "S-1-5-32-561"},
		{testDomain + "-512", SDDLContext{}, testDomain + "-512"}, // no domain given
		{testDomain + "-500", ctx, "LA"},
		{testDomain + "-512", ctx, "DA"},
		{testDomain + "-513", ctx, "DU"},
		{testDomain + "-515", ctx, "DC"},
		{testDomain + "-516", ctx, "DD"},
		{testDomain + "-517", ctx, "CA"},
		{testDomain + "-520", ctx, "PA"},
		{testDomain + "-526", ctx, "KA"},
		{testDomain + "-553", ctx, "RS"},
		{testDomain + "-519", ctx, testDomain + "-519"}, // EA belongs to the forest root
		{testDomain + "-519", SDDLContext{Domain: &testDomainSID}, testDomain + "-519"},
		{"S-1-5-21-9-9-9-519", ctx, "EA"},
		{"S-1-5-21-9-9-9-518", ctx, "SA"},
		{"S-1-5-21-9-9-9-527", ctx, "EK"},
		{"S-1-5-21-9-9-9-498", ctx, "RO"},
		{"S-1-5-21-9-9-9-512", ctx, "S-1-5-21-9-9-9-512"}, // DA of another domain
		{testDomain + "-1109", ctx, testDomain + "-1109"},
		{testDomain + "-1-512", ctx, testDomain + "-1-512"}, // not directly in the domain
	}
	for _, tt := range tests {
		if got := tt.ctx.SID(MustSID(tt.sid)); got != tt.want {
			t.Errorf("SID(%s) = %s, want %s", tt.sid, got, tt.want)
		}
	}
}

func TestSDDLRendering(t *testing.T) {
	guid := "5b47d60f-6090-40b2-9f37-2a4de88f3063"
	tests := []struct {
		name, sddl string
	}{
		{"every ACE type the builder knows", "D:(A;;RP;;;WD)(D;;WP;;;AN)(OA;;WP;" + guid + ";;DA)(OD;;WP;" + guid + ";;DU)" +
			"S:(AU;SA;WP;;;WD)(AL;FA;WP;;;WD)(OU;SAFA;WP;;bf967aba-0de6-11d0-a285-00aa003049e2;WD)(OL;;WP;" + guid + ";;WD)"},
		{"every ACE flag", "D:(A;OICINPIOID;RP;;;WD)"},
		{"DACL flags in Windows order", "D:PARAI(A;;RP;;;WD)"},
		{"SACL flags use the SACL bits", "D:AIS:PARAI(AU;SA;WP;;;WD)"},
		{"NULL DACL", "O:SYD:NO_ACCESS_CONTROL"},
		{"protected NULL DACL", "D:PNO_ACCESS_CONTROL"},
		{"empty DACL and SACL", "D:S:"},
		{"owner and group only", "O:BAG:SY"},
		{"generic rights", "D:(A;;GA;;;SY)(A;;GWGR;;;AU)(A;CIIO;GXGR;;;BU)"},
		{"hex mask", "D:(A;;0x1200a9;;;BU)"},
		{"object ACE, inherited type only", "D:(OA;CIIO;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;RU)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := mustSD(t, tt.sddl)
			if got := sd.SDDL(&testDomainSID); got != tt.sddl {
				t.Errorf("SDDL\n%s\nwant\n%s", got, tt.sddl)
			}
		})
	}
}

func TestSDDLEdgeCases(t *testing.T) {
	sd := mustSD(t, "D:(A;;RP;;;WD)S:(AU;SA;WP;;;WD)")
	sd.Control &^= ControlDACLPresent | ControlSACLPresent
	if got := sd.SDDL(nil); got != "" {
		t.Errorf("parts without their present bit render as %q; Windows ignores them", got)
	}
	a := ACE{Type: AccessAllowed, Flags: 0x20, Mask: RightReadProperty, SID: Everyone}
	if got := a.SDDL(nil); got != "(A;0x20;RP;;;WD)" {
		t.Errorf("unknown AceFlags bit: %s", got)
	}
	a = ACE{Type: AccessAllowed, Mask: RightReadProperty, SID: MustSID("S-1-0x123456789ABC-5")}
	if got := a.SDDL(nil); got != "(A;;RP;;;S-1-0x123456789ABC-5)" {
		t.Errorf("hex authority: %s", got)
	}
}
