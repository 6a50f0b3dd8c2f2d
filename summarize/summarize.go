// Package summarize turns many verdicts (files, folders, NDJSON streams)
// into the fleet view: the newest verdict of every server, totalled, and
// rendered as JSON (schema/summary.schema.json), CSV or one self-contained
// HTML page.
//
// Memory: verdicts are streamed one document at a time (at most
// Options.MaxDocBytes buffered); what grows is one small row per server,
// because "newest verdict per host wins" needs a map keyed by host. That is
// O(servers), not O(verdicts): re-reading a year of hourly verdicts of the
// same fleet costs no more than the last hour's.
package summarize

import (
	"strings"
	"time"

	"entra8344/schema"
)

// Options shape a summary.
type Options struct {
	Now         time.Time     // the summary's clock; staleness is measured against it
	StaleAfter  time.Duration // a newest verdict older than this is stale; 0: never
	MaxDocBytes int           // a document larger than this is rejected
	Limit       int           // most rows per list in the outputs; 0: all
	Version     string        // tool version for the JSON document
}

// maxRejectedListed caps the rejected list even with Limit 0: hostile input
// can hold millions of bad lines, and the count says how many there were.
const maxRejectedListed = 1000

// DefaultMaxDocBytes is far above any verdict detect writes (it lists at
// most 200 objects per finding) and small enough to hold in memory.
const DefaultMaxDocBytes = 16 << 20

// Summarizer accumulates verdicts. Not safe for concurrent use.
type Summarizer struct {
	o        Options
	hosts    map[string]*host
	in       schema.SummaryInputs
	rejected []schema.SummaryRejected
}

// New returns an empty Summarizer.
func New(o Options) *Summarizer {
	if o.MaxDocBytes <= 0 {
		o.MaxDocBytes = DefaultMaxDocBytes
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	return &Summarizer{o: o, hosts: make(map[string]*host)}
}

// Add takes one JSON document read from source at line. A document that is
// not a verdict this build reads is rejected, never fatal.
func (s *Summarizer) Add(doc []byte, source string, line int) {
	s.in.Documents++
	h, reason := parseVerdict(doc)
	s.merge(h, reason, source, line)
}

// merge files a parsed verdict under its host: newest wins.
func (s *Summarizer) merge(h *host, reason, source string, line int) {
	if reason != "" {
		s.reject(source, line, reason)
		return
	}
	s.in.Verdicts++
	h.source, h.line = source, line
	// Windows computer names and DNS names are case-insensitive; client
	// labels are what the MSP typed and are kept exact.
	key := h.client + "\x00" + strings.ToLower(h.computer) + "\x00" + strings.ToLower(h.domain)
	old, ok := s.hosts[key]
	if !ok {
		s.hosts[key] = h
		return
	}
	s.in.Superseded++
	// Newest wins; on a tie the one read later wins (inputs are read in a
	// fixed order: arguments as given, folders in lexical order).
	if h.generated.Before(old.generated) {
		old.superseded++
		return
	}
	h.superseded = old.superseded + 1
	s.hosts[key] = h
}

func (s *Summarizer) reject(source string, line int, reason string) {
	s.in.Rejected++
	if len(s.rejected) < s.rejectCap() {
		s.rejected = append(s.rejected, schema.SummaryRejected{Source: source, Line: line, Reason: reason})
	}
}

func (s *Summarizer) rejectCap() int {
	if s.o.Limit > 0 && s.o.Limit < maxRejectedListed {
		return s.o.Limit
	}
	return maxRejectedListed
}

// needsAction: the statuses where a person (or remediate) has work to do.
var needsAction = map[schema.Status]bool{
	schema.StatusRemediable: true, schema.StatusExportErrors: true, schema.StatusRunFailures: true,
	schema.StatusSyncServiceDown: true, schema.StatusError: true,
}

// statusOrder is the report order of statuses: most urgent first.
var statusOrder = []schema.Status{schema.StatusError, schema.StatusSyncServiceDown, schema.StatusRunFailures,
	schema.StatusExportErrors, schema.StatusRemediable, schema.StatusStagingMode, schema.StatusHealthy,
	schema.StatusNotApplicable}

func statusRank(st schema.Status) int {
	for i, s := range statusOrder {
		if s == st {
			return i
		}
	}
	return len(statusOrder)
}
