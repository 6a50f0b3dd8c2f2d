// Package rmmtemplates holds what the RMM wrappers of entra8344 are made of:
// one shared PowerShell core (src/), a table of per-RMM data (this file) and
// the renderer that turns both into each RMM's self-contained scripts and
// README (render.go). `go generate ./rmm-templates` writes them; a test
// checks that the committed files equal the renderer's output.
package rmmtemplates

//go:generate go run ./gen

// Outcome is what an RMM wrapper does with one exit code of the binary.
type Outcome struct {
	Code  int    // the wrapper's own exit code (or, for ImmyBot's Test, 0 = compliant)
	Alert bool   // whether the RMM raises (or keeps) an alert for it
	Label string // short word written where the RMM matches text (N-central Status, Automate/Kaseya prefix)
}

// Finish is how a wrapper ends.
type Finish string

const (
	FinishExit       Finish = "exit"         // $host.SetShouldExit(code); exit code
	FinishExitIfFile Finish = "exit-if-file" // as exit when run from a file; inside an AMP only output parameters
	FinishImmyTest   Finish = "immy-test"    // return $true (compliant) / $false
	FinishImmySet    Finish = "immy-set"     // return normally, throw on refused/error
)

// Writer is how a wrapper hands values to the RMM.
type Writer string

const (
	WriterNinja    Writer = "ninja"    // Ninja-Property-Set / Ninja-Property-Set-Piped
	WriterDatto    Writer = "datto"    // UDF string values Custom<N> under HKLM\SOFTWARE\CentraStage
	WriterStdout   Writer = "stdout"   // lines on stdout only (the RMM stores the output)
	WriterNcentral Writer = "ncentral" // AMP output parameters (global variables)
	WriterSyncro   Writer = "syncro"   // Set-Asset-Field, Rmm-Alert / Close-Rmm-Alert
	WriterAction1  Writer = "action1"  // Action1-Set-CustomAttribute
	WriterImmy     Writer = "immy"     // Write-Host only; the boolean is the result
)

// Field is one RMM field (custom field, UDF, EDF, output parameter).
type Field struct {
	Role string // summary, token, json, remediation
	Name string // as the RMM shows it (or the UDF number for Datto)
	Type string // the type to create it with
	Max  int    // characters the wrapper writes at most (0: no limit known)
}

// Script is one generated file.
type Script struct {
	File string // file name inside the RMM's folder
	Kind string // detect, monitor (reads the cached verdict), remediate
	Use  string // how it is imported into the RMM
}

// RMM is one RMM's data. Everything RMM-specific that is not data lives in
// src/adapter-<Writer>.ps1.
type RMM struct {
	ID, Name string
	Writer   Writer
	Finish   Finish // for detect and monitor scripts
	// FinishRemediate is how the remediate script ends.
	FinishRemediate Finish
	Scripts         []Script
	Detect          map[int]Outcome // detect (and monitor) exit code of the binary -> wrapper
	Remediate       map[int]Outcome // remediate exit code of the binary -> wrapper
	Fields          []Field
	// LineMax bounds the one-line output (summary, with the token first when
	// TokenInLine) that goes to the RMM's smallest field or history.
	LineMax     int
	TokenInLine bool // the RMM has one text field: the token leads the line
	LabelInLine bool // the line starts with [OK]/[WARN]/... for text matching
	Relaunch64  bool // relaunch through Sysnative when the agent is 32-bit
	// RelaunchWhy says why (or why not) for the README.
	RelaunchWhy string
	// Token inputs the remediate wrapper looks at, after
	// ENTRA8344_APPROVAL_TOKEN itself: environment variables, PowerShell
	// variables (RMM-injected or parameters), and a literal the RMM
	// substitutes into the script text.
	TokenEnv     []string
	TokenVar     string
	TokenLiteral string // e.g. @ApprovalToken@; an unsubstituted literal counts as empty
	HasParam     bool   // the script may start with a param() block (then $ApprovalToken is read too)
	// TokenChannel says, for the README, which channel this RMM uses for
	// the token and why (an argument may be logged where an environment
	// variable is not).
	TokenChannel string
	Alert        string // the alert condition to set, for the README
	Approval     string // how the token flows from the dashboard to the remediate run
	Limits       []string
	Unverified   []string // [U] items of rmm-conventions.md that matter here
	Category     string   // Syncro alert category (stable)
}

// Every exit code of the binary maps through the tables; these are the
// common shapes.
var (
	plainDetect = map[int]Outcome{
		0: {0, false, "OK"}, 1: {1, true, "CRIT"}, 2: {2, true, "WARN"}, 3: {3, true, "UNKNOWN"},
	}
	plainRemediate = map[int]Outcome{
		0: {0, false, "OK"}, 1: {1, true, "WARN"}, 2: {2, true, "CRIT"}, 3: {3, true, "CRIT"},
	}
)

const (
	sha256Note = "pin the SHA-256 of entra8344.exe (amd64 and arm64) in the settings block at the top of each script; the wrapper refuses to run an exe whose hash differs"
)

// RMMs is the table: one entry per supported RMM, in README order.
var RMMs = []RMM{
	{
		ID: "ninjaone", Name: "NinjaOne", Writer: WriterNinja, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Automation library script (PowerShell, run as System), scheduled in a policy or used as the script of a Script Result Condition"},
			{"remediate.ps1", "remediate", "Automation library script (PowerShell, run as System) with the script variable `approvalToken` (String), run on demand"},
		},
		Detect: plainDetect, Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "entra8344Summary", "Text (Automation: Read/Write)", 255},
			{"token", "entra8344Token", "Text (Automation: Read/Write)", 255},
			{"json", "entra8344Json", "Multi-line (Automation: Read/Write)", 10000},
			{"remediation", "entra8344Remediation", "Text (Automation: Read/Write)", 255},
		},
		LineMax: 255, Relaunch64: false,
		RelaunchWhy: "no: the exe is 64-bit and runs natively from a 32-bit agent; Ninja-Property-* are functions of the agent's PowerShell session and may not exist in a relaunched child [U]",
		TokenEnv:    []string{"approvalToken"}, HasParam: true,
		TokenChannel: "the script variable `approvalToken`, which NinjaOne passes as an environment variable of that run (not a command-line argument); a preset parameter `-ApprovalToken <token>` is read too",
		Alert:        "Script Result Condition on detect.ps1: result code is not 0 (1 = needs a person, 2 = one-click fix ready, 3 = could not tell); or a Custom Field condition on entra8344Token \"is not empty\" for the one-click queue",
		Approval:     "detect writes `approval.token` to entra8344Token; the approver copies it into the `approvalToken` script variable when running remediate.ps1 (NinjaOne passes script variables as environment variables for that run only); the wrapper hands it to the exe as ENTRA8344_APPROVAL_TOKEN",
		Limits: []string{
			"string script variables reject `& | ; $ > <`, backtick, `!` and ÅÄÖ: the token alphabet `[A-Za-z0-9_-]` is safe [V]",
			"the JSON field is written piped and cut at 10,000 characters (the safe floor of older helpers [U]); the full verdict stays in %ProgramData%\\entra8344-rmm\\verdict.json",
			"script timeout: set it to the check interval + 2 min; detect needs up to collector 3m + csexport 10m per connector in the worst case [C]",
		},
		Unverified: []string{"per-script architecture selector and timeout limits", "whether Ninja-Property-* exist in a relaunched 64-bit child (hence no relaunch)", "the 10,000-character floor for non-WYSIWYG fields"},
	},
	{
		ID: "datto-rmm", Name: "Datto RMM", Writer: WriterDatto, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Job component (PowerShell), scheduled hourly: runs detect, writes the UDFs and the cached verdict"},
			{"monitor.ps1", "monitor", "Monitor component (PowerShell): reads the cached verdict only and prints the Diagnostic/Result markers"},
			{"remediate.ps1", "remediate", "Job component (PowerShell) with the input variable `ApprovalToken` (String), run as a quick job"},
		},
		Detect: map[int]Outcome{
			0: {0, false, "OK"}, 1: {1, true, "CRIT"}, 2: {1, true, "WARN"}, 3: {1, true, "UNKNOWN"},
		},
		Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "20", "UDF 20 (text, 255)", 255},
			{"token", "21", "UDF 21 (text, 255)", 255},
			{"remediation", "22", "UDF 22 (text, 255)", 255},
		},
		LineMax: 255, Relaunch64: false,
		RelaunchWhy: "no: UDFs are registry values the wrapper writes, and which registry view the agent reads is [U]; writing them in the component's own bitness is the safe choice, and the 64-bit exe runs natively anyway",
		TokenEnv:    []string{"ApprovalToken"}, HasParam: true,
		TokenChannel: "the component's input variable `ApprovalToken`, which Datto RMM sets as an environment variable of the job (components take no command-line arguments)",
		Alert:        "Component monitor on monitor.ps1 (any non-zero exit alerts; severity is the monitor's priority); it reads the verdict cached by the detect job, so it finishes in well under a second",
		Approval:     "the detect job writes `approval.token` to UDF 21; the approver starts remediate.ps1 as a quick job and pastes it into the `ApprovalToken` input variable (an environment variable of the component)",
		Limits: []string{
			"UDFs: 30 per device, 255 characters each, labels 22 characters; plain text [V]",
			"the Result line is `Status=<text>` with no `=` at its start (a leading `=` breaks the alert API) [C]; the full JSON goes in the Diagnostic block",
			"monitors: a short hard time limit (\"<3 s\" [C/U]): the monitor reads the cache and never runs detect",
			"the detect job and the monitor exit 1 for every detect result but healthy (1 needs a person, 2 one-click fix ready, 3 could not tell alike: Datto alerts on any non-zero exit); the Status= line's label (CRIT, WARN, UNKNOWN) says which",
		},
		Unverified: []string{"monitor time limit", "whether stderr turns a job into a warning", "which registry view (WOW6432Node or native) the agent reads UDFs from"},
	},
	{
		ID: "tactical-rmm", Name: "Tactical RMM", Writer: WriterStdout, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Script (PowerShell) used as a Script Check (timeout 600 s) and, optionally, as a Collector task for the agent field"},
			{"remediate.ps1", "remediate", "Script (PowerShell) run from Run Script with the environment variable ENTRA8344_APPROVAL_TOKEN (or the script argument `-ApprovalToken <token>`, which Tactical logs)"},
		},
		Detect: map[int]Outcome{
			0: {0, false, "OK"}, 1: {1, true, "ERROR"}, 2: {2, true, "WARNING"}, 3: {3, true, "INFO"},
		},
		Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "entra8344Summary", "Agent custom field, Text (collector task: last stdout line)", 255},
		},
		LineMax: 255, TokenInLine: true, Relaunch64: true,
		RelaunchWhy: "yes (normally a no-op: Tactical's agent is 64-bit on x64 [V/U]); environment variables reach the child",
		TokenEnv:    nil, HasParam: true,
		TokenChannel: "prefer the environment variable `ENTRA8344_APPROVAL_TOKEN=<token>` in Run Script's Environment vars: Tactical does not log those. A script argument `-ApprovalToken <token>` works too (the wrapper reads it), but Tactical logs script arguments in the PowerShell Operational event log of the server, so the token would stay there",
		Alert:        "Script Check on detect.ps1: Warning codes `2`, Informational codes `3, 98`; any other non-zero (1: needs a person) is an Error; alert after 1 failure. Never put `98` in the success codes (Tactical's docs suggest it against false alerts): 98 is the agent's own timeout, a detect that never finished, and must alert as could-not-tell",
		Approval:     "the check output (and the collector field) starts with `APPROVE <token> |`; the approver runs remediate.ps1 with the environment variable `ENTRA8344_APPROVAL_TOKEN=<token>` (or `ENTRA8344_APPROVAL_TOKEN={{agent.entra8344Token}}` if you keep the token in its own field): environment variables are not logged, script arguments are",
		Limits: []string{
			"nothing on stderr: a collector task with any stderr is failed and its field not saved; a multi-action task stops [V]",
			"the collector field is the last stdout line, so the one-line output is printed last [V]",
			"history keeps 60 characters of stdout [V]; the default script timeout is 90 s: set 600 s for detect [V]",
			"templated environment variables are split on `=`: the token has none [V]",
		},
		Unverified: []string{"agent bitness on every install (relaunch kept as a guard)"},
	},
	{
		ID: "n-able-n-central", Name: "N-able N-central", Writer: WriterNcentral, Finish: FinishExitIfFile, FinishRemediate: FinishExitIfFile,
		Scripts: []Script{
			{"detect.ps1", "detect", "Automation Manager policy: one \"Run PowerShell Script\" object with output parameters `Status`, `Summary`, `Token`, `Json`, scheduled as an automation-policy task and used by an AMP-based custom service"},
			{"remediate.ps1", "remediate", "Automation Manager policy: \"Run PowerShell Script\" with the input parameter `ApprovalToken` and output parameters `Status`, `Summary`, run on demand"},
		},
		Detect: plainDetect, Remediate: plainRemediate,
		Fields: []Field{
			{"status", "Status", "AMP output parameter (String)", 16},
			{"summary", "Summary", "AMP output parameter (String) → Custom Property entra8344Summary", 255},
			{"token", "Token", "AMP output parameter (String) → Custom Property entra8344Token", 255},
			{"json", "Json", "AMP output parameter (String)", 0},
		},
		LineMax: 255, Relaunch64: false,
		RelaunchWhy: "no: inside an AMP the output parameters are variables of the AMP's own PowerShell runspace; a child process could not set them",
		TokenVar:    "ApprovalToken", HasParam: false,
		TokenChannel: "the AMP input parameter `ApprovalToken`, a variable of the AMP's runspace (no command line involved)",
		Alert:        "AMP-based custom service on the `Status` output parameter: Failed when it contains `CRIT` or `UNKNOWN`, Warning when it contains `WARN`, Normal otherwise",
		Approval:     "the policy task maps `Token` to the device Custom Property entra8344Token; the approver runs the remediate policy with `ApprovalToken` taken from that property (or typed in); the wrapper passes it to the exe as ENTRA8344_APPROVAL_TOKEN",
		Limits: []string{
			"exit codes stay inside the AMP: alert on `Status`, not on the code (when the script runs from a file, e.g. the Script Repository, it also exits with the binary's code) [V]",
			"script timeout ≤ 3600 s; the custom service times out at scan interval − 2 min [V]",
			"`$Result` and `$ResultString` are reserved: the wrapper never sets them [V]",
		},
		Unverified: []string{"custom-property length", "whether AMP output parameters are read from global variables set by the script", "PowerShell version requirements of AMP-based services"},
	},
	{
		ID: "n-able-n-sight", Name: "N-able N-sight", Writer: WriterStdout, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Script Check (24x7) uploaded under Settings > Script Manager"},
			{"remediate.ps1", "remediate", "Automated Task (run once) with the Command Line `-ApprovalToken <token>`"},
		},
		Detect: map[int]Outcome{
			0: {0, false, "OK"}, 1: {1001, true, "CRIT"}, 2: {1002, true, "WARN"}, 3: {1003, true, "UNKNOWN"},
		},
		Remediate: map[int]Outcome{
			0: {0, false, "OK"}, 1: {1001, true, "WARN"}, 2: {1002, true, "CRIT"}, 3: {1003, true, "CRIT"},
		},
		Fields:  []Field{{"summary", "check output (first line)", "script output", 255}},
		LineMax: 255, TokenInLine: true, Relaunch64: true,
		RelaunchWhy: "yes: the agent's PowerShell host bitness is [U]; the token reaches the child as an environment variable",
		TokenVar:    "ApprovalToken", HasParam: true,
		TokenChannel: "the automated task's Command Line `-ApprovalToken <token>`, a script argument: the only input N-sight offers, so the token is visible in the task's settings",
		Alert:        "the Script Check fails on any non-zero exit; codes above 1000 show the output: 1001 needs a person, 1002 one-click fix ready, 1003 could not tell",
		Approval:     "the check's output starts with `APPROVE <token> |`; the approver runs remediate.ps1 as an automated task with the Command Line `-ApprovalToken <token>`; the wrapper moves it into ENTRA8344_APPROVAL_TOKEN for the exe (the Command Line is the only input N-sight offers)",
		Limits: []string{
			"exit codes 1–999 are reserved: the wrapper returns 0 or 1001–1003 [V]",
			"script ≤ 65,535 characters, output ≤ 10,000 characters: only the line is printed, the JSON stays on disk [V]",
			"arguments starting with `0` get wrapped in `\\`: the token may start with `0`, the wrapper strips a leading and trailing `\\` [V]",
		},
		Unverified: []string{"script timeout", "the agent's PowerShell bitness"},
	},
	{
		ID: "connectwise-automate", Name: "ConnectWise Automate", Writer: WriterStdout, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "the body of an \"Execute Script\" (PowerShell) step of an Automate script scheduled on the Connect servers; its output lands in `@PowerShellResult@`"},
			{"remediate.ps1", "remediate", "the body of an \"Execute Script\" (PowerShell) step of an Automate script with the parameter `ApprovalToken`"},
		},
		Detect: plainDetect, Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "entra8344 Summary", "Computer EDF, Text", 255},
			{"token", "entra8344 Token", "Computer EDF, Text", 255},
		},
		LineMax: 255, LabelInLine: true, Relaunch64: true,
		RelaunchWhy:  "yes: the agent's bitness is [U]; the substituted token reaches the child as an environment variable",
		TokenLiteral: "@ApprovalToken@", HasParam: false,
		TokenChannel: "the Automate script parameter `@ApprovalToken@`, which Automate substitutes into the script text before the step runs (no command line involved)",
		Alert:        "after the step: `IF @PowerShellResult@ Contains [CRIT]` or `Contains [WARN]` or `Contains [UNKNOWN]` → ExtraData Set Value and a ticket/alert; a monitor on the EDF entra8344 Summary not starting with `[OK]`",
		Approval:     "when the fix is one-click the output's first line is `TOKEN <token>` (the last line is always the summary); the Automate script stores it with ExtraData Set Value in the EDF entra8344 Token; the approver runs the remediate Automate script, whose parameter `@ApprovalToken@` Automate substitutes into the script text (copy it from the EDF)",
		Limits: []string{
			"the last output line is `[OK]|[CRIT]|[WARN]|[UNKNOWN] <summary>` for Contains checks; nothing goes to stderr",
			"Automate substitutes @variables@ into the script text: the token alphabet `[A-Za-z0-9_-]` needs no quoting; an unsubstituted `@ApprovalToken@` counts as no token",
		},
		Unverified: []string{"everything about the script engine steps (Execute Script output variable, Contains checks, EDF writes)", "agent bitness", "timeouts"},
	},
	{
		ID: "kaseya-vsa", Name: "Kaseya VSA", Writer: WriterStdout, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "an Agent Procedure: write the file to the agent, then \"Execute Powershell Command (64-bit, Run As System)\" on it; output in `#global:psresult#`"},
			{"remediate.ps1", "remediate", "an Agent Procedure with a prompt variable `ApprovalToken`, substituted as `#ApprovalToken#` into the script"},
		},
		Detect: plainDetect, Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "entra8344Summary", "Custom field (string), set with Update System Info from #global:psresult#", 255},
		},
		LineMax: 255, TokenInLine: true, LabelInLine: true, Relaunch64: true,
		RelaunchWhy:  "yes: the VSA agent is 32-bit by default [V]; use the 64-bit step anyway",
		TokenLiteral: "#ApprovalToken#", HasParam: false,
		TokenChannel: "the procedure's prompt variable, substituted as `#ApprovalToken#` into the script text (no command line involved)",
		Alert:        "in the procedure: IF `#global:psresult#` does not start with `[OK]` → Send Alert / create a ticket",
		Approval:     "the one output line starts with `[WARN] APPROVE <token> |` and lands in the custom field; the approver runs the remediate procedure and answers its prompt with the token, which VSA substitutes for `#ApprovalToken#` in the script text",
		Limits: []string{
			"only one short line is printed (it becomes `#global:psresult#` and the custom field)",
		},
		Unverified: []string{"custom-field writes (Update System Info), alerts from procedures, timeouts", "whether `#variable#` substitution applies inside a written script file (else pass it with Execute Powershell Command's parameter field)"},
	},
	{
		ID: "syncro", Name: "Syncro", Writer: WriterSyncro, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Script (PowerShell, run as System) scheduled in a policy"},
			{"remediate.ps1", "remediate", "Script (PowerShell, run as System) with the script variable `ApprovalToken` (platform: runtime), run on demand"},
		},
		Detect: map[int]Outcome{
			0: {0, false, "OK"}, 1: {0, true, "CRIT"}, 2: {0, true, "WARN"}, 3: {1, true, "UNKNOWN"},
		},
		Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "entra8344 Summary", "Asset custom field, Text field", 255},
			{"token", "entra8344 Token", "Asset custom field, Text field", 255},
			{"remediation", "entra8344 Remediation", "Asset custom field, Text field", 255},
		},
		LineMax: 255, Relaunch64: true,
		RelaunchWhy: "yes: the Syncro agent is 32-bit [C]; its injected script variables are script text, so the wrapper moves the token into ENTRA8344_APPROVAL_TOKEN before relaunching and the child re-imports $env:SyncroModule",
		TokenVar:    "ApprovalToken", HasParam: false, Category: "entra8344",
		TokenChannel: "the runtime script variable `ApprovalToken`, which Syncro writes as code at the top of the script (no command line involved)",
		Alert:        "Rmm-Alert with the stable category `entra8344` whenever detect does not exit 0 (body: the summary); Close-Rmm-Alert -Category entra8344 -CloseAlertTicket \"true\" when it does (without it a ticket made from the alert stays open after recovery); set the policy's alert rule to create a ticket for that category if wanted",
		Approval:     "detect writes the token to the asset field entra8344 Token; the approver runs remediate.ps1 and pastes it into the runtime variable `ApprovalToken` (Syncro writes it into the script text, so the wrapper checks its alphabet before use)",
		Limits: []string{
			"Syncro injects variables as code at the top of the script: the scripts have no param() block [C]",
			"the detect job exits 0 for findings (the alert carries them) and 1 only when detect could not tell",
			"the module needs PowerShell > 4.0 [C]",
		},
		Unverified: []string{"Close-Rmm-Alert and its -CloseAlertTicket \"true\" (seen in public scripts, not pinned)", "field length and script timeout"},
	},
	{
		ID: "atera", Name: "Atera", Writer: WriterStdout, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Script-based Agent custom field `entra8344 Summary` (or a scheduled IT Automation profile): runs detect, caches the verdict, prints one line"},
			{"monitor.ps1", "monitor", "Script-based threshold item (no variables): prints the cached verdict's exit code as a number"},
			{"remediate.ps1", "remediate", "Script run on demand with the script argument `-ApprovalToken <token>`"},
		},
		Detect: plainDetect, Remediate: plainRemediate,
		Fields:  []Field{{"summary", "entra8344 Summary", "script-based Agent custom field (Enterprise/SuperPower plans)", 255}},
		LineMax: 255, TokenInLine: true, Relaunch64: true,
		RelaunchWhy: "yes: the agent's bitness is [U]",
		TokenVar:    "ApprovalToken", HasParam: true,
		TokenChannel: "the script argument `-ApprovalToken <token>`: Atera's scripts take arguments, not variables; whether Atera logs them is [U]",
		Alert:        "threshold item on monitor.ps1: output `> 0` (1 needs a person, 2 one-click fix ready, 3 could not tell); up to 3 auto-healing scripts may be attached, but not remediate.ps1 (it needs a person's token)",
		Approval:     "the custom field starts with `APPROVE <token> |`; the approver runs remediate.ps1 with the argument `-ApprovalToken <token>`, which the wrapper moves into ENTRA8344_APPROVAL_TOKEN for the exe",
		Limits: []string{
			"threshold scripts contain no variables and run every polling cycle (~1.5–2 min): monitor.ps1 only reads the cache [V]",
			"the threshold output is recorded in the alert, not in a field [V]",
		},
		Unverified: []string{"script arguments and their logging", "custom-field length", "timeouts"},
	},
	{
		ID: "action1", Name: "Action1", Writer: WriterAction1, Finish: FinishExit, FinishRemediate: FinishExit,
		Scripts: []Script{
			{"detect.ps1", "detect", "Script Library script (PowerShell) run by a scheduled automation"},
			{"remediate.ps1", "remediate", "Script Library script (PowerShell) with the parameter `ApprovalToken`, run on demand"},
		},
		Detect: plainDetect, Remediate: plainRemediate,
		Fields: []Field{
			{"summary", "entra8344 Summary", "Custom attribute (string)", 255},
			{"token", "entra8344 Token", "Custom attribute (string)", 255},
			{"remediation", "entra8344 Remediation", "Custom attribute (string)", 255},
		},
		LineMax: 255, Relaunch64: false,
		RelaunchWhy: "no: Action1-Set-CustomAttribute is provided by the agent's session [U] and the 64-bit exe runs natively",
		TokenEnv:    []string{"ApprovalToken"}, TokenVar: "ApprovalToken", HasParam: true,
		TokenChannel: "the script parameter `ApprovalToken`; whether Action1 delivers it as an argument or an environment variable is [U], so the wrapper reads both",
		Alert:        "an Action1 report or alert on the custom attribute entra8344 Summary not starting with `OK`/`HEALTHY`, or on the automation's failed runs (exit code ≠ 0)",
		Approval:     "detect writes the token to the custom attribute entra8344 Token; the approver runs remediate.ps1 with the parameter `ApprovalToken`",
		Limits:       []string{"custom attributes are strings; a community note says they are write-only from scripts [C]"},
		Unverified:   []string{"alerting, parameters (environment variable or PowerShell variable: the wrapper reads both), timeouts, bitness"},
	},
	{
		ID: "immybot", Name: "ImmyBot", Writer: WriterImmy, Finish: FinishImmyTest, FinishRemediate: FinishImmySet,
		Scripts: []Script{
			{"detect.ps1", "detect", "Maintenance Task, Test script (execution context System): returns $true when compliant"},
			{"remediate.ps1", "remediate", "the same Maintenance Task's Set script (execution context System) with the task parameter `ApprovalToken` (Text)"},
		},
		Detect: map[int]Outcome{
			0: {0, false, "OK"}, 1: {1, true, "CRIT"}, 2: {1, true, "WARN"}, 3: {1, true, "UNKNOWN"},
		},
		Remediate: plainRemediate,
		Fields:    nil,
		LineMax:   255, Relaunch64: false,
		RelaunchWhy: "no: System-context scripts run in ImmyBot's own 64-bit session [U], and a child process could not return the Test boolean",
		TokenVar:    "ApprovalToken", HasParam: false,
		TokenChannel: "the task parameter `ApprovalToken`, which ImmyBot creates as a PowerShell variable of the Set script (no command line involved)",
		Alert:        "the Test result: `$false` (not compliant) for exit codes 1, 2 and 3 marks the task non-compliant in the maintenance session",
		Approval:     "Test prints `APPROVE <token>` in the session log when the fix is one-click; the approver sets the task parameter `ApprovalToken` and runs the task in Enforce mode: Set runs remediate with it, Test re-runs. With an empty parameter Set changes nothing and fails with `token-missing`, so Enforce mode never fixes without a person",
		Limits: []string{
			"Test must return $false explicitly; null, \"\" or 0 do not trigger Set [V]",
			"Invoke-ImmyCommand defaults to a 120 s timeout: if you wrap these as Metascripts, pass -Timeout 900 [V]",
		},
		Unverified: []string{"bitness of System-context scripts", "how much Write-Host output the session log keeps"},
	},
}

// HasField reports whether the RMM has a field for role.
func (r RMM) HasField(role string) bool {
	for _, f := range r.Fields {
		if f.Role == role {
			return true
		}
	}
	return false
}

// Script returns the RMM's script of a kind, if it has one.
func (r RMM) Script(kind string) (Script, bool) {
	for _, s := range r.Scripts {
		if s.Kind == kind {
			return s, true
		}
	}
	return Script{}, false
}
