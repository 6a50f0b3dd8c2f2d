package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
	"entra8344/internal/textout"
)

// reviewResult is the access review's one JSON document (acl --account).
// Fields: account as given; sid and groups (tokenGroups) of the account, the
// trustees searched for; server, the DC first read; scans, one per domain
// naming context (objects read, objects whose DACL was unreadable or did not
// parse, inherited ACEs for the trustees, which are copies of listed ones);
// grants, one per explicit allow ACE; broad_grants and admin_sd_holder_grants
// count them; warnings are reads that degraded; error is why there is no
// review (then grants is empty and the exit code is 3).
type reviewResult struct {
	Account      string        `json:"account"`
	SID          string        `json:"sid"`
	Groups       []string      `json:"groups"`
	Server       string        `json:"server"`
	Scans        []reviewScan  `json:"scans"`
	Grants       []reviewGrant `json:"grants"`
	BroadGrants  int           `json:"broad_grants"`
	HolderGrants int           `json:"admin_sd_holder_grants"`
	Warnings     []string      `json:"warnings"`
	Error        string        `json:"error"`
}

type reviewScan struct {
	NC         string `json:"nc"`
	Server     string `json:"server"`
	Objects    int    `json:"objects"`
	NoDACL     int    `json:"no_dacl"`
	Unparsable int    `json:"unparsable"`
	Inherited  int    `json:"inherited_aces"`
	Error      string `json:"error"`
}

// reviewGrant: dn of the object holding the ACE; trustee, the SID it names
// (the account's or a group's); sddl, the ACE; rights, the access mask in
// SDDL letters; object_type / inherited_object_type, GUIDs or ""; applies_to
// "object", "object-and-children" or "children" (inherit-only); flags, why
// it is broad (full-control, write-dacl, write-owner, all-properties-write,
// all-extended-rights) or password-writeback-only (Reset/Change Password:
// needed only when password writeback is on, which the directory does not
// say); broad, any flag but password-writeback-only.
type reviewGrant struct {
	DN                  string   `json:"dn"`
	DomainNC            string   `json:"domain_nc"`
	Trustee             string   `json:"trustee"`
	TrusteeIsAccount    bool     `json:"trustee_is_account"`
	SDDL                string   `json:"sddl"`
	Rights              string   `json:"rights"`
	ObjectType          string   `json:"object_type"`
	InheritedObjectType string   `json:"inherited_object_type"`
	AppliesTo           string   `json:"applies_to"`
	AdminSDHolder       bool     `json:"admin_sd_holder"`
	Flags               []string `json:"flags"`
	Broad               bool     `json:"broad"`
}

func (c *AclCmd) review(stdio *IO) error {
	res := c.readReview()
	var out []byte
	switch c.Format {
	case "csv":
		out = reviewCSV(res)
	case "text":
		out = reviewText(res)
	default:
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		out = append(b, '\n')
	}
	if _, err := stdio.Stdout.Write(out); err != nil {
		return err
	}
	if res.Error != "" {
		return exitError{exitUnknown}
	}
	return exitError{exitOK}
}

func (c *AclCmd) readReview() (res reviewResult) {
	res = reviewResult{Account: c.Account, Groups: []string{}, Scans: []reviewScan{}, Grants: []reviewGrant{}, Warnings: []string{}}
	domain, user, ok := strings.Cut(c.Account, `\`)
	if !ok || domain == "" || user == "" || strings.ContainsAny(user, `\/`) {
		res.Error = fmt.Sprintf("--account %q: want DOMAIN\\user (NetBIOS or DNS domain name, then the sAMAccountName)", c.Account)
		return res
	}
	d, done, err := c.dialer()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	s, err := ad.Read(ctx, d, ad.Request{Host: c.Server, ScanGrants: true,
		Accounts: []ad.AccountRef{{Connector: "", Domain: domain, User: user}}})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	return reviewOf(res, s)
}

// reviewOf turns what was read into the document; pure, for the tests.
func reviewOf(res reviewResult, s *ad.Snapshot) reviewResult {
	res.Server = s.Server
	for _, w := range s.Warnings {
		res.Warnings = append(res.Warnings, w.Message)
	}
	if len(s.Accounts) == 0 || !s.Accounts[0].Found {
		why := "its domain is not a domain of this forest"
		if len(s.Accounts) > 0 && s.Accounts[0].Err != "" {
			why = s.Accounts[0].Err
		}
		res.Error = fmt.Sprintf("the account %s was not found, so nothing was reviewed: %s", res.Account, why)
		return res
	}
	a := s.Accounts[0]
	res.SID = a.SID.String()
	for _, g := range a.Groups {
		res.Groups = append(res.Groups, g.String())
	}
	for _, sc := range s.GrantScans {
		res.Scans = append(res.Scans, reviewScan{NC: sc.NC, Server: sc.Server, Objects: sc.Objects, NoDACL: sc.NoSD, Unparsable: sc.Unparsable, Inherited: sc.Inherited, Error: sc.Err})
	}
	for _, g := range s.Grants {
		dom := domainSID(s, g.DomainNC)
		rg := reviewGrant{DN: g.DN, DomainNC: g.DomainNC, Trustee: g.Trustee.String(), TrusteeIsAccount: g.Trustee.Equal(a.SID),
			SDDL: g.ACE.SDDL(dom), Rights: ntsd.MaskString(g.ACE.Mask), AppliesTo: appliesTo(g.ACE), AdminSDHolder: g.AdminSD, Flags: []string{}}
		if g.ACE.IsObject() && g.ACE.ObjectFlags&ntsd.ObjectTypePresent != 0 {
			rg.ObjectType = g.ACE.ObjectType.String()
		}
		if g.ACE.IsObject() && g.ACE.ObjectFlags&ntsd.InheritedObjectTypePresent != 0 {
			rg.InheritedObjectType = g.ACE.InheritedObjectType.String()
		}
		for _, f := range g.ACE.Breadth() {
			rg.Flags = append(rg.Flags, f)
			rg.Broad = rg.Broad || f != ntsd.PasswordWritebackOnly
		}
		if rg.Broad {
			res.BroadGrants++
		}
		if rg.AdminSDHolder {
			res.HolderGrants++
		}
		res.Grants = append(res.Grants, rg)
	}
	return res
}

func domainSID(s *ad.Snapshot, nc string) *ntsd.SID {
	for _, d := range s.Domains {
		if strings.EqualFold(d.NC, nc) && !d.SID.IsZero() {
			return &d.SID
		}
	}
	return nil
}

func appliesTo(a ntsd.ACE) string {
	switch {
	case a.IsInheritOnly():
		return "children"
	case a.Flags&ntsd.ContainerInherit != 0:
		return "object-and-children"
	}
	return "object"
}

var reviewColumns = []string{"dn", "domain_nc", "trustee", "trustee_is_account", "rights", "object_type", "inherited_object_type", "applies_to", "admin_sd_holder", "broad", "flags", "sddl"}

// reviewCSV: one row per grant. A cell a spreadsheet would run as a formula
// is prefixed with ' (DNs come from the directory and are not trusted).
func reviewCSV(res reviewResult) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(reviewColumns)
	if res.Error != "" {
		w.Write(append([]string{"error: " + csvCell(res.Error)}, make([]string, len(reviewColumns)-1)...))
	}
	for _, g := range res.Grants {
		w.Write([]string{csvCell(g.DN), csvCell(g.DomainNC), g.Trustee, strconv.FormatBool(g.TrusteeIsAccount), g.Rights, g.ObjectType, g.InheritedObjectType,
			g.AppliesTo, strconv.FormatBool(g.AdminSDHolder), strconv.FormatBool(g.Broad), strings.Join(g.Flags, ";"), csvCell(g.SDDL)})
	}
	w.Flush()
	return b.Bytes()
}

func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reviewText is for a person at a console: every directory-supplied string
// goes through textout.Escape.
func reviewText(res reviewResult) []byte {
	var b strings.Builder
	e := textout.Escape
	fmt.Fprintf(&b, "Access review of %s", e(res.Account))
	if res.SID != "" {
		fmt.Fprintf(&b, " (%s, %s)", res.SID, textout.Count(len(res.Groups), "group"))
	}
	b.WriteString("\n")
	if res.Error != "" {
		fmt.Fprintf(&b, "ERROR: %s\n", e(res.Error))
		return []byte(b.String())
	}
	for _, sc := range res.Scans {
		fmt.Fprintf(&b, "Read %s from %s: %s", e(sc.NC), e(sc.Server), textout.Count(sc.Objects, "object"))
		if sc.NoDACL+sc.Unparsable > 0 {
			fmt.Fprintf(&b, ", %d without a readable DACL", sc.NoDACL+sc.Unparsable)
		}
		if sc.Error != "" {
			fmt.Fprintf(&b, ", FAILED: %s", e(sc.Error))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s, %d broad, %d on AdminSDHolder\n", textout.Count(len(res.Grants), "explicit grant"), res.BroadGrants, res.HolderGrants)
	for _, g := range res.Grants {
		mark := " "
		if g.Broad {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %s\n    %s (%s)", mark, e(g.DN), e(g.SDDL), g.AppliesTo)
		if g.AdminSDHolder {
			b.WriteString(", AdminSDHolder: stamped onto every protected account")
		}
		if len(g.Flags) > 0 {
			fmt.Fprintf(&b, ", %s", strings.Join(g.Flags, ", "))
		}
		b.WriteString("\n")
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", e(w))
	}
	return []byte(b.String())
}
