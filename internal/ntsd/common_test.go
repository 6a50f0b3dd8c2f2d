package ntsd

import "flag"

// update rewrites golden files under testdata instead of comparing with them.
var update = flag.Bool("update", false, "rewrite golden files in testdata")

// testDomain is the domain of the WS2022 vector (and of most table tests).
const testDomain = "S-1-5-21-1004336348-1177238915-682003330"

var (
	testDomainSID = MustSID(testDomain)

	// schemaIDGUIDs and property sets used across tests.
	keyCredentialLink  = MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063") // msDS-KeyCredentialLink
	consistencyGUID    = MustGUID("23773dc2-b63a-11d2-90e1-00c04fd91ab1") // mS-DS-ConsistencyGuid
	proxyAddresses     = MustGUID("bf967a06-0de6-11d0-a285-00aa003049e2")
	publicInformation  = MustGUID("e48d0154-bcf8-11d1-8702-00c04fb96050") // property set of proxyAddresses
	personalInfo       = MustGUID("77b5b886-944a-11d1-aebd-0000f80367c1") // Personal-Information
	userClass          = MustGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	inetOrgPersonClass = MustGUID("4828cc14-1437-45bc-9b07-ad6f015e5f28")
)
