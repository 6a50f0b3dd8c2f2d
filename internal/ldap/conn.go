// Package ldap is the small LDAP surface entra8344 needs: search with
// controls and binary values, modify, close. Transports implement Conn:
// wldap32 (Windows, the production path: Negotiate bind with signing and
// sealing as the current identity), memdir (an in-memory directory loaded
// from LDIF, for --replay and golden tests) and, in tests only, go-ldap.
package ldap

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Scope of a search.
type Scope int

const (
	ScopeBase Scope = iota
	ScopeOneLevel
	ScopeSubtree
)

func (s Scope) String() string {
	switch s {
	case ScopeBase:
		return "base"
	case ScopeOneLevel:
		return "one"
	case ScopeSubtree:
		return "sub"
	}
	return fmt.Sprintf("scope(%d)", int(s))
}

// Control is an LDAP request control: OID, criticality, BER value.
type Control struct {
	OID      string
	Critical bool
	Value    []byte
}

// OIDSDFlags is LDAP_SERVER_SD_FLAGS_OID.
const OIDSDFlags = "1.2.840.113556.1.4.801"

// SD flags (which parts of nTSecurityDescriptor to read or write).
const (
	SDOwner = 0x1
	SDGroup = 0x2
	SDDACL  = 0x4
	SDSACL  = 0x8
)

// SDFlagsControl is the SD flags control, critical, for the given parts:
// BER SEQUENCE { INTEGER flags } (flags < 0x80, so one content byte).
func SDFlagsControl(flags byte) Control {
	return Control{OID: OIDSDFlags, Critical: true, Value: []byte{0x30, 0x03, 0x02, 0x01, flags & 0x0f}}
}

// SearchRequest is one search. Attributes lists what to return; constructed
// attributes (tokenGroups, sDRightsEffective) come back only when named.
type SearchRequest struct {
	BaseDN     string
	Scope      Scope
	Filter     string
	Attributes []string
	Controls   []Control
	// SizeLimit 0 means the server's limit.
	SizeLimit int
}

// Attribute is one attribute of an entry, values as raw bytes.
type Attribute struct {
	Name   string
	Values [][]byte
}

// Entry is one search result.
type Entry struct {
	DN         string
	Attributes []Attribute
}

// Values returns the values of the named attribute (case-insensitive), nil if absent.
func (e *Entry) Values(name string) [][]byte {
	for _, a := range e.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a.Values
		}
	}
	return nil
}

// Value returns the first value of the named attribute, nil if absent.
func (e *Entry) Value(name string) []byte {
	if v := e.Values(name); len(v) > 0 {
		return v[0]
	}
	return nil
}

// String returns the first value as a string, "" if absent.
func (e *Entry) String(name string) string { return string(e.Value(name)) }

// Has reports whether the attribute is present with at least one value.
func (e *Entry) Has(name string) bool { return len(e.Values(name)) > 0 }

// ModOp is the operation of one modification.
type ModOp int

const (
	ModAdd ModOp = iota
	ModDelete
	ModReplace
)

func (o ModOp) String() string {
	switch o {
	case ModAdd:
		return "add"
	case ModDelete:
		return "delete"
	case ModReplace:
		return "replace"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// Mod is one modification of one attribute.
type Mod struct {
	Op     ModOp
	Attr   string
	Values [][]byte
}

// Conn is a bound connection to one directory server.
type Conn interface {
	// Search returns every entry the server sends; a missing base object is
	// an *Error with ResultNoSuchObject.
	Search(ctx context.Context, req *SearchRequest) ([]*Entry, error)
	// Modify applies mods to dn atomically (the server's guarantee).
	Modify(ctx context.Context, dn string, mods []Mod, controls []Control) error
	// Server names the server this connection talks to (host name as dialled).
	Server() string
	Close() error
}

// Dialer opens a connection to a server; host "" means a DC of the
// computer's own domain (the locator picks one).
type Dialer interface {
	Dial(ctx context.Context, host string) (Conn, error)
}

// LDAP result codes the tool reacts to.
const (
	ResultSuccess                = 0
	ResultOperationsError        = 1
	ResultProtocolError          = 2
	ResultSizeLimitExceeded      = 4
	ResultStrongAuthRequired     = 8
	ResultUnavailableCritical    = 12 // unavailableCriticalExtension
	ResultNoSuchAttribute        = 16
	ResultConstraintViolation    = 19
	ResultAttributeOrValueExists = 20
	ResultInvalidSyntax          = 21
	ResultNoSuchObject           = 32
	ResultInvalidDNSyntax        = 34
	ResultInvalidCredentials     = 49
	ResultInsufficientAccess     = 50
	ResultBusy                   = 51
	ResultUnavailable            = 52
	ResultUnwillingToPerform     = 53
	ResultOther                  = 80
	ResultServerDown             = 81 // client-side (wldap32/OpenLDAP): cannot reach the server
	ResultTimeout                = 85 // client-side
	ResultFilterError            = 87 // client-side
	ResultNotSupported           = 92 // client-side
)

// Error is a failed LDAP operation: what, on which object, the result code
// and the server's diagnostic text (e.g. "00002098: ... INSUFF_ACCESS_RIGHTS").
type Error struct {
	Op      string // "search", "modify", "bind", "connect"
	DN      string
	Server  string
	Code    int
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ldap %s", e.Op)
	if e.DN != "" {
		fmt.Fprintf(&b, " %q", e.DN)
	}
	if e.Server != "" {
		fmt.Fprintf(&b, " on %s", e.Server)
	}
	fmt.Fprintf(&b, ": result %d (%s)", e.Code, ResultName(e.Code))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", strings.TrimRight(e.Message, "\x00\r\n "))
	}
	return b.String()
}

// ResultName is the RFC 4511 name of a result code.
func ResultName(code int) string {
	switch code {
	case ResultSuccess:
		return "success"
	case ResultOperationsError:
		return "operationsError"
	case ResultProtocolError:
		return "protocolError"
	case ResultSizeLimitExceeded:
		return "sizeLimitExceeded"
	case ResultStrongAuthRequired:
		return "strongerAuthRequired"
	case ResultUnavailableCritical:
		return "unavailableCriticalExtension"
	case ResultNoSuchAttribute:
		return "noSuchAttribute"
	case ResultConstraintViolation:
		return "constraintViolation"
	case ResultAttributeOrValueExists:
		return "attributeOrValueExists"
	case ResultInvalidSyntax:
		return "invalidAttributeSyntax"
	case ResultNoSuchObject:
		return "noSuchObject"
	case ResultInvalidDNSyntax:
		return "invalidDNSyntax"
	case ResultInvalidCredentials:
		return "invalidCredentials"
	case ResultInsufficientAccess:
		return "insufficientAccessRights"
	case ResultBusy:
		return "busy"
	case ResultUnavailable:
		return "unavailable"
	case ResultUnwillingToPerform:
		return "unwillingToPerform"
	case ResultOther:
		return "other"
	case ResultServerDown:
		return "serverDown"
	case ResultTimeout:
		return "timeout"
	case ResultFilterError:
		return "filterError"
	case ResultNotSupported:
		return "notSupported"
	}
	return "unknown"
}

// IsCode reports whether err is (or wraps) an *Error with the given code.
func IsCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
