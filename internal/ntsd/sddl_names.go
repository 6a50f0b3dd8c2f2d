package ntsd

// SDDL name tables, as Windows and Samba render them (sddl.h, MS-DTYP
// 2.5.1.1; Samba libcli/security/sddl.c, whose tables are checked against
// Windows).

// maskLetters in the order Windows prints them for directory objects:
// bit order, low to high.
var maskLetters = []struct {
	name string
	bit  uint32
}{
	{"CC", RightCreateChild}, {"DC", RightDeleteChild}, {"LC", RightList}, {"SW", RightSelf},
	{"RP", RightReadProperty}, {"WP", RightWriteProperty}, {"DT", RightDeleteTree},
	{"LO", RightListObject}, {"CR", RightControlAccess}, {"SD", RightDelete},
	{"RC", RightReadControl}, {"WD", RightWriteDAC}, {"WO", RightWriteOwner},
	{"GA", GenericAll}, {"GX", GenericExecute}, {"GW", GenericWrite}, {"GR", GenericRead},
}

// fileMasks are whole-mask names Windows uses when the bits cannot all be
// spelled with maskLetters (e.g. SYNCHRONIZE is set).
var fileMasks = []struct {
	name string
	mask uint32
}{
	{"FA", 0x1F01FF}, {"FR", 0x120089}, {"FW", 0x120116}, {"FX", 0x1200A0},
}

var aceFlagLetters = []struct {
	name string
	bit  byte
}{
	{"OI", ObjectInherit}, {"CI", ContainerInherit}, {"NP", NoPropagateInherit},
	{"IO", InheritOnly}, {"ID", Inherited}, {"SA", SuccessfulAccess}, {"FA", FailedAccess},
}

var aceTypeNames = map[byte]string{
	AccessAllowed: "A", AccessDenied: "D", SystemAudit: "AU", SystemAlarm: "AL",
	AccessAllowedObject: "OA", AccessDeniedObject: "OD", SystemAuditObject: "OU", SystemAlarmObject: "OL",
	AccessAllowedCallback: "XA", AccessDeniedCallback: "XD", AccessAllowedCallbackObject: "ZA",
	0x0D: "XU", SystemMandatoryLabel: "ML", 0x12: "RA", 0x13: "SP", 0x14: "TL", 0x15: "FL",
}

// wellKnownAliases maps fixed SIDs to their SDDL names.
var wellKnownAliases = map[string]string{
	"S-1-1-0":  "WD",
	"S-1-3-0":  "CO",
	"S-1-3-1":  "CG",
	"S-1-3-4":  "OW",
	"S-1-5-2":  "NU",
	"S-1-5-4":  "IU",
	"S-1-5-6":  "SU",
	"S-1-5-7":  "AN",
	"S-1-5-9":  "ED",
	"S-1-5-10": "PS",
	"S-1-5-11": "AU",
	"S-1-5-12": "RC",
	"S-1-5-18": "SY",
	"S-1-5-19": "LS",
	"S-1-5-20": "NS",
	"S-1-5-33": "WR",

	"S-1-5-32-544": "BA",
	"S-1-5-32-545": "BU",
	"S-1-5-32-546": "BG",
	"S-1-5-32-547": "PU",
	"S-1-5-32-548": "AO",
	"S-1-5-32-549": "SO",
	"S-1-5-32-550": "PO",
	"S-1-5-32-551": "BO",
	"S-1-5-32-552": "RE",
	"S-1-5-32-554": "RU",
	"S-1-5-32-555": "RD",
	"S-1-5-32-556": "NO",
	"S-1-5-32-558": "MU",
	"S-1-5-32-559": "LU",
	"S-1-5-32-568": "IS",
	"S-1-5-32-569": "CY",
	"S-1-5-32-573": "ER",
	"S-1-5-32-574": "CD",
	"S-1-5-32-575": "RA",
	"S-1-5-32-576": "ES",
	"S-1-5-32-577": "MS",
	"S-1-5-32-578": "HA",
	"S-1-5-32-579": "AA",
	"S-1-5-32-580": "RM",

	"S-1-5-84-0-0-0-0-0": "UD",
	"S-1-15-2-1":         "AC",
	"S-1-16-4096":        "LW",
	"S-1-16-8192":        "ME",
	"S-1-16-8448":        "MP",
	"S-1-16-12288":       "HI",
	"S-1-16-16384":       "SI",
	"S-1-18-1":           "AS",
	"S-1-18-2":           "SS",
}

// domainAliases are relative to the domain of the descriptor (LA and LG are
// machine-relative in Windows, which on a DC is the domain).
var domainAliases = map[uint32]string{
	500: "LA", 501: "LG",
	512: "DA", 513: "DU", 514: "DG", 515: "DC", 516: "DD", 517: "CA",
	520: "PA", 522: "CN", 525: "AP", 526: "KA", 553: "RS",
}

// rootDomainAliases are relative to the forest root domain.
var rootDomainAliases = map[uint32]string{
	498: "RO", 518: "SA", 519: "EA", 527: "EK",
}
