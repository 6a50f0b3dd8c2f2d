// Package schema holds the JSON contracts entra8344 prints (Go types and the
// hand-written JSON Schema files, embedded) and validates documents against
// them. The schema files are the contract with RMM templates and dashboards;
// the Go types follow them, never the other way round.
package schema

// VerdictVersion is the const schema_version of every verdict this build prints.
const VerdictVersion = "entra8344.verdict.v2"

// Status is the machine id of a verdict's overall state.
type Status string

const (
	StatusHealthy         Status = "healthy"
	StatusNotApplicable   Status = "not_applicable"
	StatusSyncServiceDown Status = "sync_service_down"
	StatusStagingMode     Status = "staging_mode"
	StatusExportErrors    Status = "export_errors"
	StatusRemediable      Status = "remediable"
	StatusRunFailures     Status = "run_failures"
	StatusError           Status = "error"
)

// Statuses lists every status, for tests and tables that must cover them all.
var Statuses = []Status{StatusHealthy, StatusNotApplicable, StatusSyncServiceDown,
	StatusStagingMode, StatusExportErrors, StatusRemediable, StatusRunFailures, StatusError}

// FindingKind is the machine id of a finding's error class.
type FindingKind string

const (
	KindPermission8344 FindingKind = "permission-8344"
	KindCloudConflict  FindingKind = "cloud-conflict"
	KindOther          FindingKind = "other"
	// Drift against the recorded baseline (entra8344 baseline): no export
	// error needed, these come before one.
	KindACERemoved    FindingKind = "connector-ace-removed"
	KindACEChanged    FindingKind = "connector-ace-changed"
	KindACEAddedBroad FindingKind = "connector-ace-added-broad"
)

// Verdict is what `entra8344 detect` prints.
type Verdict struct {
	SchemaVersion string    `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	GeneratedAt   string    `json:"generated_at"`
	Status        Status    `json:"status"`
	ExitCode      int       `json:"exit_code"`
	Summary       string    `json:"summary"`
	Labels        Labels    `json:"labels"`
	Host          Host      `json:"host"`
	Sync          *Sync     `json:"sync"`
	Findings      []Finding `json:"findings"`
	Directory     Directory `json:"directory"`
	// Approval is the host-scope approval when some part of the plan is
	// this host's, else the DC approval when the plan has one part.
	Approval *Approval `json:"approval"`
	// Approvals holds one approval per part of the plan (detect.PlanParts):
	// this host's part (scope host) and one per domain controller that
	// must carry out the rest (scope dc).
	Approvals []Approval `json:"approvals"`
	// CleanupApproval approves directory.cleanup apart from the plan.
	CleanupApproval *Approval  `json:"cleanup_approval"`
	Warnings        []Notice   `json:"warnings"`
	Errors          []Notice   `json:"errors"`
	Collection      Collection `json:"collection"`
}

type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Labels are what the RMM knows and the host does not (client and site names).
type Labels struct {
	Client string `json:"client"`
	Site   string `json:"site"`
}

type Host struct {
	Computer       string  `json:"computer"`
	DNSDomain      string  `json:"dns_domain"`
	IsDC           *bool   `json:"is_dc"`
	IsPDCEmulator  *bool   `json:"is_pdc_emulator"`
	ADSyncService  string  `json:"adsync_service"`
	ConnectVersion *string `json:"connect_version"`
	SyncEngineDir  *string `json:"sync_engine_dir"`
}

// Sync is the Entra Connect side; null when there is no sync engine to ask.
type Sync struct {
	PowerShell          *PowerShell `json:"powershell"`
	Scheduler           *Scheduler  `json:"scheduler"`
	Connectors          []Connector `json:"connectors"`
	MissingCapabilities []string    `json:"missing_capabilities"`
}

type PowerShell struct {
	Version       string `json:"version"`
	LanguageMode  string `json:"language_mode"`
	ModuleVersion string `json:"adsync_module_version"`
}

// Scheduler mirrors Get-ADSyncScheduler; a nil pointer is "this build does not say".
type Scheduler struct {
	SyncCycleEnabled    *bool    `json:"sync_cycle_enabled"`
	StagingModeEnabled  *bool    `json:"staging_mode_enabled"`
	SchedulerSuspended  *bool    `json:"scheduler_suspended"`
	SyncCycleInProgress *bool    `json:"sync_cycle_in_progress"`
	MaintenanceEnabled  *bool    `json:"maintenance_enabled"`
	NextCycleStartUTC   *string  `json:"next_cycle_start_utc"`
	NextCyclePolicyType *string  `json:"next_cycle_policy_type"`
	IntervalMinutes     *float64 `json:"interval_minutes"`
}

type Connector struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Kind string `json:"kind"` // ad, aad, other
	Type string `json:"type"`
	Sub  string `json:"subtype"`
	// Account is DOMAIN\user of the AD DS connector account; null for other kinds.
	Account    *Account `json:"account"`
	Partitions []string `json:"partitions"`
	Runs       []Run    `json:"runs"`
	// CSExport is ok, failed, skipped (staging) or history-clean (not run: the
	// last cycle's run history proves no export error); ExportErrors counts
	// what csexport /f:e listed.
	CSExport     string `json:"csexport"`
	ExportErrors int    `json:"export_errors"`
}

type Account struct {
	Domain string `json:"domain"`
	User   string `json:"user"`
}

type Run struct {
	RunNumber   int64   `json:"run_number"`
	Profile     string  `json:"profile"`
	Result      string  `json:"result"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
	StepDetails bool    `json:"step_details"`
	Steps       []Step  `json:"steps"`
}

type Step struct {
	Number          int64  `json:"number"`
	Result          string `json:"result"`
	ExportAdd       *int64 `json:"export_add"`
	ExportUpdate    *int64 `json:"export_update"`
	ExportDelete    *int64 `json:"export_delete"`
	ExportFailure   *int64 `json:"export_failure"`
	SyncErrorsCount int    `json:"sync_errors"`
}

// Finding groups failing exports by connector and error class.
type Finding struct {
	ID             string      `json:"id"`
	Kind           FindingKind `json:"kind"`
	Connector      string      `json:"connector"`
	ConnectorKind  string      `json:"connector_kind"`
	Direction      string      `json:"direction"` // writeback, cloud, other
	ErrorTypes     []string    `json:"error_types"`
	ErrorCodes     []string    `json:"error_codes"`
	Attributes     []string    `json:"attributes"`
	ObjectCount    int         `json:"object_count"`
	FirstOccurred  *string     `json:"first_occurred"`
	LastOccurred   *string     `json:"last_occurred"`
	MaxRetryCount  int64       `json:"max_retry_count"`
	Explanation    string      `json:"explanation"`
	NextStep       string      `json:"next_step"`
	Objects        []Object    `json:"objects"`
	ObjectsOmitted int         `json:"objects_omitted"`
	// Drift is set on the connector-ace-* kinds only.
	Drift *Drift `json:"drift,omitempty"`
}

// Drift is where and which connector ACE differs from the baseline.
// BaselineACE / ACE are the SDDL before and now ("" when absent);
// Restorable: entra8344 may write exactly BaselineACE back (the plan's
// changes named in Changes); otherwise Manual is the line to type.
type Drift struct {
	DN                 string   `json:"dn"`
	DomainNC           string   `json:"domain_nc"`
	AdminSDHolder      bool     `json:"admin_sd_holder"`
	Trustee            string   `json:"trustee"`
	Account            string   `json:"account"`
	BaselineACE        string   `json:"baseline_ace"`
	ACE                string   `json:"ace"`
	BaselineRecordedAt string   `json:"baseline_recorded_at"`
	Restorable         bool     `json:"restorable"`
	Changes            []string `json:"changes"`
	Manual             string   `json:"manual"`
}

type Object struct {
	DN                string   `json:"dn"`
	CSID              string   `json:"cs_id"`
	ObjectType        string   `json:"object_type"`
	ErrorType         string   `json:"error_type"`
	ErrorCode         string   `json:"error_code"`
	ErrorName         string   `json:"error_name"`
	ErrorLiteral      string   `json:"error_literal"`
	ServerErrorDetail string   `json:"server_error_detail"`
	FirstOccurred     *string  `json:"first_occurred"`
	DateOccurred      *string  `json:"date_occurred"`
	RetryCount        *int64   `json:"retry_count"`
	Attributes        []string `json:"attributes"`
	// Diagnoses are the kinds of the directory diagnoses that explain this
	// object's error (empty when the directory was not read).
	Diagnoses []DiagnosisKind `json:"diagnoses"`
}

// Notice is a warning or an error with a stable code.
type Notice struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Object  string `json:"object"`
}

type Collection struct {
	Replay           *string `json:"replay"`
	ProcessesStarted int     `json:"processes_started"`
	Timings          Timings `json:"timings_ms"`
}

// Timings are per-phase wall times in milliseconds.
type Timings struct {
	Host      int64 `json:"host"`
	Collector int64 `json:"collector"`
	CSExport  int64 `json:"csexport"`
	Classify  int64 `json:"classify"`
	Directory int64 `json:"directory"`
	Total     int64 `json:"total"`
}

// Approval is what an approver passes to `remediate`: the token binds the
// plan's digest, an expiry and this host. Present only when the plan has
// changes this host may carry out.
type Approval struct {
	Token      string `json:"token"`
	ExpiresAt  string `json:"expires_at"`
	Scope      string `json:"scope"`
	PlanDigest string `json:"plan_digest"`
	// KeySource: host (this host's key), msp (ENTRA8344_APPROVAL_KEY) or
	// replay (a replayed scenario's fixed key).
	KeySource string `json:"key_source"`
	// RunOn is the host the token is bound to: this one (scope host) or the
	// domain controller to run remediate on (scope dc).
	RunOn string `json:"run_on"`
	// Plan (scope dc) is the plan's parameters for that DC's remediate
	// (--plan / ENTRA8344_APPROVAL_PLAN); it re-derives every fact from them.
	Plan string `json:"plan"`
	// Changes are the ids of the plan's (or cleanup's) changes the token
	// binds.
	Changes []string `json:"changes,omitempty"`
}
