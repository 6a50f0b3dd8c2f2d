package adsync

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// AADConnectorID is the fixed identifier of the Entra ID (AAD) connector.
const AADConnectorID = "b891884f-051e-4a83-95af-2544101c9083"

// ConnectorKind tells the AD DS connector (writeback target) from the Entra ID one.
type ConnectorKind string

const (
	KindAD    ConnectorKind = "ad"
	KindAAD   ConnectorKind = "aad"
	KindOther ConnectorKind = "other"
)

// State is what the collector saw: the sync engine's scheduler, connectors
// and run history. Pointers are "this build did not say".
type State struct {
	CollectorVersion int
	PowerShell       string
	LanguageMode     string
	ModuleLoaded     bool
	ModuleVersion    string
	Missing          []string
	Errors           []CollectorError
	Scheduler        *Scheduler
	Connectors       []Connector
}

type CollectorError struct{ Step, Message string }

type Scheduler struct {
	SyncCycleEnabled, StagingModeEnabled, SchedulerSuspended, SyncCycleInProgress, MaintenanceEnabled *bool
	NextCycleStart                                                                                    *time.Time
	NextPolicyType                                                                                    *string
	IntervalMinutes                                                                                   *float64
}

type Connector struct {
	Name, ID, Type, Subtype, TypeName string
	Kind                              ConnectorKind
	LoginDomain, LoginUser            string
	Partitions                        []Partition
	Runs                              []Run
}

type Partition struct {
	DN, Name           string
	Selected, IsDomain bool
}

type Run struct {
	RunHistoryID, Profile, Result string
	RunNumber                     int64
	Start, End                    *time.Time
	// StepDetails is false when RunStepResults was null: the build (or the
	// call) gave no -RunStepDetails.
	StepDetails bool
	Steps       []Step
}

type Step struct {
	Number                                               int64
	Result                                               string
	Start, End                                           *time.Time
	ExportAdd, ExportUpdate, ExportDelete, ExportFailure *int64
	SyncErrors                                           []ExportError
	SyncErrorsOmitted                                    int64
	SyncErrorsInvalid                                    string
}

// ParseCollector reads the collector's stdout: the document on its one
// JSONMarker line, whatever else PowerShell printed around it. Output with
// no marked line is read whole as the document: the recorded collector.json
// of a scenario is the document itself, and so were the collector's outputs
// before the marker. It tolerates what Windows PowerShell 5.1 does to JSON:
// a BOM (UTF-8 or UTF-16), a lone object where a list was meant, null for
// empty lists, "\/Date(ms)\/" dates and enums as numbers. Only a document
// that is not a JSON object is an error.
func ParseCollector(raw []byte) (*State, error) {
	b, err := CollectorDocument(raw)
	if err != nil {
		return nil, err
	}
	doc := gjson.ParseBytes(b)
	if doc.IsArray() { // a pipeline that emitted the document once, wrapped
		arr := doc.Array()
		if len(arr) != 1 {
			return nil, fmt.Errorf("the collector output is a list of %d documents, want one object", len(arr))
		}
		doc = arr[0]
	}
	if !doc.IsObject() {
		return nil, fmt.Errorf("the collector output is JSON %s, want an object", doc.Type)
	}
	st := &State{
		CollectorVersion: int(doc.Get("collector_version").Int()),
		PowerShell:       str(doc.Get("powershell.version")),
		LanguageMode:     str(doc.Get("powershell.language_mode")),
		ModuleLoaded:     truthy(doc.Get("module.loaded")),
		ModuleVersion:    str(doc.Get("module.version")),
	}
	for _, m := range list(doc.Get("missing")) {
		if s := str(m); s != "" {
			st.Missing = append(st.Missing, s)
		}
	}
	for _, e := range list(doc.Get("errors")) {
		st.Errors = append(st.Errors, CollectorError{Step: str(e.Get("step")), Message: str(e.Get("message"))})
	}
	if s := doc.Get("scheduler"); s.IsObject() {
		st.Scheduler = parseScheduler(s)
	}
	for _, c := range list(doc.Get("connectors")) {
		if c.IsObject() {
			st.Connectors = append(st.Connectors, parseConnector(c))
		}
	}
	return st, nil
}

func parseScheduler(s gjson.Result) *Scheduler {
	sc := &Scheduler{
		SyncCycleEnabled:    optBool(s.Get("SyncCycleEnabled")),
		StagingModeEnabled:  optBool(s.Get("StagingModeEnabled")),
		SchedulerSuspended:  optBool(s.Get("SchedulerSuspended")),
		SyncCycleInProgress: optBool(s.Get("SyncCycleInProgress")),
		MaintenanceEnabled:  optBool(s.Get("MaintenanceEnabled")),
		NextCycleStart:      optTime(s.Get("NextSyncCycleStartTimeInUTC")),
		IntervalMinutes:     parseInterval(s.Get("CurrentlyEffectiveSyncCycleInterval")),
	}
	if p := s.Get("NextSyncCyclePolicyType"); p.Exists() && p.Type != gjson.Null {
		v := policyType(p)
		sc.NextPolicyType = &v
	}
	return sc
}

// policyType accepts the collector's string and the raw enum number. The
// numbers follow Set-ADSyncScheduler's declared order (Unspecified, Delta,
// Initial); that order is inferred, not documented, so unknown numbers stay visible.
func policyType(p gjson.Result) string {
	if p.Type == gjson.Number {
		switch p.Int() {
		case 0:
			return "Unspecified"
		case 1:
			return "Delta"
		case 2:
			return "Initial"
		}
		return "enum:" + p.Raw
	}
	return str(p)
}

var timeSpanRE = regexp.MustCompile(`^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$`)

// parseInterval reads a TimeSpan as the collector's "hh:mm:ss" string, the
// raw ConvertTo-Json object (TotalMinutes) or a number of minutes.
func parseInterval(v gjson.Result) *float64 {
	var m float64
	switch {
	case v.IsObject() && v.Get("TotalMinutes").Exists():
		m = v.Get("TotalMinutes").Float()
	case v.Type == gjson.Number:
		m = v.Float()
	case v.Type == gjson.String:
		g := timeSpanRE.FindStringSubmatch(strings.TrimSpace(v.Str))
		if g == nil {
			return nil
		}
		d, _ := strconv.Atoi(g[1])
		h, _ := strconv.Atoi(g[2])
		mi, _ := strconv.Atoi(g[3])
		sec, _ := strconv.Atoi(g[4])
		m = float64(d*24*60+h*60+mi) + float64(sec)/60
	default:
		return nil
	}
	if m < 0 {
		return nil
	}
	return &m
}

func parseConnector(c gjson.Result) Connector {
	conn := Connector{
		Name:        str(c.Get("Name")),
		ID:          strings.ToLower(strings.Trim(str(c.Get("Identifier")), "{}")),
		Type:        str(c.Get("Type")),
		Subtype:     str(c.Get("Subtype")),
		TypeName:    str(c.Get("ConnectorTypeName")),
		LoginDomain: str(c.Get("LoginDomain")),
		LoginUser:   str(c.Get("LoginUser")),
	}
	conn.Kind = connectorKind(conn)
	for _, p := range list(c.Get("Partitions")) {
		if p.IsObject() {
			conn.Partitions = append(conn.Partitions, Partition{
				DN: str(p.Get("DN")), Name: str(p.Get("Name")),
				Selected: truthy(p.Get("Selected")), IsDomain: truthy(p.Get("IsDomain")),
			})
		}
	}
	for _, r := range list(c.Get("Runs")) {
		if r.IsObject() {
			conn.Runs = append(conn.Runs, parseRun(r))
		}
	}
	return conn
}

func connectorKind(c Connector) ConnectorKind {
	switch {
	case strings.EqualFold(c.Type, "AD") || strings.EqualFold(c.TypeName, "AD"):
		return KindAD
	case c.ID == AADConnectorID,
		strings.EqualFold(c.Type, "Extensible2") && strings.Contains(strings.ToLower(c.Subtype), "azure active directory"):
		return KindAAD
	}
	return KindOther
}

func parseRun(r gjson.Result) Run {
	run := Run{
		RunHistoryID: str(r.Get("RunHistoryId")),
		Profile:      str(r.Get("RunProfileName")),
		Result:       str(r.Get("Result")),
		RunNumber:    r.Get("RunNumber").Int(),
		Start:        optTime(r.Get("StartDate")),
		End:          optTime(r.Get("EndDate")),
	}
	steps := r.Get("RunStepResults")
	run.StepDetails = steps.Exists() && steps.Type != gjson.Null
	for _, s := range list(steps) {
		if !s.IsObject() {
			continue
		}
		st := Step{
			Number:            s.Get("StepNumber").Int(),
			Result:            str(s.Get("StepResult")),
			Start:             optTime(s.Get("StartDate")),
			End:               optTime(s.Get("EndDate")),
			ExportAdd:         optInt(s.Get("ExportAdd")),
			ExportUpdate:      optInt(s.Get("ExportUpdate")),
			ExportDelete:      optInt(s.Get("ExportDelete")),
			ExportFailure:     optInt(s.Get("ExportFailure")),
			SyncErrorsOmitted: s.Get("SyncErrorsXmlOmitted").Int(),
		}
		// Raw cmdlet output nests the XML under SyncErrors; the collector flattens it.
		xml := str(s.Get("SyncErrorsXml"))
		if xml == "" {
			xml = str(s.Get("SyncErrors.SyncErrorsXml"))
		}
		if xml != "" {
			errs, err := ParseSyncErrorsXML(xml)
			if err != nil {
				st.SyncErrorsInvalid = err.Error()
			}
			st.SyncErrors = errs
		}
		run.Steps = append(run.Steps, st)
	}
	return run
}

// CollectorDocument is the collector's JSON document in raw stdout: the
// marked line's, or the whole output when no line is marked. It is not
// checked beyond being valid JSON.
func CollectorDocument(raw []byte) ([]byte, error) {
	b, err := normalizeText(raw)
	if err != nil {
		return nil, err
	}
	doc, found, err := markedDocument(b)
	switch {
	case err != nil:
		return nil, fmt.Errorf("the collector %w", err)
	case found:
		if !gjson.ValidBytes(doc) {
			return nil, fmt.Errorf("the collector's %s line is not JSON (starts with %q)", JSONMarker, excerpt(doc, 60))
		}
		return doc, nil
	case len(b) == 0:
		return nil, fmt.Errorf("the collector printed nothing")
	case !gjson.ValidBytes(b):
		return nil, fmt.Errorf("the collector printed no %s line and its output is not JSON (starts with %q)", JSONMarker, excerpt(b, 60))
	}
	return b, nil
}

// normalizeText strips BOMs and turns UTF-16 into UTF-8: PowerShell's
// output encoding depends on the console and on who set it.
func normalizeText(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeUTF16(b[2:], false)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeUTF16(b[2:], true)
	}
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	b = bytes.TrimSpace(b)
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("the collector output is not UTF-8 (starts with %q)", excerpt(b, 60))
	}
	return b, nil
}

func decodeUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("the collector output is UTF-16 with an odd number of bytes (%d)", len(b)+2)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return bytes.TrimSpace([]byte(string(utf16.Decode(u)))), nil
}

func excerpt(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// list reads a PowerShell list: an array, a lone value, or nothing for null.
func list(v gjson.Result) []gjson.Result {
	if !v.Exists() || v.Type == gjson.Null {
		return nil
	}
	return v.Array()
}

func str(v gjson.Result) string {
	if v.Type == gjson.Null || !v.Exists() {
		return ""
	}
	return strings.TrimSpace(v.String())
}

func truthy(v gjson.Result) bool {
	b := optBool(v)
	return b != nil && *b
}

// optBool reads true/false, "True"/"False" and 1/0; anything else is unknown.
func optBool(v gjson.Result) *bool {
	var b bool
	switch v.Type {
	case gjson.True:
		b = true
	case gjson.False:
		b = false
	case gjson.Number:
		b = v.Num != 0
	case gjson.String:
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true", "1":
			b = true
		case "false", "0":
			b = false
		default:
			return nil
		}
	default:
		return nil
	}
	return &b
}

func optInt(v gjson.Result) *int64 {
	switch v.Type {
	case gjson.Number:
		n := v.Int()
		return &n
	case gjson.String:
		n, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64)
		if err != nil {
			return nil
		}
		return &n
	}
	return nil
}

var msDateRE = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

// optTime reads "/Date(ms)/" (gjson has already unescaped "\/"), and ISO
// 8601 with or without zone (no zone means UTC: the engine keeps UTC).
func optTime(v gjson.Result) *time.Time {
	if v.Type != gjson.String {
		return nil
	}
	s := strings.TrimSpace(v.Str)
	if m := msDateRE.FindStringSubmatch(s); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return nil
		}
		t := time.UnixMilli(ms).UTC()
		return &t
	}
	t, ok := ParseCSTime(s)
	if !ok {
		return nil
	}
	return &t
}
