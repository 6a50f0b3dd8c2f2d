package ad

import (
	"regexp"

	"entra8344/internal/ntsd"
	"strings"
)

// Feature is the Entra Connect feature that writes an attribute back, and
// how Microsoft's ADSyncConfig module grants it on an OU.
type Feature struct {
	Name string
	// Cmdlet is the ADSyncConfig cmdlet that grants the OU permission; empty
	// when the module has none (msDS-KeyCredentialLink).
	Cmdlet string
	// Password marks password writeback: never granted on protected accounts.
	Password bool
}

var (
	featureWHfB      = Feature{Name: "Windows Hello for Business key writeback"}
	featureExchange  = Feature{Name: "Exchange hybrid writeback", Cmdlet: "Set-ADSyncExchangeHybridPermissions"}
	featureAnchor    = Feature{Name: "ms-DS-ConsistencyGuid source anchor", Cmdlet: "Set-ADSyncMsDsConsistencyGuidPermissions"}
	featurePassword  = Feature{Name: "password writeback", Cmdlet: "Set-ADSyncPasswordWritebackPermissions", Password: true}
	featureGroup     = Feature{Name: "group writeback", Cmdlet: "Set-ADSyncUnifiedGroupWritebackPermissions"}
	featureDevice    = Feature{Name: "device writeback"}
	featureUnknown   = Feature{Name: "an unrecognised writeback"}
	writebackFeature = map[string]Feature{
		"msds-keycredentiallink":         featureWHfB,
		"msds-externaldirectoryobjectid": featureExchange,
		"msexcharchivestatus":            featureExchange,
		"msexchblockedsendershash":       featureExchange,
		"msexchsaferecipientshash":       featureExchange,
		"msexchsafesendershash":          featureExchange,
		"msexchucvoicemailsettings":      featureExchange,
		"msexchuserholdpolicies":         featureExchange,
		"proxyaddresses":                 featureExchange,
		"publicdelegates":                featureExchange,
		"ms-ds-consistencyguid":          featureAnchor,
		"pwdlastset":                     featurePassword,
		"lockouttime":                    featurePassword,
		"unicodepwd":                     featurePassword,
		"userpassword":                   featurePassword,
		"ntpwdhistory":                   featurePassword,
		"dbcspwd":                        featurePassword,
		"supplementalcredentials":        featurePassword,
		"member":                         featureGroup,
		"msds-deviceid":                  featureDevice,
		"msds-cloudanchor":               featureDevice,
	}
)

// FeatureOf names the writeback feature of an attribute.
func FeatureOf(attr string) Feature {
	if f, ok := writebackFeature[strings.ToLower(attr)]; ok {
		return f
	}
	return featureUnknown
}

// allowlist is the ONLY set of attributes the tool will ever grant on
// AdminSDHolder: what Entra Connect writes back to user objects and that
// cannot be used to take over the account's password. A Write-Property ACE
// on any of them still has risk (see the risk notes); the plan says so.
var allowlist = map[string]bool{
	"msds-keycredentiallink":         true,
	"msds-externaldirectoryobjectid": true,
	"msexcharchivestatus":            true,
	"msexchblockedsendershash":       true,
	"msexchsaferecipientshash":       true,
	"msexchsafesendershash":          true,
	"msexchucvoicemailsettings":      true,
	"msexchuserholdpolicies":         true,
	"proxyaddresses":                 true,
	"publicdelegates":                true,
	"ms-ds-consistencyguid":          true,
}

// Allowlisted reports whether attr may ever be granted on AdminSDHolder.
func Allowlisted(attr string) bool { return allowlist[strings.ToLower(attr)] }

// IsPasswordAttribute reports attributes whose write is a password change or
// reset path: never granted on protected accounts.
func IsPasswordAttribute(attr string) bool { return FeatureOf(attr).Password }

// Protected groups (MS-ADTS 3.1.1.6.1.2 and Appendix C): relative IDs in the
// object's domain, in the forest root domain, and BUILTIN aliases. Key Admins
// and Enterprise Key Admins are protected only on newer PDC emulators; they
// are counted as protecting, because calling an account stale when it is
// not is the worse mistake.
var (
	domainProtectedRIDs = []uint32{512, 516, 521, 526}
	rootProtectedRIDs   = []uint32{518, 519, 527}
	builtinProtected    = []uint32{544, 548, 549, 550, 551, 552}
	builtinDomain       = ntsd.MustSID("S-1-5-32")
	// Accounts protected by themselves: Administrator and krbtgt.
	selfProtectedRIDs = map[uint32]bool{500: true, 502: true}
	// dwAdminSDExMask bits (dSHeuristics 16th character) by BUILTIN RID.
	exMaskBit = map[uint32]byte{548: 0x1, 549: 0x2, 550: 0x4, 551: 0x8}
)

var msolName = regexp.MustCompile(`(?i)^MSOL_[0-9a-f]{8,16}$`)

// LooksLikeConnectorAccount says whether a principal looks like an Entra
// Connect AD DS connector account: the express-install name MSOL_<hex> or
// the description Connect writes on the accounts it creates.
func LooksLikeConnectorAccount(sam, description string) bool {
	if msolName.MatchString(sam) {
		return true
	}
	d := strings.ToLower(description)
	return strings.Contains(d, "account created by microsoft") &&
		(strings.Contains(d, "active directory connect") || strings.Contains(d, "entra connect") || strings.Contains(d, "azure ad connect"))
}

// propertySetNames are display names for well-known property sets (text only;
// decisions use the GUIDs read from the schema).
var propertySetNames = map[string]string{
	"77b5b886-944a-11d1-aebd-0000f80367c1": "Personal-Information",
	"e48d0154-bcf8-11d1-8702-00c04fb96050": "Public-Information",
	"4c164200-20c0-11d0-a768-00aa006e0529": "Account-Restrictions",
	"59ba2f42-79a2-11d0-9020-00c04fc2d3cf": "General-Information",
	"5f202010-79a5-11d0-9020-00c04fc2d4cf": "Logon-Information",
	"bc0ac240-79a9-11d0-9020-00c04fc2d4cf": "Membership",
	"91e647de-d96f-4b70-9557-d63ff4f3ccd8": "Private-Information",
	"9b026da6-0d3c-465c-8bee-5199d7165cba": "DS-Validated-Write-Computer",
	"b1b3a417-ec55-4191-b327-b72e33e38af2": "Exchange-Personal-Information",
	"1f298a89-de98-47b8-b5cd-572ad53d267e": "Exchange-Information",
}

// PropertySetName returns a display name for a property-set GUID, or "".
func PropertySetName(guid string) string { return propertySetNames[strings.ToLower(guid)] }

// IsOrdinaryAccountSID reports an ordinary domain account SID
// (S-1-5-21-a-b-c-rid with rid >= 1000): never a well-known, built-in or
// broad group. The plan grants nothing to any other kind of SID.
func IsOrdinaryAccountSID(s ntsd.SID) bool { return isDomainAccountSID(s) }
