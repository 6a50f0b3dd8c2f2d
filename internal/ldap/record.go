package ldap

import (
	"context"
	"io"
	"strings"
	"sync"

	"entra8344/internal/ldap/filter"
)

// Recorder is a Conn that keeps every entry any search returns, merged by
// DN (attributes united; a later search's values of an attribute replace
// the earlier ones), the rootDSE too. Modify passes through unrecorded.
//
// So that memdir can replay a search from what was recorded, the Recorder
// also asks the server for objectClass and the attributes the filter tests
// (and hides them from the caller), and records the base of a search that
// returned nothing as a placeholder entry (it exists, matches no filter).
// Known limits: a filter with "!" can match more in replay when an entry
// recorded by another search lacks the negated attribute; which entries
// fill a size-limited answer depends on the order.
type Recorder struct {
	c  Conn
	st *store
}

// store is what a Recorder and the connections it wraps share.
type store struct {
	mu      sync.Mutex
	entries map[string]*Entry
	order   []*Entry
}

var _ Conn = (*Recorder)(nil)

// NewRecorder wraps c (nil when the Recorder is used only through Wrap or
// Dialer).
func NewRecorder(c Conn) *Recorder {
	return &Recorder{c: c, st: &store{entries: map[string]*Entry{}}}
}

// Wrap returns a Recorder for c that records into the same store as r.
func (r *Recorder) Wrap(c Conn) *Recorder { return &Recorder{c: c, st: r.st} }

// Dialer returns a Dialer whose connections record into r's store.
func (r *Recorder) Dialer(d Dialer) Dialer { return recDialer{d: d, r: r} }

type recDialer struct {
	d Dialer
	r *Recorder
}

func (rd recDialer) Dial(ctx context.Context, host string) (Conn, error) {
	c, err := rd.d.Dial(ctx, host)
	if err != nil {
		return nil, err
	}
	return rd.r.Wrap(c), nil
}

// Search passes the search on and records what comes back (also the
// entries that arrive with an error, e.g. sizeLimitExceeded).
func (r *Recorder) Search(ctx context.Context, req *SearchRequest) ([]*Entry, error) {
	if req == nil {
		return r.c.Search(ctx, req)
	}
	inner := *req
	extra := extraAttributes(req)
	if len(extra) > 0 {
		inner.Attributes = nil
		for _, a := range req.Attributes {
			if a != "1.1" {
				inner.Attributes = append(inner.Attributes, a)
			}
		}
		inner.Attributes = append(inner.Attributes, extra...)
	}
	entries, err := r.c.Search(ctx, &inner)
	r.record(req.BaseDN, entries, err)
	if len(extra) == 0 || entries == nil {
		return entries, err
	}
	out := make([]*Entry, len(entries))
	for i, e := range entries {
		if e == nil {
			continue
		}
		ne := &Entry{DN: e.DN}
		for _, a := range e.Attributes {
			if !containsFold(extra, attrType(a.Name)) {
				ne.Attributes = append(ne.Attributes, a)
			}
		}
		out[i] = ne
	}
	return out, err
}

// extraAttributes lists what a request for named attributes must also ask
// for: objectClass (so that no entry comes back empty, which would make it
// a placeholder) and the filter's attributes, except constructed ones and
// distinguishedName (memdir knows it). None for an empty list or "*".
func extraAttributes(req *SearchRequest) []string {
	if len(req.Attributes) == 0 || containsFold(req.Attributes, "*") {
		return nil
	}
	fs := req.Filter
	if strings.TrimSpace(fs) == "" {
		fs = "(objectClass=*)"
	}
	f, err := filter.Parse(fs)
	if err != nil {
		return nil
	}
	var extra []string
	for _, a := range append([]string{"objectClass"}, f.Attributes()...) {
		a = attrType(a)
		if IsConstructed(a) || strings.EqualFold(a, "distinguishedName") ||
			requested(req.Attributes, a) || containsFold(extra, a) {
			continue
		}
		extra = append(extra, a)
	}
	return extra
}

func (r *Recorder) record(base string, entries []*Entry, err error) {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	sawBase := false
	baseKey := normal(base)
	for _, e := range entries {
		if e == nil {
			continue
		}
		if _, perr := ParseDN(e.DN); perr != nil {
			continue // LDIF could not carry it; no server sends one
		}
		key := normal(e.DN)
		sawBase = sawBase || key == baseKey
		rec, ok := st.entries[key]
		if !ok {
			rec = &Entry{DN: e.DN}
			st.entries[key] = rec
			st.order = append(st.order, rec)
		}
		for _, a := range e.Attributes {
			setAttr(rec, a)
		}
	}
	if sawBase || err != nil && !IsCode(err, ResultSizeLimitExceeded) {
		return
	}
	if _, perr := ParseDN(base); perr != nil {
		return // e.g. AD's <SID=...> form: no entry to stand for
	}
	if _, ok := st.entries[baseKey]; !ok {
		rec := &Entry{DN: base}
		st.entries[baseKey] = rec
		st.order = append(st.order, rec)
	}
}

func setAttr(rec *Entry, a Attribute) {
	vals := make([][]byte, len(a.Values))
	for i, v := range a.Values {
		vals[i] = append([]byte{}, v...)
	}
	for i := range rec.Attributes {
		if strings.EqualFold(rec.Attributes[i].Name, a.Name) {
			rec.Attributes[i].Values = vals
			return
		}
	}
	rec.Attributes = append(rec.Attributes, Attribute{Name: a.Name, Values: vals})
}

// normal is the DN's Normal() form, or a lower-cased fallback for a DN that
// does not parse (never expected from a server).
func normal(dn string) string {
	if n, err := NormalizeDN(dn); err == nil {
		return n
	}
	return "unparsed:" + strings.ToLower(dn)
}

// Modify passes the modify on; it records nothing.
func (r *Recorder) Modify(ctx context.Context, dn string, mods []Mod, controls []Control) error {
	return r.c.Modify(ctx, dn, mods, controls)
}

// Server is the wrapped connection's server.
func (r *Recorder) Server() string { return r.c.Server() }

// Close closes the wrapped connection; the records stay.
func (r *Recorder) Close() error { return r.c.Close() }

// Records returns the recorded entries (copies) in first-seen order; a
// placeholder has no attributes.
func (r *Recorder) Records() []Entry {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	out := make([]Entry, len(r.st.order))
	for i, rec := range r.st.order {
		out[i] = Entry{DN: rec.DN}
		for _, a := range rec.Attributes {
			setAttr(&out[i], a)
		}
	}
	return out
}

// WriteLDIF writes the recorded entries as content LDIF (memdir.Load reads it).
func (r *Recorder) WriteLDIF(w io.Writer) error { return EncodeLDIF(w, r.Records()) }

// WriteLDIF writes what all the recorders kept as one content LDIF file,
// merged by DN as one Recorder merges (recorders in order, entries in
// first-seen order). Recorders made with Wrap or Dialer share a store;
// it is written once.
func WriteLDIF(w io.Writer, recs ...*Recorder) error {
	merged := &store{entries: map[string]*Entry{}}
	seen := map[*store]bool{}
	for _, r := range recs {
		if r == nil || seen[r.st] {
			continue
		}
		seen[r.st] = true
		for _, e := range r.Records() {
			key := normal(e.DN)
			m, ok := merged.entries[key]
			if !ok {
				m = &Entry{DN: e.DN}
				merged.entries[key] = m
				merged.order = append(merged.order, m)
			}
			for _, a := range e.Attributes {
				setAttr(m, a)
			}
		}
	}
	out := make([]Entry, len(merged.order))
	for i, e := range merged.order {
		out[i] = *e
	}
	return EncodeLDIF(w, out)
}

// requested reports whether attrs names attribute type a (with or without options).
func requested(attrs []string, a string) bool {
	for _, x := range attrs {
		if strings.EqualFold(attrType(x), a) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
