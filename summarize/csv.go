package summarize

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// csvHeader is the CSV contract: one row per server, in report order.
var csvHeader = []string{"client", "site", "host", "dns_domain", "status", "exit_code", "finding_kinds",
	"diagnosis_kinds", "oldest_error", "max_retry_count", "objects", "remediable_here", "plan_changes",
	"token_expires_at", "generated_at", "stale", "needs_action", "summary"}

// WriteCSV writes every server (no Limit: the CSV is the full list), RFC
// 4180 with CRLF. Kinds are joined with ";". Empty cells mean "none".
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	rec := make([]string, len(csvHeader))
	for _, h := range r.hosts {
		kinds := make([]string, 0, 3)
		for _, k := range h.findingKinds() {
			kinds = append(kinds, string(k))
		}
		diags := make([]string, 0, 4)
		for _, k := range h.diagnosisKinds() {
			diags = append(diags, string(k))
		}
		rec = append(rec[:0],
			cell(h.client), cell(h.site), cell(h.computer), cell(h.domain), string(h.status),
			strconv.Itoa(h.exitCode), strings.Join(kinds, ";"), strings.Join(diags, ";"),
			timeCell(h.oldest), strconv.FormatInt(h.maxRetry, 10), strconv.Itoa(h.objects),
			strconv.FormatBool(h.remediable), strconv.Itoa(h.changes), timeCell(h.expires),
			rfc3339(h.generated), strconv.FormatBool(h.stale), strconv.FormatBool(h.needsAction),
			cell(h.summary))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell neutralises spreadsheet formulas (CSV injection): Excel, LibreOffice
// and Google Sheets evaluate a cell that starts with = + - @ (and a tab or
// CR before one of them), so a client named "=HYPERLINK(...)" would run in
// the MSP's spreadsheet. A leading apostrophe makes it text; it is the
// OWASP recommendation. Quotes, commas and newlines are encoding/csv's job.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return rfc3339(t)
}
