package wldap32

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"entra8344/internal/ldap"
)

// pollInterval is how long one ldap_result call waits, so that a cancelled
// context is noticed within about this time.
const pollInterval = 250 * time.Millisecond

// Search runs ldap_search_ext_sW and copies every value of every attribute
// of every entry (binary-safe) before the result is freed. One-level and
// subtree searches are paged (see Dialer.PageSize) until the server's
// cookie is empty, all pages within one timeout. With sizeLimitExceeded
// the entries received so far come back with the error. An empty filter
// means (objectClass=*); no attributes means all.
func (c *Conn) Search(ctx context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ld == 0 {
		return nil, ctxError("search", req.BaseDN, c.server, errClosed)
	}
	t, err := opTimeout(ctx, c.timeout, time.Now())
	if err != nil {
		return nil, ctxError("search", req.BaseDN, c.server, err)
	}
	deadline := time.Now().Add(t)
	c.lastPages = 0
	filter := req.Filter
	if filter == "" {
		filter = "(objectClass=*)"
	}
	basep, err := utf16z(req.BaseDN)
	if err != nil {
		return nil, newError("search", req.BaseDN, c.server, codeParamError, "", "base DN "+err.Error())
	}
	filterp, err := utf16z(filter)
	if err != nil {
		return nil, newError("search", req.BaseDN, c.server, codeParamError, "", "filter "+err.Error())
	}
	attrs, err := utf16Array(req.Attributes)
	if err != nil {
		return nil, newError("search", req.BaseDN, c.server, codeParamError, "", err.Error())
	}
	var scope uint32
	switch req.Scope {
	case ldap.ScopeBase:
		scope = 0
	case ldap.ScopeOneLevel:
		scope = 1
	case ldap.ScopeSubtree:
		scope = 2
	default:
		return nil, newError("search", req.BaseDN, c.server, codeParamError, "", "unknown scope "+req.Scope.String())
	}
	fail := func(rc uint32, serverMsg, text string) page {
		return page{err: newError("search", req.BaseDN, c.server, rc, serverMsg, text)}
	}
	// one sends one search request and collects its entries and the
	// server's response controls.
	one := func(controls []ldap.Control, sizeLimit int, paged bool) page {
		if err := ctx.Err(); err != nil {
			return page{err: ctxError("search", req.BaseDN, c.server, err)}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fail(codeTimeout, "", "no complete answer within "+t.String())
		}
		ctrls, err := marshalControls(controls)
		if err != nil {
			return fail(codeParamError, "", err.Error())
		}
		if paged {
			c.lastPages++
		}
		tv := timeval(left, true)
		var res uintptr
		rc, serverMsg := callWithServerError(func() uint32 {
			return ldapSearchExtS(c.ld, basep, scope, filterp, first(attrs), 0, first(ctrls), nil, &tv, uint32(max(sizeLimit, 0)), &res)
		}, func() string {
			if res != 0 {
				return "" // the result message carries the text
			}
			return c.serverError()
		})
		runtime.KeepAlive(basep)
		runtime.KeepAlive(filterp)
		runtime.KeepAlive(attrs)
		runtime.KeepAlive(ctrls)
		runtime.KeepAlive(controls)
		if res == 0 {
			if rc == 0 {
				return page{}
			}
			return fail(rc, serverMsg, errText(rc))
		}
		defer ldapMsgfree(res)
		p := page{entries: c.entries(res)}
		r := c.parseResult(res, false)
		if rc == 0 {
			if r.parseRC != 0 && paged {
				// Without the response control the remaining pages
				// would be silently missing.
				return fail(r.parseRC, "", "reading the paged search's result: "+errText(r.parseRC))
			}
			p.controls = r.controls
			return p
		}
		if rc != codeSizeLimitExcd {
			p.entries = nil
		}
		p.err = newError("search", req.BaseDN, c.server, rc, r.msg, errText(rc))
		return p
	}
	if !pages(c.pageSize, req.Scope, req.Controls) {
		p := one(req.Controls, req.SizeLimit, false)
		return p.entries, p.err
	}
	return pagedSearch(c.pageSize, req.SizeLimit,
		func(ctl ldap.Control, sizeLimit int) page {
			return one(append(slices.Clone(req.Controls), ctl), sizeLimit, true)
		},
		func(msg string) error {
			return newError("search", req.BaseDN, c.server, ldap.ResultProtocolError, "", "paged results: "+msg)
		},
		func() error {
			return newError("search", req.BaseDN, c.server, codeSizeLimitExcd, "",
				fmt.Sprintf("more than the size limit of %d entries", req.SizeLimit))
		})
}

// entries copies the entries of a search result out of wldap32's memory,
// freeing each piece with its matching call.
func (c *Conn) entries(res uintptr) []*ldap.Entry {
	var out []*ldap.Entry
	for e := ldapFirstEntry(c.ld, res); e != 0; e = ldapNextEntry(c.ld, e) {
		ent := &ldap.Entry{}
		if p := cPtr[uint16](ldapGetDN(c.ld, e)); p != nil {
			ent.DN = utf16PtrToString(p)
			ldapMemfree(p)
		}
		var ber uintptr
		for a := cPtr[uint16](ldapFirstAttribute(c.ld, e, &ber)); a != nil; a = cPtr[uint16](ldapNextAttribute(c.ld, e, ber)) {
			attr := ldap.Attribute{Name: utf16PtrToString(a), Values: [][]byte{}}
			if vals := cPtr[*berval](ldapGetValuesLen(c.ld, e, a)); vals != nil {
				n := ldapCountValuesLen(vals)
				attr.Values = copyBervals(unsafe.Slice(vals, n))
				ldapValueFreeLen(vals)
			}
			ldapMemfree(a)
			ent.Attributes = append(ent.Attributes, attr)
		}
		if ber != 0 {
			berFree(ber, 0)
		}
		out = append(out, ent)
	}
	return out
}

// result is what ldap_parse_resultW read from a result message.
type result struct {
	code     uint32 // the server's result code
	msg      string // its diagnostic text ("00002098: ...")
	controls []ldap.Control
	parseRC  uint32 // non-zero: wldap32 could not parse the message
}

// parseResult reads the result code, the server's diagnostic text and the
// response controls of a result message with ldap_parse_resultW, freeing
// the message when freeit.
func (c *Conn) parseResult(res uintptr, freeit bool) result {
	var matched, errmsg *uint16
	var refs **uint16
	var sctrls **ldapControlW
	var code uint32
	rc := ldapParseResult(c.ld, res, &code, &matched, &errmsg, &refs, &sctrls, freeit)
	r := result{code: code, msg: utf16PtrToString(errmsg), controls: copyControls(sctrls)}
	if errmsg != nil {
		ldapMemfree(errmsg)
	}
	if matched != nil {
		ldapMemfree(matched)
	}
	if refs != nil {
		ldapValueFree(refs)
	}
	if sctrls != nil {
		ldapControlsFree(sctrls)
	}
	if rc != 0 {
		return result{parseRC: rc}
	}
	return r
}

// Modify sends ldap_modify_extW (binary values, with controls) and waits
// for its result; see await.
func (c *Conn) Modify(ctx context.Context, dn string, mods []ldap.Mod, controls []ldap.Control) error {
	return c.write(ctx, "modify", dn, mods, controls)
}

// Add creates dn with the given attributes (ldap_add_extW). It is not part
// of ldap.Conn: tests use it to make their own objects.
func (c *Conn) Add(ctx context.Context, dn string, attrs []ldap.Attribute, controls []ldap.Control) error {
	mods := make([]ldap.Mod, len(attrs))
	for i, a := range attrs {
		mods[i] = ldap.Mod{Op: ldap.ModAdd, Attr: a.Name, Values: a.Values}
	}
	return c.write(ctx, "add", dn, mods, controls)
}

// Delete removes the leaf object dn (ldap_delete_extW). It is not part of
// ldap.Conn: tests use it to clean up.
func (c *Conn) Delete(ctx context.Context, dn string, controls []ldap.Control) error {
	return c.write(ctx, "delete", dn, nil, controls)
}

// write sends one modify, add or delete request and awaits its result.
func (c *Conn) write(ctx context.Context, op, dn string, mods []ldap.Mod, controls []ldap.Control) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ld == 0 {
		return ctxError(op, dn, c.server, errClosed)
	}
	t, err := opTimeout(ctx, c.timeout, time.Now())
	if err != nil {
		return ctxError(op, dn, c.server, err)
	}
	dnp, err := utf16z(dn)
	if err != nil {
		return newError(op, dn, c.server, codeParamError, "", "DN "+err.Error())
	}
	var cmods []*ldapModW
	if op != "delete" {
		if cmods, err = marshalMods(mods); err != nil {
			return newError(op, dn, c.server, codeParamError, "", err.Error())
		}
	}
	ctrls, err := marshalControls(controls)
	if err != nil {
		return newError(op, dn, c.server, codeParamError, "", err.Error())
	}
	var msgid uint32
	rc, serverMsg := callWithServerError(func() uint32 {
		switch op {
		case "modify":
			return ldapModifyExt(c.ld, dnp, first(cmods), first(ctrls), nil, &msgid)
		case "add":
			return ldapAddExt(c.ld, dnp, first(cmods), first(ctrls), nil, &msgid)
		default:
			return ldapDeleteExt(c.ld, dnp, first(ctrls), nil, &msgid)
		}
	}, c.serverError)
	runtime.KeepAlive(dnp)
	runtime.KeepAlive(cmods)
	runtime.KeepAlive(ctrls)
	runtime.KeepAlive(mods)
	runtime.KeepAlive(controls)
	if rc != 0 {
		return newError(op, dn, c.server, rc, serverMsg, errText(rc))
	}
	return c.await(ctx, op, dn, msgid, t)
}

// await waits for the result of request msgid with ldap_result in short
// slices, so that a cancelled context or the timeout t abandons the request
// (ldap_abandon). ldap_parse_resultW then reads the server's code and its
// diagnostic text ("00002098: ...") and frees the result.
func (c *Conn) await(ctx context.Context, op, dn string, msgid uint32, t time.Duration) error {
	deadline := time.Now().Add(t)
	for {
		if err := ctx.Err(); err != nil {
			ldapAbandon(c.ld, msgid)
			return ctxError(op, dn, c.server, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			ldapAbandon(c.ld, msgid)
			return newError(op, dn, c.server, codeTimeout, "", "no answer within "+t.String()+"; the request was abandoned")
		}
		tv := timeval(min(left, pollInterval), false)
		var res uintptr
		runtime.LockOSThread() // LdapGetLastError is per thread
		typ := ldapResult(c.ld, msgid, ldapMsgAll, &tv, &res)
		var lastErr uint32
		if typ == resultFailed {
			lastErr = ldapGetLastError()
		}
		runtime.UnlockOSThread()
		switch typ {
		case 0: // not yet: poll again
			if res != 0 {
				ldapMsgfree(res)
			}
		case resultFailed:
			if res != 0 {
				ldapMsgfree(res)
			}
			return newError(op, dn, c.server, lastErr, "", errText(lastErr))
		default:
			r := c.parseResult(res, true)
			if r.parseRC != 0 {
				return newError(op, dn, c.server, r.parseRC, "", errText(r.parseRC))
			}
			if r.code != 0 {
				return newError(op, dn, c.server, r.code, r.msg, errText(r.code))
			}
			return nil
		}
	}
}

// first is &s[0] of a NULL-terminated array, or NULL for an empty one.
func first[T any](s []*T) **T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}
