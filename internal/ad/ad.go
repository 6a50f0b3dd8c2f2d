// Package ad reads what the diagnosis needs from Active Directory over an
// ldap.Conn: rootDSE and naming contexts, the domains, their PDC emulators
// and AdminSDHolder descriptors, the connector accounts with their group
// SIDs, the failing attributes' schema GUIDs, and the failing objects' SDs
// and adminCount. Reads are batched so that the number of LDAP operations
// does not grow with the number of objects. It decides nothing.
package ad

import (
	"strings"

	"entra8344/internal/ntsd"
)

// Request says what to read for one forest.
type Request struct {
	// Host is the server to dial first ("" = the locator's choice).
	Host string
	// Accounts are the connector accounts configured for this forest.
	Accounts []AccountRef
	// Attributes are the lDAPDisplayNames of the failing attributes.
	Attributes []string
	// Objects are the DNs of the failing objects.
	Objects []string
	// BatchSize is the number of objects per search (default 500).
	BatchSize int
	// ExpectNCs are domain naming contexts the caller's configuration says
	// the forest has (a connector's domain partitions): the read fails with
	// a *ForestError, before any other server is dialled, when the forest
	// reached has none of them (a connector renamed or pointed elsewhere).
	ExpectNCs []string
	// ScanGrants lists every explicit allow ACE of the found accounts (and
	// their groups) in every domain naming context of the forest
	// (Snapshot.Grants): one paged subtree search per naming context.
	ScanGrants bool
	// Confine: every object must lie in a domain of the forest reached and
	// every account's domain must be one of its domains, or the read fails
	// with a *ForestError before any other server is dialled. The DC path
	// sets it: names from a member server never choose what a DC reads.
	Confine bool
}

// ForestError: the forest reached is not the one the request is about.
type ForestError struct {
	Code    string // forest-mismatch (ExpectNCs), outside-forest (Confine)
	Message string
}

func (e *ForestError) Error() string { return e.Message }

// AccountRef is a connector account as the sync engine names it.
type AccountRef struct {
	Connector string
	Domain    string // NetBIOS or DNS name, as Get-ADSyncConnector says
	User      string // sAMAccountName
}

// Snapshot is what was read of one forest.
type Snapshot struct {
	Server        string // the server the first connection talked to
	DefaultNC     string
	RootNC        string
	ConfigNC      string
	SchemaNC      string
	DSHeuristics  string
	AdminSDExMask byte
	Domains       []*Domain
	Accounts      []*Account
	Attributes    map[string]*Attribute // key: lower-case lDAPDisplayName
	Classes       map[string]ntsd.GUID  // schemaIDGUID of object classes, key: lower-case name
	Objects       map[string]*Object    // key: normalized DN
	// Containers are the failing objects' ancestors up to their domain's
	// head (DACL, class), for an OU grant's reach; key: normalized DN.
	Containers map[string]*Object
	Groups     map[string]*Group // protected-group candidates, key: normalized DN
	Warnings   []Warning
	// Grants and GrantScans are filled when Request.ScanGrants is set.
	Grants     []Grant
	GrantScans []GrantScan
	domainsAll []*Domain
}

// Warning is something that could not be read; the diagnosis goes on without it.
type Warning struct {
	Code, Message, Object string
}

// Domain is one domain of the forest.
type Domain struct {
	NC, DNSName, NetBIOS string
	SID                  ntsd.SID
	Server               string // the DC this domain was read from
	PDCEmulator          string // dNSHostName of the PDC emulator's server object
	AdminSDHolder        *AdminSDHolder
	// MembershipKnown is false when the protected groups could not be read.
	MembershipKnown bool
	// Trustees are the security principals (other than well-known ones)
	// that hold ACEs on AdminSDHolder, keyed by SID string.
	Trustees map[string]*Principal
	Err      string
}

// AdminSDHolder is CN=AdminSDHolder,CN=System,<domain>.
type AdminSDHolder struct {
	DN                string
	Raw               []byte
	SD                *ntsd.SecurityDescriptor
	SDRightsEffective *int64
	USNChanged        string
}

// Account is a resolved connector account.
type Account struct {
	Ref         AccountRef
	Found       bool
	DomainNC    string
	DN          string
	SID         ntsd.SID
	Description string
	Groups      []ntsd.SID // tokenGroups (transitive, security groups)
	Err         string
}

// SIDs is the account's security context for an access check: its own SID,
// its groups, Everyone and Authenticated Users.
func (a *Account) SIDs() []ntsd.SID {
	out := []ntsd.SID{a.SID}
	out = append(out, a.Groups...)
	return append(out, ntsd.Everyone, ntsd.AuthenticatedUsers)
}

// Attribute is a schema attribute.
type Attribute struct {
	Name         string
	Found        bool
	SchemaIDGUID ntsd.GUID
	// PropertySet is attributeSecurityGUID (zero when none).
	PropertySet ntsd.GUID
}

// Object is a failing object as the directory has it.
type Object struct {
	DN             string
	Found          bool
	DomainNC       string
	ObjectClass    []string
	SID            ntsd.SID
	AdminCount     *int64
	PrimaryGroupID *int64
	Raw            []byte
	SD             *ntsd.SecurityDescriptor
	// SDRightsEffective is read for containers only (may this identity
	// write their DACL).
	SDRightsEffective *int64
	Err               string
}

// StructuralClass is the most specific objectClass value (AD lists the
// class chain from top down), "" when unknown.
func (o *Object) StructuralClass() string {
	if len(o.ObjectClass) == 0 {
		return ""
	}
	return o.ObjectClass[len(o.ObjectClass)-1]
}

// ClassOf is the schemaIDGUID of o's structural class (zero when unknown).
func (s *Snapshot) ClassOf(o *Object) ntsd.GUID {
	return s.Classes[strings.ToLower(o.StructuralClass())]
}

// Group is a group that may confer protection.
type Group struct {
	DN      string
	SID     ntsd.SID
	Name    string
	Members []string // DNs as stored
}

// Principal is the owner of a SID found on AdminSDHolder.
type Principal struct {
	SID         ntsd.SID
	Found       bool
	DN          string
	SAM         string
	Description string
	ObjectClass []string
}
