package detect

import (
	"container/heap"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"entra8344/internal/adsync"
	"entra8344/schema"
)

// Classify puts one export error of a connector into an error class.
func Classify(kind adsync.ConnectorKind, e adsync.ExportError) schema.FindingKind {
	switch kind {
	case adsync.KindAD:
		if IsPermission8344(e) {
			return schema.KindPermission8344
		}
	case adsync.KindAAD:
		if IsCloudConflict(e) {
			return schema.KindCloudConflict
		}
	}
	return schema.KindOther
}

// IsPermission8344 matches AD's "insufficient access rights" in every form
// it is written (see adsync.ExportError.InsufficientAccess, which the
// replayed export shares).
func IsPermission8344(e adsync.ExportError) bool { return e.InsufficientAccess() }

// cloudConflicts are the Entra ID export errors where another object holds
// the value: a data collision a person resolves, never a permission grant.
var cloudConflicts = []string{"AttributeValueMustBeUnique", "PropertyConflict", "InvalidSoftMatch", "ObjectConflict"}

func IsCloudConflict(e adsync.ExportError) bool {
	hay := strings.ToLower(e.ErrorName + " " + e.ErrorType + " " + e.ErrorLiteral + " " + e.ExtraErrorDetails)
	for _, c := range cloudConflicts {
		if strings.Contains(hay, strings.ToLower(c)) {
			return true
		}
	}
	return false
}

func direction(k adsync.ConnectorKind) string {
	switch k {
	case adsync.KindAD:
		return "writeback"
	case adsync.KindAAD:
		return "cloud"
	}
	return "other"
}

var kindOrder = map[schema.FindingKind]int{schema.KindPermission8344: 0, schema.KindCloudConflict: 1, schema.KindOther: 2}

type groupKey struct {
	connector int
	kind      schema.FindingKind
}

// aggregator groups export errors by connector and class while csexport
// streams: counts, sets and extremes for all, the oldest MaxObjects kept as
// examples, so memory does not grow with the number of errors.
type aggregator struct {
	max    int
	groups map[groupKey]*group
	// failing keeps every permission-8344 object of each AD connector (up to
	// maxFailing in all) for the directory diagnosis, which reads them in
	// batches; dropped counts the rest.
	failing map[int][]Failing
	nfail   int
	dropped int
}

// maxFailing bounds the objects evaluated against the directory.
const maxFailing = 20000

type group struct {
	conn        adsync.Connector
	key         groupKey
	count       int
	attrs       map[string]bool
	types       map[string]bool
	codes       map[string]bool
	first, last time.Time
	maxRetry    int64
	kept        objHeap
}

func newAggregator(max int) *aggregator {
	if max <= 0 {
		max = 200
	}
	return &aggregator{max: max, groups: map[groupKey]*group{}, failing: map[int][]Failing{}}
}

func (a *aggregator) add(idx int, c adsync.Connector, e adsync.ExportError) {
	k := groupKey{idx, Classify(c.Kind, e)}
	g := a.groups[k]
	if g == nil {
		g = &group{conn: c, key: k, attrs: map[string]bool{}, types: map[string]bool{}, codes: map[string]bool{}}
		a.groups[k] = g
	}
	g.count++
	if k.kind == schema.KindPermission8344 && c.Kind == adsync.KindAD {
		if a.nfail < maxFailing {
			a.failing[idx] = append(a.failing[idx], Failing{DN: e.DN, Attributes: append([]string(nil), e.Attributes...)})
			a.nfail++
		} else {
			a.dropped++
		}
	}
	for _, at := range e.Attributes {
		g.attrs[at] = true
	}
	if t := firstNonEmpty(e.ErrorType, e.ErrorName); t != "" {
		g.types[t] = true
	}
	if e.Code >= 0 {
		g.codes[strconv.FormatInt(e.Code, 10)] = true
	} else if e.ErrorCode != "" {
		g.codes[e.ErrorCode] = true
	}
	if t := e.FirstOccurred; !t.IsZero() && (g.first.IsZero() || t.Before(g.first)) {
		g.first = t
	}
	if t := e.DateOccurred; !t.IsZero() && t.After(g.last) {
		g.last = t
	}
	if e.RetryCount > g.maxRetry {
		g.maxRetry = e.RetryCount
	}
	heap.Push(&g.kept, e)
	if g.kept.Len() > a.max {
		heap.Pop(&g.kept) // drops the newest: the oldest errors are the story
	}
}

func (a *aggregator) findings() []schema.Finding {
	groups := make([]*group, 0, len(a.groups))
	for _, g := range a.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if kindOrder[groups[i].key.kind] != kindOrder[groups[j].key.kind] {
			return kindOrder[groups[i].key.kind] < kindOrder[groups[j].key.kind]
		}
		return groups[i].key.connector < groups[j].key.connector
	})
	out := make([]schema.Finding, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.finding())
	}
	return out
}

func (g *group) finding() schema.Finding {
	objs := append([]adsync.ExportError(nil), g.kept...)
	sort.Slice(objs, func(i, j int) bool { return olderFirst(objs[i], objs[j]) })
	f := schema.Finding{
		ID:             fmt.Sprintf("%s-%d", g.key.kind, g.key.connector+1),
		Kind:           g.key.kind,
		Connector:      g.conn.Name,
		ConnectorKind:  string(g.conn.Kind),
		Direction:      direction(g.conn.Kind),
		ErrorTypes:     sortedKeys(g.types),
		ErrorCodes:     sortedKeys(g.codes),
		Attributes:     sortedKeys(g.attrs),
		ObjectCount:    g.count,
		MaxRetryCount:  g.maxRetry,
		Objects:        make([]schema.Object, 0, len(objs)),
		ObjectsOmitted: g.count - len(objs),
	}
	if !g.first.IsZero() {
		f.FirstOccurred = timePtr(&g.first)
	}
	if !g.last.IsZero() {
		f.LastOccurred = timePtr(&g.last)
	}
	for _, e := range objs {
		f.Objects = append(f.Objects, objectOf(e))
	}
	f.Explanation, f.NextStep = explain(g.conn, f)
	return f
}

func objectOf(e adsync.ExportError) schema.Object {
	o := schema.Object{
		DN: e.DN, CSID: e.CSID, ObjectType: e.ObjectType, ErrorType: e.ErrorType,
		ErrorCode: e.ErrorCode, ErrorName: e.ErrorName, ErrorLiteral: e.ErrorLiteral,
		ServerErrorDetail: e.ServerErrorDetail, Attributes: append([]string{}, e.Attributes...),
		Diagnoses: []schema.DiagnosisKind{},
	}
	if !e.FirstOccurred.IsZero() {
		o.FirstOccurred = timePtr(&e.FirstOccurred)
	}
	if !e.DateOccurred.IsZero() {
		o.DateOccurred = timePtr(&e.DateOccurred)
	}
	if e.RetryCount >= 0 {
		n := e.RetryCount
		o.RetryCount = &n
	}
	return o
}

// olderFirst orders errors by first occurrence (unknown last), then DN.
func olderFirst(a, b adsync.ExportError) bool {
	if !a.FirstOccurred.Equal(b.FirstOccurred) {
		if a.FirstOccurred.IsZero() || b.FirstOccurred.IsZero() {
			return !a.FirstOccurred.IsZero()
		}
		return a.FirstOccurred.Before(b.FirstOccurred)
	}
	if a.DN != b.DN {
		return a.DN < b.DN
	}
	return a.CSID < b.CSID
}

// objHeap is a max-heap in olderFirst order: its root is the newest kept error.
type objHeap []adsync.ExportError

func (h objHeap) Len() int           { return len(h) }
func (h objHeap) Less(i, j int) bool { return olderFirst(h[j], h[i]) }
func (h objHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *objHeap) Push(x any)        { *h = append(*h, x.(adsync.ExportError)) }
func (h *objHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
