package detect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"entra8344/internal/ad"
	"entra8344/internal/adsync"
	"entra8344/internal/ntsd"
	"entra8344/internal/statefile"
)

// Baseline file: sealed (internal/statefile) under the approval key's state
// key, in the state directory.
const (
	BaselineFile    = "baseline.json"
	BaselineKind    = "baseline"
	BaselineVersion = "entra8344.baseline.v1"
)

// Baseline is what `entra8344 baseline` records: per AD connector, every
// explicit allow ACE in the forest's domain naming contexts whose trustee is
// the connector account or one of its groups (a superset of the domain
// root, the OUs and containers in sync scope and AdminSDHolder).
type Baseline struct {
	SchemaVersion string              `json:"schema_version"`
	RecordedAt    string              `json:"recorded_at"`
	Host          string              `json:"host"`
	Connectors    []BaselineConnector `json:"connectors"`
}

// BaselineConnector is one AD connector's record. Partitions is the sync
// scope as known today (the connector's domain partitions and whether each
// is selected); the inclusion/exclusion containers and the enabled
// writeback features are not collected yet (issue 17 §2), so
// WritebackFeatures is always empty and WritebackFeaturesCollected false.
type BaselineConnector struct {
	Connector                  string              `json:"connector"`
	Account                    string              `json:"account"`
	AccountSID                 string              `json:"account_sid"`
	Groups                     []string            `json:"groups"`
	Partitions                 []BaselinePartition `json:"partitions"`
	WritebackFeatures          []string            `json:"writeback_features"`
	WritebackFeaturesCollected bool                `json:"writeback_features_collected"`
	Scans                      []BaselineScan      `json:"scans"`
	ACEs                       []BaselineACE       `json:"aces"`
}

type BaselinePartition struct {
	DN       string `json:"dn"`
	Selected bool   `json:"selected"`
}

type BaselineScan struct {
	NC      string `json:"nc"`
	Server  string `json:"server"`
	Objects int    `json:"objects"`
}

// BaselineACE is one ACE, decoded (what the comparison and the restore
// decision use) and as SDDL (what a person reads).
type BaselineACE struct {
	DN                  string `json:"dn"`
	DomainNC            string `json:"domain_nc"`
	DomainSID           string `json:"domain_sid"`
	AdminSDHolder       bool   `json:"admin_sd_holder"`
	Trustee             string `json:"trustee"`
	Type                int    `json:"type"`
	Flags               int    `json:"flags"`
	Mask                uint32 `json:"mask"`
	ObjectFlags         uint32 `json:"object_flags"`
	ObjectType          string `json:"object_type"`
	InheritedObjectType string `json:"inherited_object_type"`
	SDDL                string `json:"sddl"`
}

// RecordBaseline builds a baseline from what detect read with ScanGrants.
// It refuses a partial one: a connector whose account was not found or a
// naming context that could not be read would later show as drift.
func RecordBaseline(now time.Time, host string, forests []*ForestFacts, conns []adsync.Connector) (*Baseline, error) {
	b := &Baseline{SchemaVersion: BaselineVersion, RecordedAt: now.UTC().Format(time.RFC3339), Host: host, Connectors: []BaselineConnector{}}
	for _, f := range forests {
		if f.Snapshot == nil {
			return nil, fmt.Errorf("connector %q: its directory could not be read (%s), so no baseline is recorded", f.Connector, f.Err)
		}
		a := connectorAccount(f)
		if a == nil {
			return nil, fmt.Errorf("connector %q: its account %s was not found in the directory, so no baseline is recorded", f.Connector, f.Account)
		}
		bc := BaselineConnector{Connector: f.Connector, Account: f.Account, AccountSID: a.SID.String(), Groups: []string{},
			Partitions: []BaselinePartition{}, WritebackFeatures: []string{}, Scans: []BaselineScan{}, ACEs: []BaselineACE{}}
		for _, g := range a.Groups {
			bc.Groups = append(bc.Groups, g.String())
		}
		for _, c := range conns {
			if c.Name == f.Connector {
				for _, p := range c.Partitions {
					bc.Partitions = append(bc.Partitions, BaselinePartition{DN: p.DN, Selected: p.Selected})
				}
			}
		}
		for _, sc := range f.Snapshot.GrantScans {
			if sc.Err != "" {
				return nil, fmt.Errorf("connector %q: %s; no baseline is recorded", f.Connector, sc.Err)
			}
			bc.Scans = append(bc.Scans, BaselineScan{NC: sc.NC, Server: sc.Server, Objects: sc.Objects})
		}
		bc.ACEs = grantACEs(f)
		b.Connectors = append(b.Connectors, bc)
	}
	if len(b.Connectors) == 0 {
		return nil, fmt.Errorf("no AD DS connector's directory was read, so there is nothing to record")
	}
	return b, nil
}

func connectorAccount(f *ForestFacts) *ad.Account {
	if f.Snapshot == nil {
		return nil
	}
	for _, a := range f.Snapshot.Accounts {
		if a.Ref.Connector == f.Connector && a.Found {
			return a
		}
	}
	return nil
}

// grantACEs are the connector's explicit grants as read, in a stable order.
func grantACEs(f *ForestFacts) []BaselineACE {
	out := []BaselineACE{}
	for _, g := range f.Snapshot.Grants {
		if g.Account.Connector != f.Connector {
			continue
		}
		var dom *ntsd.SID
		ba := BaselineACE{DN: g.DN, DomainNC: g.DomainNC, AdminSDHolder: g.AdminSD, Trustee: g.Trustee.String(),
			Type: int(g.ACE.Type), Flags: int(g.ACE.Flags), Mask: g.ACE.Mask, ObjectFlags: g.ACE.ObjectFlags}
		for _, d := range f.Snapshot.Domains {
			if strings.EqualFold(d.NC, g.DomainNC) && !d.SID.IsZero() {
				sid := d.SID
				dom, ba.DomainSID = &sid, d.SID.String()
			}
		}
		if g.ACE.IsObject() && g.ACE.ObjectFlags&ntsd.ObjectTypePresent != 0 {
			ba.ObjectType = g.ACE.ObjectType.String()
		}
		if g.ACE.IsObject() && g.ACE.ObjectFlags&ntsd.InheritedObjectTypePresent != 0 {
			ba.InheritedObjectType = g.ACE.InheritedObjectType.String()
		}
		ba.SDDL = g.ACE.SDDL(dom)
		out = append(out, ba)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].sortKey() < out[j].sortKey() })
	return out
}

func (a BaselineACE) sortKey() string {
	return normalKey(a.DN) + "|" + a.identity() + "|" + a.SDDL
}

// identity: two ACEs with the same identity on one object are the same
// grant (a change of its rights or flags is "changed", not removed+added).
func (a BaselineACE) identity() string {
	return strings.ToLower(a.Trustee + "|" + fmt.Sprint(a.Type) + "|" + a.ObjectType + "|" + a.InheritedObjectType)
}

func (a BaselineACE) same(b BaselineACE) bool {
	return a.Flags == b.Flags && a.Mask == b.Mask && a.ObjectFlags == b.ObjectFlags
}

// ACE rebuilds the decoded ACE (for its breadth and the restore decision).
func (a BaselineACE) ACE() (ntsd.ACE, error) {
	sid, err := ntsd.ParseSIDString(a.Trustee)
	if err != nil {
		return ntsd.ACE{}, fmt.Errorf("trustee %q: %w", a.Trustee, err)
	}
	if a.Type < 0 || a.Type > 255 || a.Flags < 0 || a.Flags > 255 {
		return ntsd.ACE{}, fmt.Errorf("ACE type %d / flags %d out of range", a.Type, a.Flags)
	}
	ace := ntsd.ACE{Type: byte(a.Type), Flags: byte(a.Flags), Mask: a.Mask, ObjectFlags: a.ObjectFlags, SID: sid}
	for _, g := range []struct {
		s   string
		dst *ntsd.GUID
	}{{a.ObjectType, &ace.ObjectType}, {a.InheritedObjectType, &ace.InheritedObjectType}} {
		if g.s == "" {
			continue
		}
		if *g.dst, err = ntsd.ParseGUID(g.s); err != nil {
			return ntsd.ACE{}, fmt.Errorf("object type %q: %w", g.s, err)
		}
	}
	return ace, nil
}

// Broad reports whether the ACE grants more than any writeback needs.
func (a BaselineACE) Broad() bool {
	ace, err := a.ACE()
	if err != nil {
		return true // an ACE that does not decode is never taken for narrow
	}
	for _, f := range ace.Breadth() {
		if f != ntsd.PasswordWritebackOnly {
			return true
		}
	}
	return false
}

// Drift is one difference between the baseline and the directory now.
type Drift struct {
	Kind      string // connector-ace-removed, -changed, -added-broad
	Connector string
	Account   string
	Was, Now  *BaselineACE
}

// Drift kinds (schema finding kinds).
const (
	DriftRemoved    = "connector-ace-removed"
	DriftChanged    = "connector-ace-changed"
	DriftAddedBroad = "connector-ace-added-broad"
)

// CompareBaseline lists the drift of now against base, per connector.
// Naming contexts read now but not in the baseline (or the reverse) are
// compared only where both read them: a failed read is not a removal.
// Added ACEs are drift only when broad: narrow additions are what
// entra8344 (or an admin following Microsoft's guidance) adds.
func CompareBaseline(base, now *Baseline) []Drift {
	var out []Drift
	for _, nc := range now.Connectors {
		var bc *BaselineConnector
		for i := range base.Connectors {
			if base.Connectors[i].Connector == nc.Connector {
				bc = &base.Connectors[i]
			}
		}
		if bc == nil {
			continue
		}
		both := map[string]bool{}
		for _, s := range bc.Scans {
			for _, t := range nc.Scans {
				if strings.EqualFold(s.NC, t.NC) {
					both[strings.ToLower(s.NC)] = true
				}
			}
		}
		out = append(out, compareACEs(nc.Connector, nc.Account, bc.ACEs, nc.ACEs, both)...)
	}
	return out
}

func compareACEs(connector, account string, was, now []BaselineACE, ncs map[string]bool) []Drift {
	group := func(l []BaselineACE) (map[string][]BaselineACE, []string) {
		m, keys := map[string][]BaselineACE{}, []string{}
		for _, a := range l {
			if !ncs[strings.ToLower(a.DomainNC)] {
				continue
			}
			k := normalKey(a.DN) + "|" + a.identity()
			if _, ok := m[k]; !ok {
				keys = append(keys, k)
			}
			m[k] = append(m[k], a)
		}
		return m, keys
	}
	wm, wkeys := group(was)
	nm, nkeys := group(now)
	for _, k := range nkeys {
		if _, ok := wm[k]; !ok {
			wkeys = append(wkeys, k)
		}
	}
	sort.Strings(wkeys)
	var out []Drift
	for _, k := range wkeys {
		w, n := unmatched(wm[k], nm[k])
		for i := 0; i < len(w) || i < len(n); i++ {
			d := Drift{Connector: connector, Account: account}
			switch {
			case i < len(w) && i < len(n):
				d.Kind, d.Was, d.Now = DriftChanged, &w[i], &n[i]
			case i < len(w):
				d.Kind, d.Was = DriftRemoved, &w[i]
			case n[i].Broad():
				d.Kind, d.Now = DriftAddedBroad, &n[i]
			default:
				continue
			}
			out = append(out, d)
		}
	}
	return out
}

// unmatched drops the pairs that are the same ACE on both sides.
func unmatched(was, now []BaselineACE) ([]BaselineACE, []BaselineACE) {
	used := make([]bool, len(now))
	var w []BaselineACE
	for _, a := range was {
		found := false
		for j, b := range now {
			if !used[j] && a.same(b) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			w = append(w, a)
		}
	}
	var n []BaselineACE
	for j, b := range now {
		if !used[j] {
			n = append(n, b)
		}
	}
	return w, n
}

// LoadBaseline reads the sealed baseline at path under stateKey
// (statefile.Key of the approval key); a missing file is (nil, nil).
func LoadBaseline(path string, stateKey []byte) (*Baseline, error) {
	var b Baseline
	if err := statefile.Read(path, stateKey, BaselineKind, &b); err != nil {
		if statefile.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("the baseline %w; it is ignored: record a new one with entra8344 baseline --replace", err)
	}
	if b.SchemaVersion != BaselineVersion {
		return nil, fmt.Errorf("the baseline %s is version %q, not %q; record a new one with entra8344 baseline --replace", path, b.SchemaVersion, BaselineVersion)
	}
	return &b, nil
}
