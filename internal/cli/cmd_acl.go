package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
)

// AclCmd prints an object's DACL as the directory returns it: raw bytes and
// SDDL, locale-independent (dsacls output is localized and not parseable).
type AclCmd struct {
	DN      string        `arg:"" optional:"" help:"Object to read (default: AdminSDHolder of the domain of the DC read)."`
	Server  string        `help:"Domain controller to read from (default: the locator's choice)."`
	Timeout time.Duration `help:"Give up after this long. ${durations}" default:"1m"`
	// Access review (issue 17 §3): the same read-only command, because it
	// is the same question (who may do what, as the directory says) over
	// the same host dialer, only for one trustee across the forest.
	Account string `help:"Access review: list every explicit ACE granting DOMAIN\\user (its SID or one of its groups) anything, across the forest's domain naming contexts, flagging broad grants and AdminSDHolder."`
	Format  string `help:"Output of --account: ${enum}." enum:"json,csv,text" default:"json"`
	Replay  string `help:"Read a scenario's directory snapshot instead of the live directory (DIR or built-in NAME)."`
}

// aclResult is acl's one JSON document.
type aclResult struct {
	DN                string `json:"dn"`
	Server            string `json:"server"`
	SDFlags           int    `json:"sd_flags"`
	Length            int    `json:"length"`
	SDBase64          string `json:"sd_base64"`
	SDDL              string `json:"sddl"`
	DACLProtected     bool   `json:"dacl_protected"`
	SDRightsEffective *int64 `json:"sd_rights_effective"`
	Error             string `json:"error"`
}

func (c *AclCmd) Run(stdio *IO) error {
	if c.Account != "" {
		return c.review(stdio)
	}
	if c.Format != "json" {
		return fmt.Errorf("--format applies to the access review (--account DOMAIN\\user) only")
	}
	res := c.read()
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if _, err := stdio.Stdout.Write(append(b, '\n')); err != nil {
		return err
	}
	if res.Error != "" {
		return exitError{exitUnknown}
	}
	return exitError{exitOK}
}

// dialer is the directory of the run's host (live, or a replay's
// snapshot with --replay) for both of acl's questions.
func (c *AclCmd) dialer() (ldap.Dialer, func(), error) {
	h, err := NewHost(HostSpec{Command: "acl", Replay: c.Replay})
	if err != nil {
		return nil, nil, err
	}
	d, err := h.Dialer()
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	return d, h.Close, nil
}

func (c *AclCmd) read() (res aclResult) {
	res.DN, res.SDFlags = c.DN, ldap.SDDACL
	d, done, err := c.dialer()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	conn, err := d.Dial(ctx, c.Server)
	if err != nil {
		res.Error = fmt.Sprintf("connect to a domain controller: %v", err)
		return res
	}
	defer conn.Close()
	res.Server = conn.Server()
	if res.DN == "" {
		es, err := conn.Search(ctx, &ldap.SearchRequest{Scope: ldap.ScopeBase, Filter: "(objectClass=*)", Attributes: []string{"defaultNamingContext"}})
		if err != nil || len(es) != 1 || es[0].String("defaultNamingContext") == "" {
			res.Error = fmt.Sprintf("read the rootDSE's defaultNamingContext: %v", err)
			return res
		}
		res.DN = ad.AdminSDHolderDN(es[0].String("defaultNamingContext"))
	}
	es, err := conn.Search(ctx, &ldap.SearchRequest{BaseDN: res.DN, Scope: ldap.ScopeBase, Filter: "(objectClass=*)",
		Attributes: []string{"nTSecurityDescriptor", "sDRightsEffective"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if len(es) != 1 || len(es[0].Value("nTSecurityDescriptor")) == 0 {
		res.Error = fmt.Sprintf("%s returned no security descriptor for %s (may this identity read it?)", res.Server, res.DN)
		return res
	}
	raw := es[0].Value("nTSecurityDescriptor")
	res.Length, res.SDBase64 = len(raw), base64.StdEncoding.EncodeToString(raw)
	if v, err := strconv.ParseInt(es[0].String("sDRightsEffective"), 10, 64); err == nil {
		res.SDRightsEffective = &v
	}
	sd, err := ntsd.Parse(raw)
	if err != nil {
		res.Error = fmt.Sprintf("the descriptor of %s does not parse: %v", res.DN, err)
		return res
	}
	res.SDDL, res.DACLProtected = sd.SDDL(nil), sd.DACLProtected()
	return res
}
