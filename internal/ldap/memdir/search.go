package memdir

import (
	"context"
	"fmt"
	"strings"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/filter"
)

// Matching rules memdir evaluates in extensible filters.
const (
	RuleBitAnd  = "1.2.840.113556.1.4.803"  // LDAP_MATCHING_RULE_BIT_AND
	RuleBitOr   = "1.2.840.113556.1.4.804"  // LDAP_MATCHING_RULE_BIT_OR
	RuleInChain = "1.2.840.113556.1.4.1941" // LDAP_MATCHING_RULE_IN_CHAIN
)

// knownControls are accepted; other critical controls fail with 12
// unavailableCriticalExtension, other non-critical ones are ignored.
var knownControls = map[string]bool{
	ldap.OIDSDFlags:           true,
	"1.2.840.113556.1.4.319":  true, // paged results (memdir returns one page)
	"1.2.840.113556.1.4.1339": true, // domain scope
	"1.2.840.113556.1.4.1413": true, // permissive modify
	"1.2.840.113556.1.4.417":  true, // show deleted (memdir holds no deleted objects)
	"1.2.840.113556.1.4.619":  true, // lazy commit
}

const oidPermissiveModify = "1.2.840.113556.1.4.1413"

var canonicalTokenGroups = map[string]string{
	"tokengroups":                   "tokenGroups",
	"tokengroupsglobalanduniversal": "tokenGroupsGlobalAndUniversal",
	"tokengroupsnogcacceptable":     "tokenGroupsNoGCAcceptable",
}

// search runs one search as AD would: the base object must exist (else 32
// noSuchObject), the filter is RFC 4515 (else 87 filterError), tokenGroups*
// only on a BASE search (else, as Samba 4.17 without paging, 1
// operationsError once an entry matches; success when none does), constructed
// attributes and nTSecurityDescriptor only when named (the SD also with "*"
// when the SD flags control is sent; it then carries only the parts asked
// for). Entries come back in load order; a SizeLimit overrun returns the
// first SizeLimit entries and 4 sizeLimitExceeded. Subtree and one-level
// searches never return the rootDSE, nor entries of another naming context
// (as the rootDSE lists them) than the base's.
func (d *Dir) search(ctx context.Context, req *ldap.SearchRequest, server string) ([]*ldap.Entry, error) {
	d.mu.Lock()
	d.ops++
	d.mu.Unlock()
	if req == nil {
		return nil, &ldap.Error{Op: "search", Server: server, Code: ldap.ResultProtocolError, Message: "nil search request"}
	}
	fail := func(code int, format string, args ...any) error {
		return &ldap.Error{Op: "search", DN: req.BaseDN, Server: server, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(ldap.ResultTimeout, "%v", err)
	}
	if d.Fail != nil {
		if err := d.Fail("search", req.BaseDN); err != nil {
			return nil, err
		}
	}
	base, err := ldap.ParseDN(req.BaseDN)
	if err != nil {
		return nil, fail(ldap.ResultInvalidDNSyntax, "0000208F: NameErr: DSID-memdir, problem 2006 (BAD_NAME), data 8350: %v", err)
	}
	fs := req.Filter
	if strings.TrimSpace(fs) == "" {
		fs = "(objectClass=*)"
	}
	flt, err := filter.Parse(fs)
	if err != nil {
		return nil, fail(ldap.ResultFilterError, "%v", err)
	}
	if err := checkRules(flt); err != nil {
		return nil, fail(ldap.ResultFilterError, "%v", err)
	}
	if err := checkControls(req.Controls); err != nil {
		return nil, fail(ldap.ResultUnavailableCritical, "%v", err)
	}
	flags, sdCtl, err := sdFlags(req.Controls)
	if err != nil {
		return nil, fail(ldap.ResultProtocolError, "%v", err)
	}
	if req.Scope != ldap.ScopeBase && req.Scope != ldap.ScopeOneLevel && req.Scope != ldap.ScopeSubtree {
		return nil, fail(ldap.ResultProtocolError, "invalid search scope %d", int(req.Scope))
	}
	baseOnly := ""
	if req.Scope != ldap.ScopeBase {
		for _, a := range req.Attributes {
			if ldap.IsBaseOnly(a) {
				baseOnly = canonicalTokenGroups[strings.ToLower(a)]
				break
			}
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	baseKey := base.Normal()
	if _, ok := d.entries[baseKey]; !ok {
		return nil, fail(ldap.ResultNoSuchObject, "0000208D: NameErr: DSID-memdir, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'%s'\n", d.bestMatch(base))
	}
	m := d.newMatcher()
	ncs := d.namingContexts()
	baseKeys := rdnKeys(base)
	baseNC := ncOf(ncs, baseKeys)
	var out []*ldap.Entry
	for _, e := range d.order {
		switch req.Scope {
		case ldap.ScopeBase:
			if e.key != baseKey {
				continue
			}
		case ldap.ScopeOneLevel:
			if e.key == "" || !under(e.rdns, baseKeys, true) {
				continue
			}
		case ldap.ScopeSubtree:
			if e.key == "" || !under(e.rdns, baseKeys, false) {
				continue
			}
		}
		if req.Scope != ldap.ScopeBase && ncOf(ncs, e.rdns) != baseNC {
			continue // in another naming context: AD sends a referral, not the entries
		}
		if e.placeholder() || !m.match(e, flt) {
			continue
		}
		if baseOnly != "" {
			// Samba fails on the first entry it would have to compute it for.
			return nil, fail(ldap.ResultOperationsError, "00002020: operational_search_post_process failed for attribute '%s' - Cannot provide tokenGroups attribute, this is not a BASE search", baseOnly)
		}
		if req.SizeLimit > 0 && len(out) == req.SizeLimit {
			return out, fail(ldap.ResultSizeLimitExceeded, "Size Limit Exceeded")
		}
		out = append(out, &ldap.Entry{DN: e.dn, Attributes: selectAttrs(e, req.Attributes, sdCtl, flags)})
	}
	return out, nil
}

// namingContexts are the NC heads the rootDSE names (namingContexts and
// the *NamingContext attributes).
func (d *Dir) namingContexts() [][]string {
	root, ok := d.entries[""]
	if !ok {
		return nil
	}
	var out [][]string
	seen := map[string]bool{}
	for _, a := range []string{"namingContexts", "defaultNamingContext", "configurationNamingContext", "schemaNamingContext", "rootDomainNamingContext"} {
		for _, v := range root.values(a) {
			dn, err := ldap.ParseDN(string(v))
			if err != nil || len(dn) == 0 || seen[dn.Normal()] {
				continue
			}
			seen[dn.Normal()] = true
			out = append(out, rdnKeys(dn))
		}
	}
	return out
}

// ncOf is the index of the innermost naming context holding dn, -1 for none.
func ncOf(ncs [][]string, keys []string) int {
	best := -1
	for i, nc := range ncs {
		if under(keys, nc, false) && (best < 0 || len(nc) > len(ncs[best])) {
			best = i
		}
	}
	return best
}

// bestMatch is the DN of the nearest existing ancestor (AD's matchedDN).
func (d *Dir) bestMatch(dn ldap.DN) string {
	for p := dn.Parent(); len(p) > 0; p = p.Parent() {
		if e, ok := d.entries[p.Normal()]; ok {
			return e.dn
		}
	}
	return ""
}

func checkControls(cs []ldap.Control) error {
	for _, c := range cs {
		if c.Critical && !knownControls[c.OID] {
			return fmt.Errorf("memdir does not support the critical control %s", c.OID)
		}
	}
	return nil
}

func checkRules(f *filter.Filter) error {
	if f.Op == filter.Extensible {
		if f.DNAttrs {
			return fmt.Errorf("memdir does not support :dn: in extensible filters (%s)", f)
		}
		switch f.Rule {
		case "", RuleBitAnd, RuleBitOr, RuleInChain:
		default:
			return fmt.Errorf("memdir does not support the matching rule %q", f.Rule)
		}
		if f.Attr == "" {
			return fmt.Errorf("memdir needs an attribute in extensible filters (%s)", f)
		}
	}
	for _, c := range f.Children {
		if err := checkRules(c); err != nil {
			return err
		}
	}
	return nil
}

// selectAttrs picks the attributes a search returns: all stored ones for
// an empty list or "*" (except constructed ones, and nTSecurityDescriptor
// unless the SD flags control was sent), plus every one named; "1.1" alone
// means none. A named attribute without options also selects its optioned
// forms ("member" -> "member;range=0-1499"). distinguishedName is made up
// from the entry's DN when named but not stored.
func selectAttrs(e *entry, names []string, sdCtl bool, flags byte) []ldap.Attribute {
	all := len(names) == 0
	for _, n := range names {
		if n == "*" {
			all = true
		}
	}
	root := e.key == ""
	var out []ldap.Attribute
	for _, a := range e.attrs {
		named := false
		for _, n := range names {
			if strings.EqualFold(n, a.Name) || !strings.Contains(n, ";") && strings.EqualFold(n, baseName(a.Name)) {
				named = true
				break
			}
		}
		isSD := strings.EqualFold(baseName(a.Name), "nTSecurityDescriptor")
		auto := all && !(isSD && !sdCtl)
		if auto && ldap.IsConstructed(a.Name) && (!root || ldap.IsBaseOnly(a.Name)) {
			auto = false
		}
		if !named && !auto {
			continue
		}
		vals := copyValues(a.Values)
		if isSD && sdCtl {
			for i, v := range vals {
				vals[i] = selectSD(v, flags)
			}
		}
		out = append(out, ldap.Attribute{Name: a.Name, Values: vals})
	}
	for _, n := range names {
		if strings.EqualFold(n, "distinguishedName") && e.find("distinguishedName") < 0 {
			out = append(out, ldap.Attribute{Name: "distinguishedName", Values: [][]byte{[]byte(e.dn)}})
			break
		}
	}
	return out
}
