package ldap

import "strings"

// constructedAttrs are computed by the DC and returned only when named
// (never for "*" or an empty list).
var constructedAttrs = attrSet(
	"tokenGroups", "tokenGroupsGlobalAndUniversal", "tokenGroupsNoGCAcceptable",
	"sDRightsEffective", "allowedAttributes", "allowedAttributesEffective",
	"allowedChildClasses", "allowedChildClassesEffective", "canonicalName",
	"createTimeStamp", "modifyTimeStamp", "fromEntry", "parentGUID", "possibleInferiors",
	"primaryGroupToken", "structuralObjectClass", "entryTTL", "subSchemaSubEntry",
	"msDS-Approx-Immed-Subordinates", "msDS-User-Account-Control-Computed",
	"msDS-UserPasswordExpiryTimeComputed", "msDS-PrincipalName", "msDS-ResultantPSO",
	"msDS-TokenGroupNames", "msDS-TokenGroupNamesGlobalAndUniversal",
	"msDS-TokenGroupNamesNoGCAcceptable", "msDS-ReplAttributeMetaData",
	"msDS-ReplValueMetaData", "msDS-NCReplCursors", "msDS-NCReplInboundNeighbors",
	"msDS-NCReplOutboundNeighbors", "msDS-isGC", "msDS-isRODC", "msDS-KeyVersionNumber",
	"msDS-LocalEffectiveDeletionTime", "msDS-LocalEffectiveRecycleTime",
	"msDS-Auxiliary-Classes", "msDS-IsUserCachableAtRodc", "msDS-SiteName",
	"msDS-parentdistname", "msDS-ManagedPassword", "msDS-SupportedEncryptionTypesEffective",
)

// baseOnlyAttrs can only be computed on a BASE search.
var baseOnlyAttrs = attrSet("tokenGroups", "tokenGroupsGlobalAndUniversal", "tokenGroupsNoGCAcceptable")

func attrSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
	return m
}

// attrType strips attribute options ("member;range=0-1499" -> "member").
func attrType(name string) string {
	if i := strings.IndexByte(name, ';'); i >= 0 {
		return name[:i]
	}
	return name
}

// IsConstructed reports whether AD computes the attribute on request and
// returns it only when named (never for "*" or an empty list), e.g.
// tokenGroups, sDRightsEffective, allowedAttributesEffective.
func IsConstructed(name string) bool { return constructedAttrs[strings.ToLower(attrType(name))] }

// IsBaseOnly reports whether AD computes the attribute only on a BASE
// search (tokenGroups and its variants; others fail with operationsError).
func IsBaseOnly(name string) bool { return baseOnlyAttrs[strings.ToLower(attrType(name))] }
