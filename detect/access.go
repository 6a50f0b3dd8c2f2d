package detect

import (
	"context"
	"fmt"
	"strings"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// This file is the one access model remediate asks: whether the connector
// account can write an attribute is decided here, by the same diagnosis
// (classifyOne and ntsd.CheckWriteProperty with the account's tokenGroups
// and the attribute's property set) that detect uses, never by comparing
// an ACE's SID with the account's own.

// RecheckObject is one planned object and the attribute that failed on it.
type RecheckObject struct {
	DN, Attribute string
}

// RecheckRequest asks for the diagnosis of planned objects, read afresh on
// Server (the DC where the protection task runs).
type RecheckRequest struct {
	Connector string
	Account   string // DOMAIN\user, as the verdict names it
	Server    string
	Objects   []RecheckObject
	// Confine: the DC path, which reads only its own forest.
	Confine bool
}

// Recheck re-reads the objects and the connector account from the
// directory and diagnoses each again, as detect does; an object is fixed
// when its kind is access-granted-now. The map is keyed by RecheckKey.
func Recheck(ctx context.Context, src DirectorySource, req RecheckRequest) (map[string]schema.DiagnosisKind, error) {
	if src == nil {
		return nil, fmt.Errorf("no directory access to re-check the objects of connector %q", req.Connector)
	}
	dom, user, ok := strings.Cut(req.Account, `\`)
	if !ok || dom == "" || user == "" {
		return nil, fmt.Errorf("connector %q: account %q is not DOMAIN\\user", req.Connector, req.Account)
	}
	dialer, err := src.Dialer(req.Connector)
	if err != nil {
		return nil, err
	}
	r := ad.Request{Host: req.Server, Confine: req.Confine,
		Accounts: []ad.AccountRef{{Connector: req.Connector, Domain: dom, User: user}}}
	seen := map[string]bool{}
	for _, o := range req.Objects {
		r.Objects = append(r.Objects, o.DN)
		if k := strings.ToLower(o.Attribute); !seen[k] {
			seen[k] = true
			r.Attributes = append(r.Attributes, o.Attribute)
		}
	}
	snap, err := ad.Read(ctx, dialer, r)
	if err != nil {
		return nil, err
	}
	f := &ForestFacts{Connector: req.Connector, Account: req.Account, Snapshot: snap}
	acct := accountOf(f)
	out := map[string]schema.DiagnosisKind{}
	for _, o := range req.Objects {
		_, kind, _ := classifyOne(snap, acct, snap.Objects[normalKey(o.DN)], o.DN, o.Attribute)
		out[RecheckKey(o.DN, o.Attribute)] = kind
	}
	return out, nil
}

// RecheckKey is the key of one object and attribute in Recheck's answer.
func RecheckKey(dn, attribute string) string {
	return normalKey(dn) + "|" + strings.ToLower(attribute)
}

// HolderGrants evaluates, with the access model of the verdict's diagnosis
// (the connector account, its tokenGroups, Everyone and Authenticated
// Users; the attribute and its property set), whether AdminSDHolder's
// descriptor sd already lets the connector account write the attribute.
func HolderGrants(v *schema.Verdict, connector, attribute string, sd *ntsd.SecurityDescriptor) (ntsd.Decision, error) {
	q, err := verdictCheck(v, connector, attribute)
	if err != nil {
		return ntsd.Decision{ACE: -1}, err
	}
	return ntsd.CheckWriteProperty(sd, q), nil
}

// verdictCheck rebuilds the access question of a diagnosis from the
// verdict's resolved account and attribute.
func verdictCheck(v *schema.Verdict, connector, attribute string) (ntsd.WriteCheck, error) {
	var q ntsd.WriteCheck
	var acct *schema.ConnectorAccount
	for i := range v.Directory.ConnectorAccounts {
		if a := &v.Directory.ConnectorAccounts[i]; a.Connector == connector && a.Found {
			acct = a
		}
	}
	if acct == nil {
		return q, fmt.Errorf("the verdict has no resolved account for connector %q", connector)
	}
	sid, err := ntsd.ParseSIDString(acct.SID)
	if err != nil {
		return q, fmt.Errorf("connector %q: account SID %q: %w", connector, acct.SID, err)
	}
	a := &ad.Account{Found: true, SID: sid}
	for _, g := range acct.Groups {
		gs, err := ntsd.ParseSIDString(g)
		if err != nil {
			return q, fmt.Errorf("connector %q: group SID %q: %w", connector, g, err)
		}
		a.Groups = append(a.Groups, gs)
	}
	q.SIDs = a.SIDs()
	for _, at := range v.Directory.Attributes {
		if !strings.EqualFold(at.Name, attribute) || !at.Found {
			continue
		}
		if q.Attribute, err = ntsd.ParseGUID(at.SchemaIDGUID); err != nil {
			return q, fmt.Errorf("attribute %s: schemaIDGUID %q: %w", attribute, at.SchemaIDGUID, err)
		}
		if at.PropertySet != nil {
			if q.PropertySet, err = ntsd.ParseGUID(*at.PropertySet); err != nil {
				return q, fmt.Errorf("attribute %s: property set %q: %w", attribute, *at.PropertySet, err)
			}
		}
		return q, nil
	}
	return q, fmt.Errorf("the verdict did not resolve the attribute %s from the schema", attribute)
}
