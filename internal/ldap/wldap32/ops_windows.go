package wldap32

import (
	"context"
	"runtime"
	"time"
	"unsafe"

	"entra8344/internal/ldap"
)

// pollInterval is how long one ldap_result call waits, so that a cancelled
// context is noticed within about this time.
const pollInterval = 250 * time.Millisecond

// Search runs ldap_search_ext_sW and copies every value of every attribute
// of every entry (binary-safe) before the result is freed. With
// sizeLimitExceeded the entries received so far come back with the error.
// An empty filter means (objectClass=*); no attributes means all.
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
	ctrls, err := marshalControls(req.Controls)
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
	sizeLimit := uint32(0)
	if req.SizeLimit > 0 {
		sizeLimit = uint32(req.SizeLimit)
	}
	tv := timeval(t, true)
	var res uintptr
	rc := ldapSearchExtS(c.ld, basep, scope, filterp, first(attrs), 0, first(ctrls), nil, &tv, sizeLimit, &res)
	runtime.KeepAlive(basep)
	runtime.KeepAlive(filterp)
	runtime.KeepAlive(attrs)
	runtime.KeepAlive(ctrls)
	runtime.KeepAlive(req)
	if res == 0 {
		if rc == 0 {
			return nil, nil
		}
		return nil, newError("search", req.BaseDN, c.server, rc, c.serverError(), errText(rc))
	}
	defer ldapMsgfree(res)
	entries := c.entries(res)
	if rc == 0 {
		return entries, nil
	}
	msg, _ := c.parseResult(res, false)
	if rc != codeSizeLimitExcd {
		entries = nil
	}
	return entries, newError("search", req.BaseDN, c.server, rc, msg, errText(rc))
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

// parseResult reads the result code and the server's diagnostic text of a
// result message with ldap_parse_resultW, freeing the message when freeit.
// When wldap32 cannot parse it, code is that failure and msg is "".
func (c *Conn) parseResult(res uintptr, freeit bool) (msg string, code uint32) {
	var matched, errmsg *uint16
	var refs **uint16
	var sctrls **ldapControlW
	rc := ldapParseResult(c.ld, res, &code, &matched, &errmsg, &refs, &sctrls, freeit)
	msg = utf16PtrToString(errmsg)
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
		return "", rc
	}
	return msg, code
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
	var msgid, rc uint32
	switch op {
	case "modify":
		rc = ldapModifyExt(c.ld, dnp, first(cmods), first(ctrls), nil, &msgid)
	case "add":
		rc = ldapAddExt(c.ld, dnp, first(cmods), first(ctrls), nil, &msgid)
	case "delete":
		rc = ldapDeleteExt(c.ld, dnp, first(ctrls), nil, &msgid)
	}
	runtime.KeepAlive(dnp)
	runtime.KeepAlive(cmods)
	runtime.KeepAlive(ctrls)
	runtime.KeepAlive(mods)
	runtime.KeepAlive(controls)
	if rc != 0 {
		return newError(op, dn, c.server, rc, c.serverError(), errText(rc))
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
			msg, code := c.parseResult(res, true)
			if code != 0 {
				return newError(op, dn, c.server, code, msg, errText(code))
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
