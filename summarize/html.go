package summarize

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"entra8344/schema"
)

// The page is one file with no external reference: CSS and the script are
// inline, and a Content-Security-Policy allows nothing else, not even a
// second inline script (the one script is allowed by its hash), so a
// hostile name that got through escaping still could not run or load
// anything. It works offline and prints (details are opened for print).
var (
	//go:embed report.html.tmpl
	reportTemplate string
	//go:embed report.js
	reportScript string

	reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{"n": thousands}).Parse(reportTemplate))
)

// perClientRows caps the rows inside one client's <details>: a client with
// 5,000 servers must not bury the others; the CSV has every row.
const perClientRows = 50

// WriteHTML writes the self-contained report. title heads the page.
func (r *Result) WriteHTML(w io.Writer, title string) error {
	return reportTmpl.Execute(w, r.view(title))
}

type view struct {
	Title, Generated, Version, StaleText string
	CSP                                  string
	Script                               template.JS
	In                                   schema.SummaryInputs
	T                                    schema.SummaryTotals
	Statuses                             []statusTile
	Findings, Diagnoses                  []kindRow
	Action                               []rowView
	ActionOmitted                        int
	Clients                              []clientView
	ClientsOmitted, ClientsOmittedHosts  int
	ClientTotal                          int
	OpenClients                          bool
	Rejected                             []schema.SummaryRejected
}

type statusTile struct {
	ID, Label    string
	Hosts, Stale int
}

type kindRow struct {
	ID, Label             string
	Hosts, Stale, Objects int
}

type clientView struct {
	Name          string
	Hosts, Action int
	Stale         int
	Badges        []statusTile
	Rows          []rowView
	RowsOmitted   int
}

type rowView struct {
	N                                         int
	Client, Site, Host, Status, StatusLabel   string
	Kinds, Oldest, OldestISO, Age, Generated  string
	GeneratedISO, Expires, Summary, Remediate string
	Ago, ExpiresTitle                         string
	AgeDays                                   int
	Retries                                   int64
	Stale                                     bool
}

func (r *Result) view(title string) view {
	s := r.Summary
	v := view{
		Title: title, Generated: s.GeneratedAt, Version: s.Tool.Version,
		StaleText: "never",
		Script:    template.JS(reportScript),
		In:        s.Inputs, T: s.Totals, Rejected: s.Rejected,
		OpenClients: len(r.clients) <= 10, ClientTotal: len(r.clients),
	}
	sum := sha256.Sum256([]byte(reportScript))
	v.CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if r.o.StaleAfter > 0 {
		v.StaleText = duration(r.o.StaleAfter)
	}
	for _, st := range statusOrder {
		c := s.Totals.ByStatus[st]
		v.Statuses = append(v.Statuses, statusTile{ID: string(st), Label: statusLabels[st], Hosts: c.Hosts, Stale: c.Stale})
	}
	for _, k := range findingKinds {
		c := s.Totals.ByFindingKind[k]
		v.Findings = append(v.Findings, kindRow{string(k), findingLabels[k], c.Hosts, c.Stale, c.Objects})
	}
	for _, k := range schema.DiagnosisKinds {
		c := s.Totals.ByDiagnosisKind[k]
		v.Diagnoses = append(v.Diagnoses, kindRow{string(k), diagnosisLabels[k], c.Hosts, c.Stale, c.Objects})
	}
	for i, h := range r.hosts {
		if !h.needsAction {
			break // report order: needing action first
		}
		if r.o.Limit > 0 && i >= r.o.Limit {
			v.ActionOmitted = s.Totals.NeedsAction - i
			break
		}
		v.Action = append(v.Action, r.rowView(i+1, h))
	}
	budget := r.o.Limit // rows across all clients' tables
	for i, c := range r.clients {
		if r.o.Limit > 0 && i >= r.o.Limit {
			v.ClientsOmitted = len(r.clients) - i
			for _, c := range r.clients[i:] {
				v.ClientsOmittedHosts += len(c.hosts)
			}
			break
		}
		cv := clientView{Name: c.name, Hosts: len(c.hosts), Action: c.action, Stale: c.stale}
		for _, st := range statusOrder {
			if n := c.byStatus[st]; n > 0 {
				cv.Badges = append(cv.Badges, statusTile{ID: string(st), Label: statusLabels[st], Hosts: n})
			}
		}
		for j, h := range c.hosts {
			if j >= perClientRows || (r.o.Limit > 0 && budget <= 0) {
				cv.RowsOmitted = len(c.hosts) - j
				break
			}
			cv.Rows = append(cv.Rows, r.rowView(j+1, h))
			budget--
		}
		v.Clients = append(v.Clients, cv)
	}
	return v
}

func (r *Result) rowView(n int, h *host) rowView {
	rv := rowView{
		N: n, Client: h.client, Site: h.site, Host: h.computer, Status: string(h.status),
		StatusLabel: statusLabels[h.status], Summary: h.summary, Retries: h.maxRetry,
		Generated: h.generated.Format("2006-01-02 15:04 UTC"), GeneratedISO: rfc3339(h.generated),
		Ago:   ago(r.o.Now.Sub(h.generated)),
		Stale: h.stale, Remediate: "no", AgeDays: -1,
	}
	if h.domain != "" {
		rv.Host += "." + h.domain
	}
	// detect starts the summary with "[client/site] " for RMM fields; the
	// row already shows both.
	if label := strings.Trim(h.client+"/"+h.site, "/"); label != "" {
		rv.Summary = strings.TrimPrefix(rv.Summary, "["+label+"] ")
	}
	kinds := make([]string, 0, 3)
	for _, k := range h.findingKinds() {
		kinds = append(kinds, findingShort[k])
	}
	rv.Kinds = strings.Join(kinds, ", ")
	if !h.oldest.IsZero() {
		rv.Oldest, rv.OldestISO = h.oldest.Format("2006-01-02"), rfc3339(h.oldest)
		rv.AgeDays = int(r.o.Now.Sub(h.oldest).Hours() / 24)
		rv.Age = strconv.Itoa(rv.AgeDays) + " d"
	}
	if h.remediable {
		rv.Remediate = "yes"
	}
	if !h.expires.IsZero() {
		// Tokens live for days: the day says enough in the table; the time
		// is in the tooltip, the JSON and the CSV.
		rv.Expires, rv.ExpiresTitle = "until "+h.expires.Format("Jan 2"), "approval token valid until "+h.expires.Format("2006-01-02 15:04 UTC")
		if !h.expires.After(r.o.Now) {
			rv.Expires, rv.ExpiresTitle = "token expired", "approval token expired "+h.expires.Format("2006-01-02 15:04 UTC")
		}
	}
	return rv
}

var statusLabels = map[schema.Status]string{
	schema.StatusError: "Could not tell", schema.StatusSyncServiceDown: "Sync service down",
	schema.StatusRunFailures: "Run failures", schema.StatusExportErrors: "Export errors",
	schema.StatusRemediable: "Remediable", schema.StatusStagingMode: "Staging mode",
	schema.StatusHealthy: "Healthy", schema.StatusNotApplicable: "Not applicable",
}

var findingLabels = map[schema.FindingKind]string{
	schema.KindPermission8344: "AD refused the write (8344)",
	schema.KindCloudConflict:  "Cloud-side conflict",
	schema.KindOther:          "Other export error",
	schema.KindACERemoved:     "Connector permission removed since the baseline",
	schema.KindACEChanged:     "Connector permission changed since the baseline",
	schema.KindACEAddedBroad:  "Broad connector permission added since the baseline",
}

var findingShort = map[schema.FindingKind]string{
	schema.KindPermission8344: "8344", schema.KindCloudConflict: "conflict", schema.KindOther: "other",
	schema.KindACERemoved: "ace-removed", schema.KindACEChanged: "ace-changed", schema.KindACEAddedBroad: "ace-added-broad",
}

var diagnosisLabels = map[schema.DiagnosisKind]string{
	schema.DiagAdminSDHolderWritebackDenied: "AdminSDHolder lacks the grant",
	schema.DiagProtectTaskPending:           "Protection task pending",
	schema.DiagStaleAdminCount:              "Stale adminCount",
	schema.DiagOUPermissionMissing:          "OU permission missing",
	schema.DiagPasswordWritebackProtected:   "Password writeback to an admin (refused)",
	schema.DiagStaleConnectorACE:            "Stale connector ACE",
	schema.DiagInheritanceDisabled:          "Inheritance disabled by hand",
	schema.DiagExplicitDeny:                 "Explicit deny",
	schema.DiagAttributeNotAllowlisted:      "Attribute not on the allowlist",
	schema.DiagAccessGrantedNow:             "Access granted now",
	schema.DiagNotEvaluated:                 "Not evaluated",
}

// thousands formats 12345 as 12,345.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ago says how old a verdict is in the unit that matters at that age.
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " d ago"
}

func duration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
