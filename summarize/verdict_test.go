package summarize

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"entra8344/fixtures"
	"entra8344/schema"
)

// fixtureVerdicts returns every scenario's expected.json by scenario name
// (read once; callers must not modify the bytes).
func fixtureVerdicts(t testing.TB) map[string][]byte {
	t.Helper()
	out, err := loadFixtureVerdicts()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var loadFixtureVerdicts = sync.OnceValues(func() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range fixtures.Names() {
		fsys, _, err := fixtures.Scenario(name)
		if err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, "expected.json")
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		out[name] = b
	}
	if len(out) < 20 {
		return nil, fmt.Errorf("only %d scenarios", len(out))
	}
	return out, nil
})

// reference computes a row the slow, obvious way: the verdict decoded into
// schema.Verdict by encoding/json. parseVerdict (gjson, no decoding) must
// agree on every recorded verdict.
func reference(t *testing.T, doc []byte) *host {
	t.Helper()
	var v schema.Verdict
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	h := &host{client: v.Labels.Client, site: v.Labels.Site, computer: v.Host.Computer, domain: v.Host.DNSDomain,
		status: v.Status, exitCode: v.ExitCode, summary: v.Summary,
		remediable: v.Directory.Plan.RemediableHere || v.Status == schema.StatusRemediable, changes: len(v.Directory.Plan.Changes)}
	h.generated, _ = time.Parse(time.RFC3339, v.GeneratedAt)
	for _, f := range v.Findings {
		for i, k := range findingKinds {
			if f.Kind == k {
				h.findings |= 1 << i
				h.findingObjects[i] += f.ObjectCount
			}
		}
		h.objects += f.ObjectCount
		h.maxRetry = max(h.maxRetry, f.MaxRetryCount)
		if f.FirstOccurred != nil {
			ft, _ := time.Parse(time.RFC3339, *f.FirstOccurred)
			if h.oldest.IsZero() || ft.Before(h.oldest) {
				h.oldest = ft
			}
		}
	}
	for _, d := range v.Directory.Diagnoses {
		for i, k := range schema.DiagnosisKinds {
			if d.Kind == k {
				h.diagnoses |= 1 << i
				h.diagnosisObjects[i] += d.ObjectCount
			}
		}
	}
	if v.Approval != nil {
		h.expires, _ = time.Parse(time.RFC3339, v.Approval.ExpiresAt)
	}
	return h
}

func TestParseEveryFixtureVerdict(t *testing.T) {
	for name, doc := range fixtureVerdicts(t) {
		t.Run(name, func(t *testing.T) {
			got, reason := parseVerdict(doc)
			if reason != "" {
				t.Fatalf("rejected: %s", reason)
			}
			if diff := cmp.Diff(reference(t, doc), got, cmp.AllowUnexported(host{})); diff != "" {
				t.Errorf("gjson reading differs from encoding/json (-want +got):\n%s", diff)
			}
		})
	}
}

// Hostile and broken documents are rejected with a reason that says what is
// wrong where; none panics.
func TestParseRejects(t *testing.T) {
	valid := string(fixtureVerdicts(t)["keycredlink-admin"])
	edit := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("edit %q does not apply", old)
		}
		return strings.Replace(valid, old, new, 1)
	}
	for _, tc := range []struct{ name, doc, reason string }{
		{"not JSON", "hello", "not valid JSON"},
		{"truncated", valid[:len(valid)/2], "not valid JSON"},
		{"array", "[" + valid + "]", "a JSON array, not a verdict"},
		{"string", `"verdict"`, "a JSON string, not a verdict object"},
		{"number", `8344`, "a JSON number, not a verdict object"},
		{"empty object", `{}`, "no schema_version"},
		{"other tool", `{"schema_version":"acme.v1","status":"ok"}`, `schema_version "acme.v1" is not one this build reads`},
		{"old version", edit(`"entra8344.verdict.v2"`, `"entra8344.verdict.v1"`), `schema_version "entra8344.verdict.v1"`},
		{"version not a string", edit(`"entra8344.verdict.v2"`, `2`), "schema_version 2 is not"},
		{"unknown status", edit(`"status": "remediable"`, `"status": "fine"`), `status "fine" is not a known status`},
		{"local time", edit(`"generated_at": "2025-06-16T15:00:00Z"`, `"generated_at": "yesterday"`), `generated_at "yesterday" is not an RFC 3339 time`},
		{"no computer", edit(`"computer": "DC01"`, `"computer": ""`), "host.computer is empty"},
		{"computer a number", edit(`"computer": "DC01"`, `"computer": 1`), "host.computer is 1, not a string"},
		{"exit code a string", edit(`"exit_code": 2`, `"exit_code": "2"`), `exit_code is "2", not an integer`},
		{"unknown finding kind", edit(`"kind": "permission-8344"`, `"kind": "<script>"`), `findings[0].kind "<script>" is not a known finding kind`},
		{"negative retries", edit(`"max_retry_count": 4380`, `"max_retry_count": -1`), "findings[0].max_retry_count is -1, not a count"},
		{"findings null", edit(`"findings": [`, `"findings": null, "x": [`), "findings is null, not a list"},
		{"unknown diagnosis", edit(`"kind": "adminsdholder-writeback-denied"`, `"kind": "guess"`), `directory.diagnoses[0].kind "guess"`},
		{"plan flag a string", edit(`"remediable_here": true`, `"remediable_here": "yes"`), `directory.plan.remediable_here is "yes"`},
		{"expiry not a time", edit(`"expires_at": "2025-06-19T15:00:00Z"`, `"expires_at": 0`), "approval.expires_at is 0, not a time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, reason := parseVerdict([]byte(tc.doc))
			if h != nil || !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", reason, tc.reason)
			}
		})
	}
	// What the reader tolerates: labels missing (an old RMM wrapper), an
	// approval that is null or absent, unknown extra fields.
	for _, doc := range []string{
		edit(`"labels": {`, `"labels_": {`),
		edit(`"approval": {`, `"approval": null, "approval_": {`),
		edit(`"approval": {`, `"approval_": {`),
		edit(`"status": "remediable"`, `"status": "remediable", "new_field": [1, {"x": 2}]`),
	} {
		if _, reason := parseVerdict([]byte(doc)); reason != "" {
			t.Errorf("rejected: %s", reason)
		}
	}
}

// Long and invalid UTF-8 names are clipped on a character boundary and made
// valid, so a hostile verdict cannot make a row big.
func TestLabelsClipped(t *testing.T) {
	doc := strings.Replace(string(fixtureVerdicts(t)["healthy"]), `"client": ""`, `"client": "`+strings.Repeat("é", 500)+"\xff"+`"`, 1)
	h, reason := parseVerdict([]byte(doc))
	if reason != "" {
		t.Fatal(reason)
	}
	if len(h.client) > maxLabel+len("…") || !strings.HasSuffix(h.client, "é…") {
		t.Errorf("client of %d bytes: %q", len(h.client), h.client[len(h.client)-10:])
	}
}

func FuzzParseVerdict(f *testing.F) {
	for _, doc := range fixtureVerdicts(f) {
		f.Add(doc)
	}
	f.Add([]byte(`{"schema_version":"entra8344.verdict.v2","findings":[{"kind":1}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		h, reason := parseVerdict(doc)
		if (h == nil) == (reason == "") {
			t.Fatalf("host %v with reason %q", h != nil, reason)
		}
		if h != nil && (h.computer == "" || h.generated.IsZero()) {
			t.Fatalf("accepted without computer or time")
		}
	})
}

// A list item's index is filled into the path; a value that looks like a
// path is left alone.
func TestReasonPaths(t *testing.T) {
	valid := string(fixtureVerdicts(t)["mixed"])
	doc := strings.Replace(valid, `"kind": "other"`, `"kind": []`, 1)
	if _, reason := parseVerdict([]byte(doc)); reason != "findings[1].kind [] is not a known finding kind" {
		t.Errorf("reason %q", reason)
	}
	doc = strings.Replace(valid, `"directory": {`, `"directory": [], "directory_": {`, 1)
	if _, reason := parseVerdict([]byte(doc)); reason != "directory is [], not an object" {
		t.Errorf("reason %q", reason)
	}
}

// TestDriftFindingsCounted: the drift findings a baseline gives (issue 17)
// are verdicts the fleet view counts, not rejects.
func TestDriftFindingsCounted(t *testing.T) {
	valid := string(fixtureVerdicts(t)["mixed"])
	for i, k := range []schema.FindingKind{schema.KindACERemoved, schema.KindACEChanged, schema.KindACEAddedBroad} {
		doc := strings.Replace(valid, `"kind": "other"`, `"kind": "`+string(k)+`"`, 1)
		h, reason := parseVerdict([]byte(doc))
		if h == nil {
			t.Fatalf("%s: rejected: %s", k, reason)
		}
		if bit := 3 + i; h.findings&(1<<bit) == 0 || findingKinds[bit] != k || findingLabels[k] == "" || findingShort[k] == "" {
			t.Errorf("%s: not counted under its kind, or without a label", k)
		}
	}
}

// TestPartRemediableCounts: a server whose plan spans DCs but has a part of
// its own (status remediable, the whole plan not remediable here) counts
// as remediable here in the fleet view.
func TestPartRemediableCounts(t *testing.T) {
	doc := fixtureVerdicts(t)["forest-root-pdc"]
	if !strings.Contains(string(doc), `"remediable_here": false`) || !strings.Contains(string(doc), `"status": "remediable"`) {
		t.Fatal("forest-root-pdc is no longer a remediable verdict whose whole plan is not this host's")
	}
	h, reason := parseVerdict(doc)
	if h == nil || !h.remediable {
		t.Errorf("not counted as remediable here (%s)", reason)
	}
}
