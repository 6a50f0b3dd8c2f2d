package schema

// ResultVersion is the const schema_version of every remediate/revert result.
const ResultVersion = "entra8344.result.v1"

// ResultStatus is the outcome of a remediate or revert run.
type ResultStatus string

const (
	// ResultVerified: every change applied and read back, every object checked.
	ResultVerified ResultStatus = "verified"
	// ResultAlreadyPresent: the approved changes were already in place; nothing written.
	ResultAlreadyPresent ResultStatus = "already-present"
	// ResultPending: applied and read back, but not yet on every object (the
	// protection task has not run yet) or the sync not yet confirmed.
	ResultPending ResultStatus = "pending"
	// ResultDryRun: remediate --dry-run showed its steps and changed nothing
	// (exit 0: the dry run did what was asked).
	ResultDryRun ResultStatus = "dry-run"
	// ResultRefused: nothing was changed (the refusal says why).
	ResultRefused ResultStatus = "refused"
	// ResultError: something failed; the journal says exactly what state AD is in.
	ResultError ResultStatus = "error"
)

// ResultStatuses lists every status.
var ResultStatuses = []ResultStatus{ResultVerified, ResultAlreadyPresent, ResultPending, ResultDryRun, ResultRefused, ResultError}

// StepStatus is one step's outcome.
type StepStatus string

const (
	StepDone           StepStatus = "done"
	StepSkipped        StepStatus = "skipped"
	StepAlreadyPresent StepStatus = "already-present"
	StepPending        StepStatus = "pending"
	StepRefused        StepStatus = "refused"
	StepFailed         StepStatus = "failed"
)

// Result is what `entra8344 remediate` and `revert` print.
type Result struct {
	SchemaVersion string       `json:"schema_version"`
	Tool          Tool         `json:"tool"`
	Command       string       `json:"command"` // remediate, revert
	DryRun        bool         `json:"dry_run"`
	GeneratedAt   string       `json:"generated_at"`
	Status        ResultStatus `json:"status"`
	ExitCode      int          `json:"exit_code"`
	Summary       string       `json:"summary"`
	Host          string       `json:"host"`
	PlanDigest    string       `json:"plan_digest"`
	Journal       *JournalRef  `json:"journal"`
	Refusal       *Notice      `json:"refusal"`
	Steps         []ResultStep `json:"steps"`
	Collection    struct {
		Replay *string `json:"replay"`
	} `json:"collection"`
}

// JournalRef names the journal of this run.
type JournalRef struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

// ResultStep is one journaled step.
type ResultStep struct {
	Name     string     `json:"name"`
	Status   StepStatus `json:"status"`
	Change   string     `json:"change"`
	Server   string     `json:"server"`
	DN       string     `json:"dn"`
	Message  string     `json:"message"`
	Evidence Evidence   `json:"evidence"`
}

// Evidence is what was read back to justify a step's status.
type Evidence struct {
	ACE             string   `json:"ace"`
	Before          string   `json:"before_sddl"`
	After           string   `json:"after_sddl"`
	ObjectsVerified []string `json:"objects_verified"`
	ObjectsPending  []string `json:"objects_pending"`
}
