package schema

// DiagnosisKind is the machine id of why the connector account cannot write.
type DiagnosisKind string

const (
	// Protected object, AdminSDHolder lacks the grant: one ACE there fixes it.
	DiagAdminSDHolderWritebackDenied DiagnosisKind = "adminsdholder-writeback-denied"
	// AdminSDHolder already grants it; the protection task has not copied it yet.
	DiagProtectTaskPending DiagnosisKind = "protect-task-pending"
	// adminCount=1 and inheritance off, but no longer in a protected group.
	DiagStaleAdminCount DiagnosisKind = "stale-admincount"
	// Unprotected object whose OU permissions lack the feature's grant.
	DiagOUPermissionMissing DiagnosisKind = "ou-permission-missing"
	// Password writeback to a protected account: refused by design.
	DiagPasswordWritebackProtected DiagnosisKind = "password-writeback-protected"
	// An ACE on AdminSDHolder for a connector account no longer configured.
	DiagStaleConnectorACE DiagnosisKind = "stale-connector-ace"
	// Inheritance disabled by hand on an object that is not protected.
	DiagInheritanceDisabled DiagnosisKind = "inheritance-disabled"
	// An explicit deny ACE for the connector account decides.
	DiagExplicitDeny DiagnosisKind = "explicit-deny"
	// Protected object, but the attribute is not on the writeback allowlist.
	DiagAttributeNotAllowlisted DiagnosisKind = "attribute-not-allowlisted"
	// The directory now allows the write; the next export should succeed.
	DiagAccessGrantedNow DiagnosisKind = "access-granted-now"
	// The object, the attribute or the account could not be found or read.
	DiagNotEvaluated DiagnosisKind = "not-evaluated"
)

// DiagnosisKinds lists every kind, for tests and tables that must cover them all.
var DiagnosisKinds = []DiagnosisKind{DiagAdminSDHolderWritebackDenied, DiagProtectTaskPending,
	DiagStaleAdminCount, DiagOUPermissionMissing, DiagPasswordWritebackProtected, DiagStaleConnectorACE,
	DiagInheritanceDisabled, DiagExplicitDeny, DiagAttributeNotAllowlisted, DiagAccessGrantedNow, DiagNotEvaluated}

// Remediation says who fixes a diagnosis.
type Remediation string

const (
	RemediationPlan        Remediation = "plan"         // the plan's grant, AdminSDHolder or OU (approval token)
	RemediationProtectTask Remediation = "protect-task" // the plan's protection-task trigger only
	RemediationManual      Remediation = "manual"       // a person, with the lines given
	RemediationRefused     Remediation = "refused"      // never automated, by design
	RemediationNone        Remediation = "none"         // nothing to change
)

// Directory is the AD-side diagnosis: what the directory says about every
// permission-8344 object, why the connector account cannot write, and the
// smallest safe change.
type Directory struct {
	Performed         bool               `json:"performed"`
	Reason            string             `json:"reason"`
	Domains           []Domain           `json:"domains"`
	ConnectorAccounts []ConnectorAccount `json:"connector_accounts"`
	Attributes        []AttributeInfo    `json:"attributes"`
	Diagnoses         []Diagnosis        `json:"diagnoses"`
	Plan              Plan               `json:"plan"`
	// Cleanup removes stale connector-account ACEs; it has its own approval.
	Cleanup        Plan `json:"cleanup"`
	LDAPOperations int  `json:"ldap_operations"`
}

// Domain is one AD domain the diagnosis read.
type Domain struct {
	DNSName       string         `json:"dns_name"`
	NC            string         `json:"nc"`
	SID           string         `json:"sid"`
	ReadFrom      string         `json:"read_from"`
	PDCEmulator   string         `json:"pdc_emulator"`
	AdminSDHolder *AdminSDHolder `json:"admin_sd_holder"`
	// AdminSDExMask is dSHeuristics' 16th character: groups excluded from protection.
	AdminSDExMask string `json:"admin_sd_ex_mask"`
	Error         string `json:"error"`
}

// AdminSDHolder is what was read of CN=AdminSDHolder,CN=System,<domain>.
type AdminSDHolder struct {
	DN        string `json:"dn"`
	SDDL      string `json:"sddl"`
	Protected bool   `json:"protected"`
	// SDRightsEffective is the constructed attribute for this host's identity
	// (4 = may write the DACL); null when the server did not return it.
	SDRightsEffective *int64 `json:"sd_rights_effective"`
	WritableHere      bool   `json:"writable_here"`
	USNChanged        string `json:"usn_changed"`
}

// ConnectorAccount is the AD DS connector account of an AD connector.
type ConnectorAccount struct {
	Connector   string   `json:"connector"`
	Account     string   `json:"account"`
	Found       bool     `json:"found"`
	DN          string   `json:"dn"`
	SID         string   `json:"sid"`
	Description string   `json:"description"`
	Groups      []string `json:"groups"`
	Error       string   `json:"error"`
}

// AttributeInfo is a failing attribute resolved from the schema.
type AttributeInfo struct {
	Name         string  `json:"name"`
	Found        bool    `json:"found"`
	SchemaIDGUID string  `json:"schema_id_guid"`
	PropertySet  *string `json:"property_set_guid"`
	Feature      string  `json:"feature"`
	Allowlisted  bool    `json:"allowlisted"`
}

// Diagnosis groups the objects of one connector, domain and attribute that
// fail for the same reason, with the evidence read from the directory.
type Diagnosis struct {
	ID             string           `json:"id"`
	Kind           DiagnosisKind    `json:"kind"`
	Remediation    Remediation      `json:"remediation"`
	Connector      string           `json:"connector"`
	Domain         string           `json:"domain"`
	Attribute      string           `json:"attribute"`
	ObjectCount    int              `json:"object_count"`
	Objects        []ObjectEvidence `json:"objects"`
	ObjectsOmitted int              `json:"objects_omitted"`
	// AdminSDHolderACEs are the ACEs on AdminSDHolder that concern this
	// trustee and attribute (SDDL); empty when there are none.
	AdminSDHolderACEs []string `json:"admin_sd_holder_aces"`
	Explanation       string   `json:"explanation"`
	NextStep          string   `json:"next_step"`
	// Manual is what a person types instead, at a PowerShell prompt (dsacls
	// lines are also valid cmd.exe lines; lines starting with # are notes).
	Manual []string `json:"manual"`
	// Changes lists the plan changes that fix this diagnosis.
	Changes []string `json:"changes"`
}

// ObjectEvidence is what the directory says about one failing object.
type ObjectEvidence struct {
	DN                   string   `json:"dn"`
	AdminCount           *int64   `json:"admin_count"`
	DACLProtected        bool     `json:"dacl_protected"`
	MatchesAdminSDHolder bool     `json:"matches_admin_sd_holder"`
	ProtectedBy          *string  `json:"protected_by"`
	Decision             string   `json:"decision"`
	ACEs                 []string `json:"aces"`
}

// Plan is the smallest set of directory changes that fixes the remediable
// diagnoses. Only changes: no dates or counts, so its digest is stable.
type Plan struct {
	Changes          []Change   `json:"changes"`
	Manual           []string   `json:"manual"`
	RemediableHere   bool       `json:"remediable_here"`
	RemediableReason string     `json:"remediable_reason"`
	RiskNotes        []RiskNote `json:"risk_notes"`
}

// Change actions.
const (
	ActionAddACE         = "add-ace"
	ActionRunProtectTask = "run-protect-task"
	// ActionRemoveACE removes one ACE of a connector account no longer
	// configured (directory.cleanup only).
	ActionRemoveACE = "remove-ace"
	// ActionAddOUACE adds one inheritable, attribute- and class-scoped ACE
	// on an OU, container or domain head (the OU grant).
	ActionAddOUACE = "add-ou-ace"
)

// Change is one directory change.
type Change struct {
	ID            string `json:"id"`
	Action        string `json:"action"`
	Domain        string `json:"domain"`
	DomainSID     string `json:"domain_sid"`
	TargetDN      string `json:"target_dn"`
	Server        string `json:"server"`
	TrusteeSID    string `json:"trustee_sid"`
	TrusteeName   string `json:"trustee_name"`
	Right         string `json:"right"`
	Attribute     string `json:"attribute"`
	AttributeGUID string `json:"attribute_guid"`
	ACE           string `json:"ace"`
	WritableHere  bool   `json:"writable_here"`
	// Class and ClassGUID: the one object class an add-ou-ace reaches.
	Class     string `json:"class,omitempty"`
	ClassGUID string `json:"class_guid,omitempty"`
}

// RiskNote is one thing an approver must know before approving.
type RiskNote struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}
