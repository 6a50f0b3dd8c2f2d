package schema

// SummaryVersion is the const schema_version of what `entra8344 summarize
// --format json` prints (summary.schema.json).
const SummaryVersion = "entra8344.summary.v1"

// Summary is the fleet view: the newest verdict of every server, totalled.
// Lists are capped (Limit); the *_omitted counts say how much was left out,
// the totals always count everything.
type Summary struct {
	SchemaVersion     string            `json:"schema_version"`
	Tool              Tool              `json:"tool"`
	GeneratedAt       string            `json:"generated_at"`
	StaleAfterSeconds int64             `json:"stale_after_seconds"`
	Limit             int               `json:"limit"`
	Inputs            SummaryInputs     `json:"inputs"`
	Totals            SummaryTotals     `json:"totals"`
	Clients           []SummaryClient   `json:"clients"`
	ClientsOmitted    int               `json:"clients_omitted"`
	Hosts             []SummaryHost     `json:"hosts"`
	HostsOmitted      int               `json:"hosts_omitted"`
	Rejected          []SummaryRejected `json:"rejected"`
	RejectedOmitted   int               `json:"rejected_omitted"`
}

// SummaryInputs counts what was read.
type SummaryInputs struct {
	Sources      int   `json:"sources"`       // files and streams opened (or tried)
	FilesSkipped int   `json:"files_skipped"` // files in folders without a verdict extension
	Documents    int   `json:"documents"`     // JSON documents and non-JSON lines seen
	Bytes        int64 `json:"bytes"`
	Verdicts     int   `json:"verdicts"`   // accepted verdicts, superseded ones included
	Superseded   int   `json:"superseded"` // verdicts replaced by a newer one of the same host
	Rejected     int   `json:"rejected"`
}

// SummaryTotals count servers (newest verdict per host), never verdicts.
type SummaryTotals struct {
	Hosts           int                         `json:"hosts"`
	Stale           int                         `json:"stale"`
	NeedsAction     int                         `json:"needs_action"`
	RemediableHere  int                         `json:"remediable_here"`
	ByStatus        map[Status]HostCount        `json:"by_status"`
	ByFindingKind   map[FindingKind]KindCount   `json:"by_finding_kind"`
	ByDiagnosisKind map[DiagnosisKind]KindCount `json:"by_diagnosis_kind"`
}

// HostCount is a number of servers and how many of them are stale.
type HostCount struct {
	Hosts int `json:"hosts"`
	Stale int `json:"stale"`
}

// KindCount is the servers with a finding or diagnosis kind (stale ones
// among them) and the failing objects it covers on those servers.
type KindCount struct {
	Hosts   int `json:"hosts"`
	Stale   int `json:"stale"`
	Objects int `json:"objects"`
}

// SummaryClient totals one client's servers.
type SummaryClient struct {
	Client      string         `json:"client"`
	Hosts       int            `json:"hosts"`
	NeedsAction int            `json:"needs_action"`
	Stale       int            `json:"stale"`
	ByStatus    map[Status]int `json:"by_status"`
}

// SummaryHost is one server: the fields of its newest verdict a dashboard
// shows, plus what the summary adds (stale, needs_action, superseded).
type SummaryHost struct {
	Client         string          `json:"client"`
	Site           string          `json:"site"`
	Computer       string          `json:"computer"`
	DNSDomain      string          `json:"dns_domain"`
	Status         Status          `json:"status"`
	ExitCode       int             `json:"exit_code"`
	Summary        string          `json:"summary"`
	GeneratedAt    string          `json:"generated_at"`
	Stale          bool            `json:"stale"`
	NeedsAction    bool            `json:"needs_action"`
	FindingKinds   []FindingKind   `json:"finding_kinds"`
	DiagnosisKinds []DiagnosisKind `json:"diagnosis_kinds"`
	OldestError    *string         `json:"oldest_error"`
	MaxRetryCount  int64           `json:"max_retry_count"`
	Objects        int             `json:"objects"`
	RemediableHere bool            `json:"remediable_here"`
	PlanChanges    int             `json:"plan_changes"`
	TokenExpiresAt *string         `json:"token_expires_at"`
	Source         string          `json:"source"`
	Line           int             `json:"line"`
	Superseded     int             `json:"superseded"`
}

// SummaryRejected is one input that is not a verdict this build reads.
type SummaryRejected struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}
