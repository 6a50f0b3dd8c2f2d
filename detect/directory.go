package detect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"entra8344/internal/ad"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/winhost"
	"entra8344/schema"
)

// directory reads AD for every AD connector, diagnoses the permission-8344
// objects and builds the plan. Without a dialer (a replay with no directory
// snapshot, or --no-directory) it says why it did not.
func (r *run) directory(ctx context.Context, facts winhost.Facts, st *adsync.State, agg *aggregator) {
	t := time.Now()
	defer func() { r.v.Collection.Timings.Directory = time.Since(t).Milliseconds() }()
	dir := &r.v.Directory
	if r.env.Directory == nil {
		dir.Reason = r.env.NoDirectoryReason
		if dir.Reason == "" {
			dir.Reason = "no directory access was configured for this run"
		}
		return
	}
	var forests []*ForestFacts
	ops := 0
	for i, c := range st.Connectors {
		if c.Kind != adsync.KindAD {
			continue
		}
		f := &ForestFacts{Connector: c.Name, Account: accountName(c), Failing: agg.failing[i]}
		forests = append(forests, f)
		host, expect, err := forestOf(c, facts, r.dcPath)
		if err != nil {
			f.Err = err.Error()
			r.warn("directory-forest-unknown", err.Error(), c.Name)
			continue
		}
		req := ad.Request{
			Host:      host,
			ExpectNCs: expect,
			Confine:   r.dcPath,
			Accounts:  []ad.AccountRef{{Connector: c.Name, Domain: c.LoginDomain, User: c.LoginUser}},
			// The grants are read for a baseline and to compare with one:
			// one paged subtree search per domain naming context.
			ScanGrants: r.recording || r.env.Baseline != nil,
		}
		attrs := map[string]bool{}
		for _, fo := range f.Failing {
			req.Objects = append(req.Objects, fo.DN)
			for _, a := range fo.Attributes {
				if !attrs[strings.ToLower(a)] {
					attrs[strings.ToLower(a)] = true
					req.Attributes = append(req.Attributes, a)
				}
			}
		}
		dialer, err := r.env.Directory.Dialer(c.Name)
		if err != nil {
			f.Err = err.Error()
			r.warn("directory-unreadable", fmt.Sprintf("the directory of connector %q could not be read, so its errors are not diagnosed: %v", c.Name, err), c.Name)
			continue
		}
		counter := &countingDialer{inner: dialer}
		rctx, cancel := context.WithTimeout(ctx, r.o.DirectoryTimeout)
		snap, err := ad.Read(rctx, counter, req)
		cancel()
		ops += counter.ops()
		if err != nil {
			f.Err = err.Error()
			code := "directory-unreadable"
			var fe *ad.ForestError
			if errors.As(err, &fe) {
				code = "directory-" + fe.Code
			}
			r.warn(code, fmt.Sprintf("the directory of connector %q could not be read, so its errors are not diagnosed: %v", c.Name, err), c.Name)
			continue
		}
		f.Snapshot = snap
		for _, w := range snap.Warnings {
			r.warn(w.Code, w.Message, w.Object)
		}
	}
	dir.LDAPOperations = ops
	r.forests = forests
	if r.env.BaselineErr != nil {
		r.warn("baseline-unreadable", r.env.BaselineErr.Error(), BaselineFile)
	}
	read := 0
	for _, f := range forests {
		if f.Snapshot != nil {
			read++
		}
	}
	if read == 0 {
		dir.Reason = "the directory could not be read (see warnings)"
		if len(forests) == 0 {
			dir.Reason = "no AD DS connector is configured"
		}
		return
	}
	if agg.dropped > 0 {
		r.warn("directory-objects-capped", fmt.Sprintf("%d permission-8344 objects beyond the first %d were not evaluated against the directory", agg.dropped, maxFailing), "")
	}
	diags, kinds := Diagnose(forests)
	role := HostRole{IsDC: r.v.Host.IsDC, IsPDC: r.v.Host.IsPDCEmulator, Domain: r.v.Host.DNSDomain}
	if r.v.Host.Computer != "" && r.v.Host.DNSDomain != "" {
		role.FQDN = strings.ToLower(r.v.Host.Computer + "." + r.v.Host.DNSDomain)
	}
	plan := BuildPlan(diags, role)
	dir.Cleanup = BuildCleanup(diags, role)
	dir.Performed = true
	dir.Reason = fmt.Sprintf("read %d of %d AD DS connectors' directories", read, len(forests))
	fillDirectory(dir, forests, diags, plan)
	r.drift(forests, role)
	for i := range r.v.Findings {
		f := &r.v.Findings[i]
		for j := range f.Objects {
			f.Objects[j].Diagnoses = append([]schema.DiagnosisKind{}, kinds[f.Connector][normalKey(f.Objects[j].DN)]...)
		}
	}
	for _, g := range diags {
		if g.d.Kind == schema.DiagStaleConnectorACE {
			r.warn("stale-connector-ace", g.d.Explanation, g.d.Domain)
		}
	}
}

// forestOf says which forest a connector's directory is read from, from
// the sync engine's own configuration: its domain partitions (DNs). The
// connector's name is a label anyone with the Synchronization Service
// Manager can change, so it is never dialled. The host's own domain is read
// from the locator's DC (or, on a DC, from itself: SYSTEM there has full
// access); another forest by the DNS name of its top-most configured
// domain partition. The read must then confirm (ad.Request.ExpectNCs) that
// the forest reached has those partitions. On the DC path (planned) there
// is no sync engine: the DC reads only its own forest, confined to it.
func forestOf(c adsync.Connector, facts winhost.Facts, planned bool) (host string, expect []string, err error) {
	own := ""
	if facts.IsDC != nil && *facts.IsDC && facts.ComputerName != "" && facts.DNSDomain != "" {
		own = strings.ToLower(facts.ComputerName + "." + facts.DNSDomain)
	}
	if planned {
		return own, nil, nil
	}
	best, bestLen := "", 0
	for _, p := range c.Partitions {
		dn, err := ldap.ParseDN(p.DN)
		if err != nil || len(dn) == 0 || !onlyDC(dn) {
			continue
		}
		expect = append(expect, p.DN)
		name := ldap.DNSNameOfDN(p.DN)
		if strings.EqualFold(name, facts.DNSDomain) {
			best, bestLen = own, -1
		}
		if bestLen >= 0 && (best == "" || len(dn) < bestLen) {
			best, bestLen = name, len(dn)
		}
	}
	if len(expect) == 0 {
		return "", nil, fmt.Errorf("the sync engine's configuration of connector %q names no domain partition, so its forest is not known and it is not read: check the connector's partitions in the Synchronization Service Manager", c.Name)
	}
	return best, expect, nil
}

// onlyDC: a domain naming context is made of DC= components only.
func onlyDC(dn ldap.DN) bool {
	for _, rdn := range dn {
		for _, av := range rdn {
			if !strings.EqualFold(av.Type, "DC") {
				return false
			}
		}
	}
	return true
}

func fillDirectory(dir *schema.Directory, forests []*ForestFacts, diags []*diagnosis, plan schema.Plan) {
	attrSeen := map[string]bool{}
	for _, f := range forests {
		if f.Snapshot == nil {
			continue
		}
		s := f.Snapshot
		for _, d := range s.Domains {
			dir.Domains = append(dir.Domains, domainOf(s, d))
		}
		for _, a := range s.Accounts {
			ca := schema.ConnectorAccount{Connector: a.Ref.Connector, Account: a.Ref.Domain + `\` + a.Ref.User, Found: a.Found,
				DN: a.DN, Description: a.Description, Groups: []string{}, Error: a.Err}
			if a.Found {
				ca.SID = a.SID.String()
			}
			for _, g := range a.Groups {
				ca.Groups = append(ca.Groups, g.String())
			}
			dir.ConnectorAccounts = append(dir.ConnectorAccounts, ca)
		}
		names := make([]string, 0, len(s.Attributes))
		for k := range s.Attributes {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			a := s.Attributes[k]
			if attrSeen[k] {
				continue
			}
			attrSeen[k] = true
			ai := schema.AttributeInfo{Name: a.Name, Found: a.Found, Feature: ad.FeatureOf(a.Name).Name, Allowlisted: ad.Allowlisted(a.Name)}
			if a.Found {
				ai.SchemaIDGUID = a.SchemaIDGUID.String()
				if !a.PropertySet.IsZero() {
					ps := a.PropertySet.String()
					ai.PropertySet = &ps
				}
			}
			dir.Attributes = append(dir.Attributes, ai)
		}
	}
	for _, g := range diags {
		dir.Diagnoses = append(dir.Diagnoses, g.d)
	}
	dir.Plan = plan
}

func domainOf(s *ad.Snapshot, d *ad.Domain) schema.Domain {
	out := schema.Domain{DNSName: d.DNSName, NC: d.NC, ReadFrom: d.Server, PDCEmulator: d.PDCEmulator, Error: d.Err}
	if !d.SID.IsZero() {
		out.SID = d.SID.String()
	}
	if s.AdminSDExMask != 0 {
		out.AdminSDExMask = fmt.Sprintf("%x", s.AdminSDExMask)
	}
	if h := d.AdminSDHolder; h != nil {
		a := &schema.AdminSDHolder{DN: h.DN, SDRightsEffective: h.SDRightsEffective, WritableHere: writable(d), USNChanged: h.USNChanged}
		if h.SD != nil {
			a.SDDL = h.SD.SDDL(&d.SID)
			a.Protected = h.SD.DACLProtected()
		}
		out.AdminSDHolder = a
	}
	return out
}

// countingDialer counts the LDAP operations of every connection it opens.
type countingDialer struct {
	inner ldap.Dialer
	n     int
}

func (d *countingDialer) ops() int { return d.n }

func (d *countingDialer) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	c, err := d.inner.Dial(ctx, host)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &d.n}, nil
}

type countingConn struct {
	ldap.Conn
	n *int
}

func (c *countingConn) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	*c.n++
	return c.Conn.Search(ctx, req)
}

func (c *countingConn) Modify(ctx context.Context, dn string, mods []ldap.Mod, ctrls []ldap.Control) error {
	*c.n++
	return c.Conn.Modify(ctx, dn, mods, ctrls)
}
