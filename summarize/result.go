package summarize

import (
	"cmp"
	"slices"
	"time"

	"entra8344/schema"
)

// Result is a finished summary: the JSON document (lists capped at
// Options.Limit) and every row in report order, for CSV and HTML.
type Result struct {
	Summary schema.Summary
	hosts   []*host   // every server, report order
	clients []*client // every client, report order
	o       Options
}

type client struct {
	name     string
	hosts    []*host // report order
	action   int
	stale    int
	byStatus map[schema.Status]int
}

// Result sorts and totals what was added. The Summarizer can keep adding
// afterwards; a later Result sees everything.
func (s *Summarizer) Result() *Result {
	res := &Result{o: s.o}
	res.hosts = make([]*host, 0, len(s.hosts))
	for _, h := range s.hosts {
		h.stale = s.o.StaleAfter > 0 && s.o.Now.Sub(h.generated) > s.o.StaleAfter
		h.needsAction = needsAction[h.status]
		res.hosts = append(res.hosts, h)
	}
	slices.SortFunc(res.hosts, compareHosts)

	byClient := map[string]*client{}
	for _, h := range res.hosts {
		c := byClient[h.client]
		if c == nil {
			c = &client{name: h.client, byStatus: zeroByStatus[int]()}
			byClient[h.client] = c
			res.clients = append(res.clients, c)
		}
		c.hosts = append(c.hosts, h)
		c.byStatus[h.status]++
		c.action += b2i(h.needsAction)
		c.stale += b2i(h.stale)
	}
	slices.SortFunc(res.clients, func(a, b *client) int {
		return cmp.Or(cmp.Compare(b.action, a.action), cmp.Compare(a.name, b.name))
	})
	res.Summary = s.document(res)
	return res
}

// compareHosts is the report order: servers needing action first, the
// oldest error first (the earliest first_occurred, else the verdict's own
// time: a service that is down has no findings but has been down at least
// since then); then the rest, stale first, by status. Names break ties so
// the order never depends on map iteration.
func compareHosts(a, b *host) int {
	if a.needsAction != b.needsAction {
		return -cmp.Compare(b2i(a.needsAction), b2i(b.needsAction))
	}
	if a.needsAction {
		if c := a.since().Compare(b.since()); c != 0 {
			return c
		}
	} else if a.stale != b.stale {
		return -cmp.Compare(b2i(a.stale), b2i(b.stale))
	}
	return cmp.Or(
		cmp.Compare(statusRank(a.status), statusRank(b.status)),
		cmp.Compare(a.client, b.client),
		cmp.Compare(a.computer, b.computer),
		cmp.Compare(a.domain, b.domain),
	)
}

func (h *host) since() time.Time {
	if !h.oldest.IsZero() {
		return h.oldest
	}
	return h.generated
}

func (s *Summarizer) document(res *Result) schema.Summary {
	t := schema.SummaryTotals{
		Hosts:           len(res.hosts),
		ByStatus:        zeroByStatus[schema.HostCount](),
		ByFindingKind:   map[schema.FindingKind]schema.KindCount{},
		ByDiagnosisKind: map[schema.DiagnosisKind]schema.KindCount{},
	}
	for _, k := range findingKinds {
		t.ByFindingKind[k] = schema.KindCount{}
	}
	for _, k := range schema.DiagnosisKinds {
		t.ByDiagnosisKind[k] = schema.KindCount{}
	}
	for _, h := range res.hosts {
		st := b2i(h.stale)
		t.Stale += st
		t.NeedsAction += b2i(h.needsAction)
		t.RemediableHere += b2i(h.remediable)
		c := t.ByStatus[h.status]
		c.Hosts, c.Stale = c.Hosts+1, c.Stale+st
		t.ByStatus[h.status] = c
		for i, k := range findingKinds {
			if h.findings&(1<<i) != 0 {
				c := t.ByFindingKind[k]
				c.Hosts, c.Stale, c.Objects = c.Hosts+1, c.Stale+st, c.Objects+h.findingObjects[i]
				t.ByFindingKind[k] = c
			}
		}
		for i, k := range schema.DiagnosisKinds {
			if h.diagnoses&(1<<i) != 0 {
				c := t.ByDiagnosisKind[k]
				c.Hosts, c.Stale, c.Objects = c.Hosts+1, c.Stale+st, c.Objects+h.diagnosisObjects[i]
				t.ByDiagnosisKind[k] = c
			}
		}
	}
	doc := schema.Summary{
		SchemaVersion:     schema.SummaryVersion,
		Tool:              schema.Tool{Name: "entra8344", Version: s.o.Version},
		GeneratedAt:       rfc3339(s.o.Now),
		StaleAfterSeconds: int64(s.o.StaleAfter / time.Second),
		Limit:             s.o.Limit,
		Inputs:            s.in,
		Totals:            t,
		Clients:           []schema.SummaryClient{},
		Hosts:             []schema.SummaryHost{},
		Rejected:          append([]schema.SummaryRejected{}, s.rejected...),
		RejectedOmitted:   s.in.Rejected - len(s.rejected),
	}
	clients, hosts := capped(res.clients, s.o.Limit), capped(res.hosts, s.o.Limit)
	doc.ClientsOmitted, doc.HostsOmitted = len(res.clients)-len(clients), len(res.hosts)-len(hosts)
	for _, c := range clients {
		doc.Clients = append(doc.Clients, schema.SummaryClient{Client: c.name, Hosts: len(c.hosts),
			NeedsAction: c.action, Stale: c.stale, ByStatus: c.byStatus})
	}
	for _, h := range hosts {
		doc.Hosts = append(doc.Hosts, h.row())
	}
	return doc
}

// row is a host as the JSON document lists it.
func (h *host) row() schema.SummaryHost {
	r := schema.SummaryHost{
		Client: h.client, Site: h.site, Computer: h.computer, DNSDomain: h.domain,
		Status: h.status, ExitCode: h.exitCode, Summary: h.summary, GeneratedAt: rfc3339(h.generated),
		Stale: h.stale, NeedsAction: h.needsAction,
		FindingKinds: h.findingKinds(), DiagnosisKinds: h.diagnosisKinds(),
		OldestError: optTime(h.oldest), MaxRetryCount: h.maxRetry, Objects: h.objects,
		RemediableHere: h.remediable, PlanChanges: h.changes, TokenExpiresAt: optTime(h.expires),
		Source: h.source, Line: h.line, Superseded: h.superseded,
	}
	return r
}

func (h *host) findingKinds() []schema.FindingKind {
	out := []schema.FindingKind{}
	for i, k := range findingKinds {
		if h.findings&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

func (h *host) diagnosisKinds() []schema.DiagnosisKind {
	out := []schema.DiagnosisKind{}
	for i, k := range schema.DiagnosisKinds {
		if h.diagnoses&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

func zeroByStatus[T any]() map[schema.Status]T {
	m := make(map[schema.Status]T, len(schema.Statuses))
	for _, s := range schema.Statuses {
		var zero T
		m[s] = zero
	}
	return m
}

func capped[T any](s []T, limit int) []T {
	if limit > 0 && len(s) > limit {
		return s[:limit]
	}
	return s
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
