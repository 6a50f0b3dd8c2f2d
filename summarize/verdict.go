package summarize

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"

	"entra8344/schema"
)

// knownVersions are the verdict schema versions this build reads. v2 is
// the first one with labels, findings and the directory diagnosis in the
// shape read here; when detect moves to v3, v2 stays readable for as long
// as old verdicts lie around in RMM fields.
var knownVersions = map[string]bool{"entra8344.verdict.v2": true}

// findingKinds is the verdict schema's finding kind enum, in report order.
var findingKinds = []schema.FindingKind{schema.KindPermission8344, schema.KindCloudConflict, schema.KindOther,
	schema.KindACERemoved, schema.KindACEChanged, schema.KindACEAddedBroad}

func init() {
	knownVersions[schema.VerdictVersion] = true
	// The kind bit sets and object arrays of host are sized for the enums.
	if len(findingKinds) > 8 || len(schema.DiagnosisKinds) > 16 {
		panic("summarize: a verdict kind enum outgrew host's bit sets")
	}
}

// maxLabel bounds the strings kept per host (client, site, computer,
// domain): hostile input must not make the per-host map grow with document
// size. Real names are far shorter; summary has its own cap (255) in the
// verdict schema.
const (
	maxLabel   = 200
	maxSummary = 255
)

// host is one server's row: what the fleet view needs of its newest verdict.
// Kinds are bit sets over findingKinds and schema.DiagnosisKinds, so a
// row stays small when there are 100k of them.
type host struct {
	client, site, computer, domain string
	status                         schema.Status
	exitCode                       int
	summary                        string
	generated                      time.Time
	findings                       uint8
	diagnoses                      uint16
	findingObjects                 [8]int
	diagnosisObjects               [16]int
	oldest                         time.Time // earliest findings[].first_occurred; zero when none
	maxRetry                       int64
	objects                        int
	remediable                     bool
	changes                        int
	expires                        time.Time // approval.expires_at; zero when absent
	source                         string
	line                           int
	superseded                     int
	// Set when the result is made.
	stale, needsAction bool
}

// reader collects the first reason a document is not a verdict we read.
// Paths name list items as "findings[]"; fail fills in index, so the happy
// path builds no strings.
type reader struct {
	reason string
	index  int
}

func (r *reader) fail(format string, a ...any) {
	if r.reason == "" {
		r.reason = fmt.Sprintf(strings.Replace(format, "[]", "["+strconv.Itoa(r.index)+"]", 1), a...)
	}
}

// parseVerdict validates doc as JSON and reads the fields the fleet view
// needs, checking the type of each (it does not run the whole JSON Schema:
// 100k verdicts must take seconds, and a verdict of a known version with an
// extra field is still worth counting). The returned host shares no memory
// with doc.
func parseVerdict(doc []byte) (*host, string) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || !gjson.ValidBytes(doc) {
		return nil, "not valid JSON (truncated or damaged)"
	}
	switch doc[0] {
	case '{':
	case '[':
		return nil, "a JSON array, not a verdict: give one verdict per file or per line (NDJSON)"
	default:
		return nil, "a JSON " + typeName(gjson.ParseBytes(doc)) + ", not a verdict object"
	}
	// gjson reads a string; converting without a copy is safe because every
	// string kept is cloned (label, clip) and doc outlives this call.
	root := gjson.Parse(unsafe.String(&doc[0], len(doc)))
	var top [len(topKeys)]gjson.Result
	pick(root, topKeys[:], top[:])
	version, status, generated, exit, summary := top[0], top[1], top[2], top[3], top[4]
	labels, hostObj, findings, directory, approval := top[5], top[6], top[7], top[8], top[9]
	if !version.Exists() {
		return nil, "no schema_version: not an entra8344 verdict"
	}
	if version.Type != gjson.String || !knownVersions[version.Str] {
		return nil, fmt.Sprintf("schema_version %s is not one this build reads (%s)", clip(version.Raw, 60), schema.VerdictVersion)
	}
	var r reader
	h := &host{}
	h.status = r.status(status)
	h.generated = r.time(generated, "generated_at", false)
	if exit.Type != gjson.Number || exit.Num != float64(int(exit.Num)) {
		r.fail("exit_code is %s, not an integer", describe(exit))
	}
	h.exitCode = int(exit.Int())
	h.summary = clip(r.str(summary, "summary", true), maxSummary)
	h.client = label(r.str(labels.Get("client"), "labels.client", !labels.Exists()))
	h.site = label(r.str(labels.Get("site"), "labels.site", !labels.Exists()))
	if !hostObj.IsObject() {
		r.fail("host is %s, not an object", describe(hostObj))
	}
	h.computer = label(r.str(hostObj.Get("computer"), "host.computer", false))
	if h.computer == "" && r.reason == "" {
		r.fail("host.computer is empty: no server to file the verdict under")
	}
	h.domain = label(r.str(hostObj.Get("dns_domain"), "host.dns_domain", true))
	r.findings(h, findings)
	r.directory(h, directory)
	if approval.IsObject() {
		h.expires = r.time(approval.Get("expires_at"), "approval.expires_at", true)
	} else if approval.Exists() && approval.Type != gjson.Null {
		r.fail("approval is %s, not an object or null", describe(approval))
	}
	if r.reason != "" {
		return nil, r.reason
	}
	return h, ""
}

func (r *reader) status(v gjson.Result) schema.Status {
	if v.Type == gjson.String {
		for _, s := range schema.Statuses {
			if string(s) == v.Str {
				return s
			}
		}
	}
	r.fail("status %s is not a known status", describe(v))
	return ""
}

// The keys read, in the order detect writes them: pick stops at the last
// one, so the large lists after them (findings[].objects, the directory
// diagnoses' object evidence, warnings, collection) are never parsed, only
// validated.
var (
	topKeys       = [...]string{"schema_version", "status", "generated_at", "exit_code", "summary", "labels", "host", "findings", "directory", "approval"}
	findingKeys   = [...]string{"kind", "object_count", "first_occurred", "max_retry_count"}
	directoryKeys = [...]string{"diagnoses", "plan"}
	diagnosisKeys = [...]string{"kind", "object_count"}
)

// pick sets out[i] to obj's value for keys[i], stopping once all are found.
func pick(obj gjson.Result, keys []string, out []gjson.Result) {
	left := len(keys)
	obj.ForEach(func(k, v gjson.Result) bool {
		for i, name := range keys {
			if k.Str == name && !out[i].Exists() {
				out[i] = v
				left--
				break
			}
		}
		return left > 0
	})
}

func (r *reader) findings(h *host, v gjson.Result) {
	if !v.IsArray() {
		r.fail("findings is %s, not a list", describe(v))
		return
	}
	r.index = -1
	v.ForEach(func(_, f gjson.Result) bool {
		r.index++
		if !f.IsObject() {
			r.fail("findings[] is %s, not an object", describe(f))
			return false
		}
		var got [len(findingKeys)]gjson.Result
		pick(f, findingKeys[:], got[:])
		kind, count, first, retry := got[0], got[1], got[2], got[3]
		bit := -1
		for j, k := range findingKinds {
			if kind.Type == gjson.String && kind.Str == string(k) {
				bit = j
			}
		}
		if bit < 0 {
			r.fail("findings[].kind %s is not a known finding kind", describe(kind))
			return false
		}
		n := int(r.count(count, "findings[].object_count"))
		h.findings |= 1 << bit
		h.findingObjects[bit] += n
		h.objects += n
		if t := r.time(first, "findings[].first_occurred", true); !t.IsZero() && (h.oldest.IsZero() || t.Before(h.oldest)) {
			h.oldest = t
		}
		h.maxRetry = max(h.maxRetry, r.count(retry, "findings[].max_retry_count"))
		return r.reason == ""
	})
}

func (r *reader) directory(h *host, d gjson.Result) {
	if !d.IsObject() {
		r.fail("directory is %s, not an object", describe(d))
		return
	}
	var got [len(directoryKeys)]gjson.Result
	pick(d, directoryKeys[:], got[:])
	diagnoses, plan := got[0], got[1]
	if !diagnoses.IsArray() {
		r.fail("directory.diagnoses is %s, not a list", describe(diagnoses))
		return
	}
	r.index = -1
	diagnoses.ForEach(func(_, g gjson.Result) bool {
		r.index++
		var got [len(diagnosisKeys)]gjson.Result
		pick(g, diagnosisKeys[:], got[:])
		kind, count := got[0], got[1]
		bit := -1
		for j, k := range schema.DiagnosisKinds {
			if kind.Type == gjson.String && kind.Str == string(k) {
				bit = j
			}
		}
		if bit < 0 {
			r.fail("directory.diagnoses[].kind %s is not a known diagnosis kind", describe(kind))
			return false
		}
		h.diagnoses |= 1 << bit
		h.diagnosisObjects[bit] += int(r.count(count, "directory.diagnoses[].object_count"))
		return r.reason == ""
	})
	if !plan.IsObject() {
		r.fail("directory.plan is %s, not an object", describe(plan))
		return
	}
	switch rh := plan.Get("remediable_here"); rh.Type {
	case gjson.True, gjson.False:
		// A part of the plan this server may carry out (one approval per
		// DC) makes the verdict remediable while the whole plan is not.
		h.remediable = rh.Bool() || h.status == schema.StatusRemediable
	default:
		r.fail("directory.plan.remediable_here is %s, not true or false", describe(rh))
	}
	changes := plan.Get("changes")
	if !changes.IsArray() {
		r.fail("directory.plan.changes is %s, not a list", describe(changes))
		return
	}
	changes.ForEach(func(_, _ gjson.Result) bool { h.changes++; return true })
}

// The path arguments below are constants (no %): they become part of the
// failure's format, where fail fills in a list index.

// str reads a string; missing is allowed (as "") when optional.
func (r *reader) str(v gjson.Result, path string, optional bool) string {
	if v.Type == gjson.String {
		return v.Str
	}
	if !v.Exists() && optional {
		return ""
	}
	r.fail(path+" is %s, not a string", describe(v))
	return ""
}

// time reads an RFC 3339 time; null or missing is the zero time when nullable.
func (r *reader) time(v gjson.Result, path string, nullable bool) time.Time {
	if v.Type == gjson.String {
		t, err := time.Parse(time.RFC3339, v.Str)
		if err == nil {
			return t.UTC()
		}
		r.fail(path+" %s is not an RFC 3339 time", clip(v.Raw, 60))
		return time.Time{}
	}
	if nullable && (v.Type == gjson.Null || !v.Exists()) {
		return time.Time{}
	}
	r.fail(path+" is %s, not a time", describe(v))
	return time.Time{}
}

// count reads a non-negative integer; missing counts as 0.
func (r *reader) count(v gjson.Result, path string) int64 {
	if !v.Exists() {
		return 0
	}
	if v.Type != gjson.Number || v.Num < 0 || v.Num != float64(int64(v.Num)) {
		r.fail(path+" is %s, not a count", describe(v))
		return 0
	}
	return int64(v.Num)
}

// describe names a value for a reason: its type, or the value when short.
func describe(v gjson.Result) string {
	if !v.Exists() {
		return "missing"
	}
	if len(v.Raw) <= 40 {
		return v.Raw
	}
	return "a long " + typeName(v)
}

func typeName(v gjson.Result) string {
	switch {
	case v.IsObject():
		return "object"
	case v.IsArray():
		return "array"
	case v.Type == gjson.String:
		return "string"
	case v.Type == gjson.Number:
		return "number"
	case v.Type == gjson.True, v.Type == gjson.False:
		return "boolean"
	}
	return "null"
}

// label keeps a name for display and for the host key: valid UTF-8, at most
// maxLabel bytes, and a copy (the document's bytes are reused).
func label(s string) string { return clip(s, maxLabel) }

func clip(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Clone(strings.ToValidUTF8(s, "\uFFFD"))
}
