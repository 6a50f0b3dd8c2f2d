package memdir

import (
	"context"
	"fmt"
	"strings"

	"entra8344/internal/ldap"
)

// modify applies mods atomically, as RFC 4511 and AD do: add of a value
// already there is 20 attributeOrValueExists, delete of a missing attribute
// or value 16 noSuchAttribute (both tolerated with the permissive modify
// control); a replace of nTSecurityDescriptor changes only the parts named
// by the SD flags control (all four without it). The rootDSE goes to
// RootDSEModify. Successful modifies are recorded (Modifications).
func (d *Dir) modify(ctx context.Context, dn string, mods []ldap.Mod, controls []ldap.Control, server string) error {
	d.mu.Lock()
	d.ops++
	d.mu.Unlock()
	fail := func(code int, format string, args ...any) error {
		return &ldap.Error{Op: "modify", DN: dn, Server: server, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	if err := ctx.Err(); err != nil {
		return fail(ldap.ResultTimeout, "%v", err)
	}
	if d.Fail != nil {
		if err := d.Fail("modify", dn); err != nil {
			return err
		}
	}
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return fail(ldap.ResultInvalidDNSyntax, "0000208F: NameErr: DSID-memdir, problem 2006 (BAD_NAME), data 8350: %v", err)
	}
	if err := checkControls(controls); err != nil {
		return fail(ldap.ResultUnavailableCritical, "%v", err)
	}
	flags, _, err := sdFlags(controls)
	if err != nil {
		return fail(ldap.ResultProtocolError, "%v", err)
	}
	permissive := false
	for _, c := range controls {
		permissive = permissive || c.OID == oidPermissiveModify
	}
	for _, m := range mods {
		if m.Op != ldap.ModAdd && m.Op != ldap.ModDelete && m.Op != ldap.ModReplace {
			return fail(ldap.ResultProtocolError, "invalid modify operation %d on %s", int(m.Op), m.Attr)
		}
		if strings.TrimSpace(m.Attr) == "" {
			return fail(ldap.ResultProtocolError, "modify with an empty attribute name")
		}
	}
	record := Modification{DN: dn, Mods: copyMods(mods), Controls: copyControls(controls)}

	key := parsed.Normal()
	if key == "" {
		var err error
		switch {
		case d.RootDSEModifyAt != nil:
			err = d.RootDSEModifyAt(server, copyMods(mods))
		case d.RootDSEModify != nil:
			err = d.RootDSEModify(copyMods(mods))
		default:
			return fail(ldap.ResultUnwillingToPerform, "00002035: rootdse_modify: unknown attribute to change!")
		}
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.mods = append(d.mods, record)
		d.mu.Unlock()
		return nil
	}

	d.mu.Lock()
	e, ok := d.entries[key]
	if !ok {
		d.mu.Unlock()
		return fail(ldap.ResultNoSuchObject, "0000208D: NameErr: DSID-memdir, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'%s'\n", d.bestMatch(parsed))
	}
	before := copyValues(e.values("nTSecurityDescriptor"))
	tmp := &entry{attrs: copyAttrs(e.attrs)}
	for _, m := range mods {
		if code, msg := applyMod(tmp, m, flags, permissive); code != 0 {
			d.mu.Unlock()
			return fail(code, "%s", msg)
		}
	}
	e.attrs = tmp.attrs
	d.mods = append(d.mods, record)
	after := copyValues(e.values("nTSecurityDescriptor"))
	hook := d.AfterSDWrite
	d.mu.Unlock()
	if hook != nil && len(before) == 1 && len(after) == 1 && string(before[0]) != string(after[0]) {
		// Outside the lock: the hook reads and writes the directory.
		return hook(e.dn, before[0], after[0])
	}
	return nil
}

// applyMod changes e (a scratch copy) or returns a result code and message.
func applyMod(e *entry, m ldap.Mod, flags byte, permissive bool) (int, string) {
	i := e.find(m.Attr)
	noAttr := func() (int, string) {
		return ldap.ResultNoSuchAttribute, fmt.Sprintf("00002085: AtrErr: DSID-memdir, problem 1001 (NO_ATTRIBUTE_OR_VAL), data 0, Att (%s)", m.Attr)
	}
	exists := func() (int, string) {
		return ldap.ResultAttributeOrValueExists, fmt.Sprintf("00002083: AtrErr: DSID-memdir, problem 1006 (ATT_OR_VALUE_EXISTS), data 0, Att (%s)", m.Attr)
	}
	for a := range m.Values {
		for b := 0; b < a; b++ {
			if m.Op != ldap.ModDelete && valueEqual(m.Attr, m.Values[a], m.Values[b]) {
				return exists()
			}
		}
	}
	switch m.Op {
	case ldap.ModAdd:
		if len(m.Values) == 0 {
			return ldap.ResultProtocolError, fmt.Sprintf("add of %s without values", m.Attr)
		}
		var add [][]byte
		for _, v := range m.Values {
			if i >= 0 && indexValue(m.Attr, e.attrs[i].Values, v) >= 0 {
				if permissive {
					continue
				}
				return exists()
			}
			add = append(add, v)
		}
		e.addValues(m.Attr, add)
	case ldap.ModDelete:
		if i < 0 {
			if permissive {
				return 0, ""
			}
			return noAttr()
		}
		if len(m.Values) == 0 {
			e.attrs = append(e.attrs[:i], e.attrs[i+1:]...)
			return 0, ""
		}
		for _, v := range m.Values {
			j := indexValue(m.Attr, e.attrs[i].Values, v)
			if j < 0 {
				if permissive {
					continue
				}
				return noAttr()
			}
			vals := e.attrs[i].Values
			e.attrs[i].Values = append(vals[:j:j], vals[j+1:]...)
		}
		if len(e.attrs[i].Values) == 0 {
			e.attrs = append(e.attrs[:i], e.attrs[i+1:]...)
		}
	case ldap.ModReplace:
		if len(m.Values) == 0 {
			if i >= 0 {
				e.attrs = append(e.attrs[:i], e.attrs[i+1:]...)
			}
			return 0, ""
		}
		vals := copyValues(m.Values)
		if strings.EqualFold(baseName(m.Attr), "nTSecurityDescriptor") && len(vals) == 1 {
			var old []byte
			if i >= 0 && len(e.attrs[i].Values) > 0 {
				old = e.attrs[i].Values[0]
			}
			sd, err := mergeSD(old, vals[0], flags)
			if err != nil {
				return ldap.ResultInvalidSyntax, fmt.Sprintf("00000057: memdir: nTSecurityDescriptor: %v", err)
			}
			vals[0] = sd
		}
		if i < 0 {
			e.attrs = append(e.attrs, ldap.Attribute{Name: m.Attr, Values: vals})
		} else {
			e.attrs[i].Values = vals
		}
	}
	return 0, ""
}

func indexValue(attr string, vals [][]byte, v []byte) int {
	for j, x := range vals {
		if valueEqual(attr, x, v) {
			return j
		}
	}
	return -1
}
