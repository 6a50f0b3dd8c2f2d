// Package memdir is an in-memory directory loaded from content LDIF. It
// implements ldap.Conn and ldap.Dialer and answers searches and modifies as
// Active Directory would for what entra8344 asks (see Search and Modify);
// it backs detect --replay and the golden tests.
//
// What memdir does not simulate: access checks, schema checks, ACL
// inheritance, the protection task (SDProp). Tests add Windows behaviour
// where they need it through the RootDSEModify, AfterSDWrite and Fail hooks.
package memdir

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/ldif"
)

// Dir is the directory. Set the hooks before first use; every method is
// safe for concurrent use.
type Dir struct {
	// RootDSEModify, when set, handles a modify of the rootDSE (DN ""),
	// e.g. runProtectAdminGroupsTask; when nil the modify fails as on Samba:
	// 53 unwillingToPerform "00002035: rootdse_modify: unknown attribute to change!".
	RootDSEModify func(mods []ldap.Mod) error
	// RootDSEModifyAt, when set, is RootDSEModify told which server (the
	// host dialled) the modify was sent to.
	RootDSEModifyAt func(server string, mods []ldap.Mod) error
	// Fail, when set, is consulted before each operation ("search" with the
	// base DN, "modify" with the DN, "dial" with the host); a non-nil
	// result is returned as the operation's error.
	Fail func(op string, dn string) error
	// AfterSDWrite, when set, is called after a modify changed an entry's
	// nTSecurityDescriptor, with the whole descriptor before and after
	// (e.g. to simulate inheritance propagation); its error is the
	// modify's, though the modify itself stays applied.
	AfterSDWrite func(dn string, before, after []byte) error

	mu      sync.Mutex
	entries map[string]*entry // by DN.Normal()
	order   []*entry          // load order, then creation order
	mods    []Modification
	ops     int
}

type entry struct {
	dn    string   // as loaded
	key   string   // DN.Normal()
	rdns  []string // Normal() of each RDN, most specific first
	attrs []ldap.Attribute
}

// rdnKeys is the Normal() form of each RDN of dn.
func rdnKeys(dn ldap.DN) []string {
	out := make([]string, len(dn))
	for i, r := range dn {
		out[i] = ldap.DN{r}.Normal()
	}
	return out
}

// under reports whether keys names base or an entry below it, or with
// oneLevel an entry exactly one level below.
func under(keys, base []string, oneLevel bool) bool {
	off := len(keys) - len(base)
	if off < 0 || oneLevel && off != 1 {
		return false
	}
	for i, k := range base {
		if keys[off+i] != k {
			return false
		}
	}
	return true
}

// Modification is one successful Modify call.
type Modification struct {
	DN       string
	Mods     []ldap.Mod
	Controls []ldap.Control
}

var _ ldap.Conn = (*Dir)(nil)
var _ ldap.Dialer = (*Dir)(nil)

// Load reads a directory from content LDIF.
func Load(r io.Reader) (*Dir, error) {
	recs, err := ldif.Read(r)
	if err != nil {
		return nil, fmt.Errorf("memdir: %w", err)
	}
	return FromRecords(recs)
}

// LoadFS loads the LDIF file name from fsys.
func LoadFS(fsys fs.FS, name string) (*Dir, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("memdir: %w", err)
	}
	defer f.Close()
	d, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, name)
	}
	return d, nil
}

// FromRecords builds a directory from records (copied). A record without
// attributes (other than the rootDSE) is a placeholder: it exists, so
// searches based on it work, but matches no filter.
func FromRecords(recs []ldif.Record) (*Dir, error) {
	d := &Dir{entries: make(map[string]*entry)}
	for i, rec := range recs {
		dn, err := ldap.ParseDN(rec.DN)
		if err != nil {
			return nil, fmt.Errorf("memdir: record %d: %w", i+1, err)
		}
		key := dn.Normal()
		if prev, ok := d.entries[key]; ok {
			return nil, fmt.Errorf("memdir: record %d: duplicate entry %q (same as %q)", i+1, rec.DN, prev.dn)
		}
		e := &entry{dn: rec.DN, key: key, rdns: rdnKeys(dn)}
		for _, a := range rec.Attributes {
			e.addValues(a.Name, a.Values)
		}
		d.entries[key] = e
		d.order = append(d.order, e)
	}
	return d, nil
}

func (e *entry) find(name string) int {
	for i, a := range e.attrs {
		if strings.EqualFold(a.Name, name) {
			return i
		}
	}
	return -1
}

func (e *entry) values(name string) [][]byte {
	if i := e.find(name); i >= 0 {
		return e.attrs[i].Values
	}
	return nil
}

func (e *entry) addValues(name string, vals [][]byte) {
	if len(vals) == 0 {
		return
	}
	i := e.find(name)
	if i < 0 {
		e.attrs = append(e.attrs, ldap.Attribute{Name: name})
		i = len(e.attrs) - 1
	}
	e.attrs[i].Values = append(e.attrs[i].Values, copyValues(vals)...)
}

// placeholder: an entry without attributes (not the rootDSE, which a base
// search always finds).
func (e *entry) placeholder() bool { return len(e.attrs) == 0 && e.key != "" }

func copyValues(vals [][]byte) [][]byte {
	if vals == nil {
		return nil
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = append([]byte{}, v...)
	}
	return out
}

func copyAttrs(attrs []ldap.Attribute) []ldap.Attribute {
	out := make([]ldap.Attribute, len(attrs))
	for i, a := range attrs {
		out[i] = ldap.Attribute{Name: a.Name, Values: copyValues(a.Values)}
	}
	return out
}

func copyMods(mods []ldap.Mod) []ldap.Mod {
	out := make([]ldap.Mod, len(mods))
	for i, m := range mods {
		out[i] = ldap.Mod{Op: m.Op, Attr: m.Attr, Values: copyValues(m.Values)}
	}
	return out
}

func copyControls(cs []ldap.Control) []ldap.Control {
	if cs == nil {
		return nil
	}
	out := make([]ldap.Control, len(cs))
	for i, c := range cs {
		out[i] = ldap.Control{OID: c.OID, Critical: c.Critical, Value: append([]byte(nil), c.Value...)}
	}
	return out
}

// Records returns the current state, in load order (entries are never
// removed).
func (d *Dir) Records() []ldif.Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]ldif.Record, len(d.order))
	for i, e := range d.order {
		out[i] = ldif.Record{DN: e.dn, Attributes: copyAttrs(e.attrs)}
	}
	return out
}

// WriteLDIF writes the current state as content LDIF.
func (d *Dir) WriteLDIF(w io.Writer) error { return ldif.Write(w, d.Records()) }

// LDIF returns the current state as content LDIF (for before/after comparisons).
func (d *Dir) LDIF() string {
	var b bytes.Buffer
	if err := d.WriteLDIF(&b); err != nil {
		return "error: " + err.Error()
	}
	return b.String()
}

// Modifications returns every successful Modify so far, in order.
func (d *Dir) Modifications() []Modification {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Modification, len(d.mods))
	for i, m := range d.mods {
		out[i] = Modification{DN: m.DN, Mods: copyMods(m.Mods), Controls: copyControls(m.Controls)}
	}
	return out
}

// Ops counts Search and Modify calls (failed ones too), on the Dir and on
// every connection dialled from it.
func (d *Dir) Ops() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ops
}

// Server is the rootDSE's dnsHostName, or "memdir".
func (d *Dir) Server() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if root, ok := d.entries[""]; ok {
		if v := root.values("dnsHostName"); len(v) > 0 && len(v[0]) > 0 {
			return string(v[0])
		}
	}
	return "memdir"
}

// Close does nothing; the Dir stays usable.
func (d *Dir) Close() error { return nil }

// Search runs req against the directory (see search.go).
func (d *Dir) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	return d.search(ctx, req, d.Server())
}

// Modify applies mods to dn (see modify.go).
func (d *Dir) Modify(ctx context.Context, dn string, mods []ldap.Mod, controls []ldap.Control) error {
	return d.modify(ctx, dn, mods, controls, d.Server())
}

// Dial returns a connection to the same data whose Server() is host, or
// the rootDSE's dnsHostName when host is "".
func (d *Dir) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &ldap.Error{Op: "connect", Server: host, Code: ldap.ResultServerDown, Message: err.Error()}
	}
	if d.Fail != nil {
		if err := d.Fail("dial", host); err != nil {
			return nil, err
		}
	}
	if host == "" {
		host = d.Server()
	}
	return &conn{d: d, server: host}, nil
}

// conn is a dialled connection; it fails with serverDown once closed.
type conn struct {
	d      *Dir
	server string
	mu     sync.Mutex
	closed bool
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *conn) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	if c.isClosed() {
		return nil, &ldap.Error{Op: "search", DN: req.BaseDN, Server: c.server, Code: ldap.ResultServerDown, Message: "connection closed"}
	}
	return c.d.search(ctx, req, c.server)
}

func (c *conn) Modify(ctx context.Context, dn string, mods []ldap.Mod, controls []ldap.Control) error {
	if c.isClosed() {
		return &ldap.Error{Op: "modify", DN: dn, Server: c.server, Code: ldap.ResultServerDown, Message: "connection closed"}
	}
	return c.d.modify(ctx, dn, mods, controls, c.server)
}

func (c *conn) Server() string { return c.server }

func (c *conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}
