package memdir

import "strings"

// The attribute tables below decide how memdir compares and returns
// values. Names are lowercase; look them up with attrIn.

// binaryAttrs compare byte for byte (octet strings, SIDs, GUIDs, security
// descriptors, DN-Binary values).
var binaryAttrs = set(
	"objectSid", "objectGUID", "schemaIDGUID", "attributeSecurityGUID",
	"nTSecurityDescriptor", "tokenGroups", "tokenGroupsGlobalAndUniversal",
	"tokenGroupsNoGCAcceptable", "msDS-KeyCredentialLink", "mS-DS-ConsistencyGuid",
	"sIDHistory", "msExchMailboxGuid", "msExchMasterAccountSid", "msExchSafeSendersHash",
	"msExchSafeRecipientsHash", "msExchBlockedSendersHash", "userCertificate",
	"thumbnailPhoto", "jpegPhoto", "logonHours", "invocationId", "msDS-GenerationId",
	"msDS-AllowedToActOnBehalfOfOtherIdentity", "msDS-GroupMSAMembership",
	"securityIdentifier", "msDS-KeyId", "msDS-KeyMaterial", "msDS-CustomKeyInformation",
	"msDS-AzureADApplicationAccountIdentifier", "msDS-cloudExtensionAttribute",
)

// dnAttrs hold DNs: equality compares them as DNs (case, spacing).
var dnAttrs = set(
	"distinguishedName", "member", "memberOf", "manager", "directReports", "managedBy",
	"managedObjects", "fSMORoleOwner", "objectCategory", "defaultObjectCategory",
	"masteredBy", "hasMasterNCs", "msDS-hasMasterNCs", "serverReference",
	"serverReferenceBL", "dMDLocation", "rIDSetReferences", "defaultNamingContext",
	"configurationNamingContext", "schemaNamingContext", "rootDomainNamingContext",
	"namingContexts", "dsServiceName", "serverName", "nCName", "subRefs",
	"msDS-NC-Replica-Locations", "secretary", "seeAlso", "owner", "msDS-PSOApplied",
	"msDS-ResultantPSO", "msDS-AuthenticatedAtDC", "lastKnownParent",
)

// intAttrs have integer syntax: equality and ordering compare numbers.
var intAttrs = set(
	"adminCount", "userAccountControl", "groupType", "sAMAccountType", "systemFlags",
	"searchFlags", "instanceType", "primaryGroupID", "msDS-Behavior-Version",
	"domainFunctionality", "forestFunctionality", "domainControllerFunctionality",
	"uSNChanged", "uSNCreated", "highestCommittedUSN", "pwdLastSet", "lastLogon",
	"lastLogonTimestamp", "accountExpires", "badPwdCount", "logonCount", "lockoutTime",
	"objectVersion", "linkID", "oMSyntax", "rangeLower", "rangeUpper", "sDRightsEffective",
	"msDS-User-Account-Control-Computed", "msDS-SupportedEncryptionTypes", "validAccesses",
	"schemaFlagsEx", "badPasswordTime", "codePage", "countryCode", "trustAttributes",
	"trustDirection", "trustType", "msDS-KeyVersionNumber", "isSingleValued",
)

// defaultCategories maps class names to their defaultObjectCategory's CN for
// the (objectCategory=<class>) shorthand when the directory holds no schema.
var defaultCategories = map[string]string{
	"user": "person", "person": "person", "inetorgperson": "person", "contact": "person",
	"computer": "computer", "group": "group", "organizationalunit": "organizational-unit",
	"container": "container", "domaindns": "domain-dns", "attributeschema": "attribute-schema",
	"classschema": "class-schema", "controlaccessright": "control-access-right",
	"foreignsecurityprincipal": "foreign-security-principal", "ntdsdsa": "ntds-dsa",
	"server": "server", "trusteddomain": "trusted-domain",
	"msds-groupmanagedserviceaccount": "ms-ds-group-managed-service-account",
	"msds-managedserviceaccount":      "ms-ds-managed-service-account",
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
	return m
}

// attrIn looks an attribute description up by its type (options ignored).
func attrIn(m map[string]bool, name string) bool {
	return m[strings.ToLower(baseName(name))]
}

// baseName strips attribute options ("member;range=0-1499" -> "member").
func baseName(name string) string {
	if i := strings.IndexByte(name, ';'); i >= 0 {
		return name[:i]
	}
	return name
}

// IsBinary reports whether memdir compares the attribute's values byte for
// byte (case-insensitively otherwise).
func IsBinary(name string) bool { return attrIn(binaryAttrs, name) }
