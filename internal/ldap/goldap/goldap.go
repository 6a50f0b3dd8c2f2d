// Package goldap is an ldap.Conn over github.com/go-ldap/ldap/v3 with a
// simple bind, for Linux-native integration tests against a Samba AD DC.
// Only tests and test tools import it; the shipped exe uses wldap32.
package goldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/internal/ldap"
)

// Options configure Dial.
type Options struct {
	// BindDN is a UPN (administrator@test.example) or a DN; empty means no bind.
	BindDN   string
	Password string
	// CAFile is a PEM file of CAs to trust for ldaps:// and StartTLS.
	CAFile string
	// StartTLS upgrades an ldap:// connection before the bind.
	StartTLS bool
	// InsecureSkipVerify turns certificate checks off (tests only).
	InsecureSkipVerify bool
	// Timeout bounds the dial and each request; 0 means 30s.
	Timeout time.Duration
	// PageSize is the paged-results size for one-level and subtree
	// searches (AD's MaxPageSize is 1000); 0 means 1000, negative disables.
	PageSize int
}

// Dial connects to url (ldap://host[:port] or ldaps://...), optionally
// upgrades with StartTLS, and binds.
func Dial(ctx context.Context, rawURL string, opts Options) (ldap.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, &ldap.Error{Op: "connect", Server: rawURL, Code: ldap.ResultServerDown, Message: fmt.Sprintf("bad LDAP URL %q", rawURL)}
	}
	server := u.Hostname()
	fail := func(op string, err error) error { return mapErr(op, "", server, err) }
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsCfg, err := tlsConfig(opts, server)
	if err != nil {
		return nil, &ldap.Error{Op: "connect", Server: server, Code: ldap.ResultServerDown, Message: err.Error()}
	}
	dialer := &net.Dialer{Timeout: timeout}
	if dl, ok := ctx.Deadline(); ok {
		dialer.Deadline = dl
	}
	l, err := gl.DialURL(rawURL, gl.DialWithDialer(dialer), gl.DialWithTLSConfig(tlsCfg))
	if err != nil {
		return nil, fail("connect", err)
	}
	l.SetTimeout(timeout)
	c := &conn{l: l, server: server, pageSize: opts.PageSize}
	if c.pageSize == 0 {
		c.pageSize = 1000
	}
	if opts.StartTLS {
		if err := c.do(ctx, func() error { return l.StartTLS(tlsCfg) }); err != nil {
			l.Close()
			return nil, fail("starttls", err)
		}
	}
	if opts.BindDN != "" {
		if err := c.do(ctx, func() error { return l.Bind(opts.BindDN, opts.Password) }); err != nil {
			l.Close()
			return nil, mapErr("bind", opts.BindDN, server, err)
		}
	}
	return c, nil
}

func tlsConfig(opts Options, server string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: server, InsecureSkipVerify: opts.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Dialer dials hosts with the scheme, port and options of URL; host ""
// means URL's own host.
type Dialer struct {
	URL     string
	Options Options
}

// Dial implements ldap.Dialer.
func (d Dialer) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	raw := d.URL
	if host != "" {
		u, err := url.Parse(d.URL)
		if err != nil {
			return nil, &ldap.Error{Op: "connect", Server: host, Code: ldap.ResultServerDown, Message: err.Error()}
		}
		if p := u.Port(); p != "" {
			u.Host = net.JoinHostPort(host, p)
		} else {
			u.Host = host
		}
		raw = u.String()
	}
	return Dial(ctx, raw, d.Options)
}

// FromSambaEnv reads the variables the project's Samba DC script prints:
// SAMBA_DC_LDAP_URL, SAMBA_DC_ADMIN_UPN (or SAMBA_DC_ADMIN_DN),
// SAMBA_DC_ADMIN_PASS, SAMBA_DC_CA_CERT. ok is false when the URL is unset.
func FromSambaEnv() (rawURL string, opts Options, ok bool) {
	rawURL = os.Getenv("SAMBA_DC_LDAP_URL")
	opts.BindDN = os.Getenv("SAMBA_DC_ADMIN_UPN")
	if opts.BindDN == "" {
		opts.BindDN = os.Getenv("SAMBA_DC_ADMIN_DN")
	}
	opts.Password = os.Getenv("SAMBA_DC_ADMIN_PASS")
	opts.CAFile = os.Getenv("SAMBA_DC_CA_CERT")
	return rawURL, opts, rawURL != ""
}

type conn struct {
	l        *gl.Conn
	server   string
	pageSize int
}

// do runs f, closing the connection if ctx ends first (go-ldap's calls
// take no context); the error is then the context's.
func (c *conn) do(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.l.Close() })
	err := f()
	if !stop() && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (c *conn) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	if req == nil {
		return nil, &ldap.Error{Op: "search", Server: c.server, Code: ldap.ResultProtocolError, Message: "nil search request"}
	}
	scope := map[ldap.Scope]int{ldap.ScopeBase: gl.ScopeBaseObject, ldap.ScopeOneLevel: gl.ScopeSingleLevel, ldap.ScopeSubtree: gl.ScopeWholeSubtree}
	sc, ok := scope[req.Scope]
	if !ok {
		return nil, &ldap.Error{Op: "search", DN: req.BaseDN, Server: c.server, Code: ldap.ResultProtocolError, Message: fmt.Sprintf("invalid scope %d", int(req.Scope))}
	}
	filter := req.Filter
	if strings.TrimSpace(filter) == "" {
		filter = "(objectClass=*)"
	}
	controls, paged := convControls(req.Controls)
	gr := gl.NewSearchRequest(req.BaseDN, sc, gl.NeverDerefAliases, req.SizeLimit, 0, false, filter, req.Attributes, controls)
	var res *gl.SearchResult
	err := c.do(ctx, func() error {
		var err error
		if sc != gl.ScopeBaseObject && c.pageSize > 0 && !paged {
			res, err = c.l.SearchWithPaging(gr, uint32(c.pageSize))
		} else {
			res, err = c.l.Search(gr)
		}
		return err
	})
	var out []*ldap.Entry
	if res != nil {
		for _, e := range res.Entries {
			ne := &ldap.Entry{DN: e.DN}
			for _, a := range e.Attributes {
				vals := make([][]byte, len(a.ByteValues))
				for i, v := range a.ByteValues {
					vals[i] = append([]byte{}, v...)
				}
				ne.Attributes = append(ne.Attributes, ldap.Attribute{Name: a.Name, Values: vals})
			}
			out = append(out, ne)
		}
	}
	if err != nil {
		return out, mapErr("search", req.BaseDN, c.server, err)
	}
	return out, nil
}

func (c *conn) Modify(ctx context.Context, dn string, mods []ldap.Mod, controls []ldap.Control) error {
	gcs, _ := convControls(controls)
	mr := gl.NewModifyRequest(dn, gcs)
	for _, m := range mods {
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			vals[i] = string(v)
		}
		switch m.Op {
		case ldap.ModAdd:
			mr.Add(m.Attr, vals)
		case ldap.ModDelete:
			mr.Delete(m.Attr, vals)
		case ldap.ModReplace:
			mr.Replace(m.Attr, vals)
		default:
			return &ldap.Error{Op: "modify", DN: dn, Server: c.server, Code: ldap.ResultProtocolError, Message: fmt.Sprintf("invalid modify operation %d", int(m.Op))}
		}
	}
	if err := c.do(ctx, func() error { return c.l.Modify(mr) }); err != nil {
		return mapErr("modify", dn, c.server, err)
	}
	return nil
}

func (c *conn) Server() string { return c.server }

func (c *conn) Close() error {
	c.l.Close()
	return nil
}

// convControls converts controls; paged reports a paged-results control
// among them (then the caller pages, not this transport).
func convControls(cs []ldap.Control) ([]gl.Control, bool) {
	var out []gl.Control
	paged := false
	for _, c := range cs {
		out = append(out, gl.NewControlString(c.OID, c.Critical, string(c.Value)))
		paged = paged || c.OID == gl.ControlTypePaging
	}
	return out, paged
}

// mapErr turns go-ldap's errors into *ldap.Error: server result codes pass
// through with the diagnostic message; go-ldap's client codes (network,
// filter compile, ...) map to ours; context ends become timeout.
func mapErr(op, dn, server string, err error) error {
	e := &ldap.Error{Op: op, DN: dn, Server: server, Code: ldap.ResultServerDown, Message: err.Error()}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.Code = ldap.ResultTimeout
		return e
	}
	var ge *gl.Error
	if !errors.As(err, &ge) {
		return e
	}
	if ge.Err != nil {
		e.Message = ge.Err.Error()
	} else {
		e.Message = ""
	}
	switch ge.ResultCode {
	case gl.ErrorNetwork:
		e.Code = ldap.ResultServerDown
		if strings.Contains(e.Message, "timed out") {
			e.Code = ldap.ResultTimeout
		}
	case gl.ErrorFilterCompile, gl.ErrorFilterDecompile:
		e.Code = ldap.ResultFilterError
	case gl.ErrorEmptyPassword:
		e.Code = ldap.ResultInvalidCredentials
	case gl.ErrorDebugging, gl.ErrorUnexpectedMessage, gl.ErrorUnexpectedResponse:
		e.Code = ldap.ResultProtocolError
	default:
		e.Code = int(ge.ResultCode)
	}
	return e
}
