package ntsd

import (
	"bytes"
	"encoding/binary"
)

// ACE types (MS-DTYP 2.4.4.1). Only the first six are evaluated; the others
// are named so that they can be recognised and rendered.
const (
	AccessAllowed       byte = 0x00
	AccessDenied        byte = 0x01
	SystemAudit         byte = 0x02
	SystemAlarm         byte = 0x03
	AccessAllowedObject byte = 0x05
	AccessDeniedObject  byte = 0x06
	SystemAuditObject   byte = 0x07
	SystemAlarmObject   byte = 0x08

	AccessAllowedCallback       byte = 0x09
	AccessDeniedCallback        byte = 0x0A
	AccessAllowedCallbackObject byte = 0x0B
	AccessDeniedCallbackObject  byte = 0x0C
	SystemMandatoryLabel        byte = 0x11
)

// AceFlags (MS-DTYP 2.4.4.1).
const (
	ObjectInherit      byte = 0x01
	ContainerInherit   byte = 0x02
	NoPropagateInherit byte = 0x04
	InheritOnly        byte = 0x08
	Inherited          byte = 0x10
	SuccessfulAccess   byte = 0x40
	FailedAccess       byte = 0x80
)

// Object ACE Flags field (MS-DTYP 2.4.4.3): which GUIDs follow.
const (
	ObjectTypePresent          uint32 = 0x1
	InheritedObjectTypePresent uint32 = 0x2
)

// Access mask bits for directory objects (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3).
const (
	RightCreateChild          uint32 = 0x1
	RightDeleteChild          uint32 = 0x2
	RightList                 uint32 = 0x4
	RightSelf                 uint32 = 0x8
	RightReadProperty         uint32 = 0x10
	RightWriteProperty        uint32 = 0x20
	RightDeleteTree           uint32 = 0x40
	RightListObject           uint32 = 0x80
	RightControlAccess        uint32 = 0x100
	RightDelete               uint32 = 0x10000
	RightReadControl          uint32 = 0x20000
	RightWriteDAC             uint32 = 0x40000
	RightWriteOwner           uint32 = 0x80000
	RightAccessSystemSecurity uint32 = 0x1000000
	GenericAll                uint32 = 0x10000000
	GenericExecute            uint32 = 0x20000000
	GenericWrite              uint32 = 0x40000000
	GenericRead               uint32 = 0x80000000
)

// ACE is one access control entry. Types 0x00–0x03 (mask + SID) and
// 0x05–0x08 (mask + object flags + GUIDs + SID) are decoded into the fields;
// any other type is kept as opaque bytes (only Type and Flags, from the
// common header, are meaningful) and is never evaluated.
type ACE struct {
	Type, Flags         byte
	Mask                uint32
	ObjectFlags         uint32 // object ACEs only
	ObjectType          GUID   // valid when ObjectFlags&ObjectTypePresent
	InheritedObjectType GUID   // valid when ObjectFlags&InheritedObjectTypePresent
	SID                 SID

	// raw holds the exact bytes Parse read (header included), so padding
	// after the SID survives as long as the decoded fields are unchanged.
	raw []byte
	// opaque marks an ACE whose type this package does not decode; raw is
	// then the only source of its body.
	opaque bool
}

// NewObjectAllow builds the only kind of ACE entra8344 adds:
// ACCESS_ALLOWED_OBJECT_ACE, AceFlags 0 (effective on the object itself,
// not inherited), ObjectTypePresent with objectType. A zero objectType is
// kept as a (useless) zero GUID rather than dropping the flag, because an
// object ACE without an object type would grant the right on every property.
func NewObjectAllow(mask uint32, objectType GUID, sid SID) ACE {
	return ACE{
		Type:        AccessAllowedObject,
		Mask:        mask,
		ObjectFlags: ObjectTypePresent,
		ObjectType:  objectType,
		SID:         sid,
	}
}

// decodedType reports whether ACEs of type t are decoded into the fields.
func decodedType(t byte) bool { return t <= SystemAlarmObject && t != 0x04 }

// objectType reports whether type t carries the object ACE body (MS-DTYP
// 2.4.4.3, 2.4.4.4 and their callback forms).
func objectType(t byte) bool {
	switch t {
	case AccessAllowedObject, AccessDeniedObject, SystemAuditObject, SystemAlarmObject,
		AccessAllowedCallbackObject, AccessDeniedCallbackObject, 0x0F, 0x10:
		return true
	}
	return false
}

// IsObject reports whether the ACE is an object ACE (has the object body).
func (a ACE) IsObject() bool { return objectType(a.Type) }

// IsAllow reports whether the ACE type grants access (including the callback
// forms, which this package does not evaluate).
func (a ACE) IsAllow() bool {
	switch a.Type {
	case AccessAllowed, AccessAllowedObject, AccessAllowedCallback, AccessAllowedCallbackObject:
		return true
	}
	return false
}

// IsDeny reports whether the ACE type denies access (including the callback
// forms, which this package does not evaluate).
func (a ACE) IsDeny() bool {
	switch a.Type {
	case AccessDenied, AccessDeniedObject, AccessDeniedCallback, AccessDeniedCallbackObject:
		return true
	}
	return false
}

// IsInherited reports whether the ACE was inherited from a parent.
func (a ACE) IsInherited() bool { return a.Flags&Inherited != 0 }

// IsInheritOnly reports whether the ACE only propagates to children and does
// not apply to the object itself.
func (a ACE) IsInheritOnly() bool { return a.Flags&InheritOnly != 0 }

// Known reports whether the ACE's type is decoded (0x00–0x03, 0x05–0x08).
// Unknown ACEs keep their bytes and are never evaluated.
func (a ACE) Known() bool { return !a.opaque && decodedType(a.Type) }

// encode builds the ACE from its fields, header included, without padding.
func (a ACE) encode() []byte {
	size := 4 + 4 + a.SID.size()
	if objectType(a.Type) {
		size += 4
		if a.ObjectFlags&ObjectTypePresent != 0 {
			size += 16
		}
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			size += 16
		}
	}
	b := make([]byte, 4, size)
	b[0], b[1] = a.Type, a.Flags
	binary.LittleEndian.PutUint16(b[2:], uint16(size))
	b = binary.LittleEndian.AppendUint32(b, a.Mask)
	if objectType(a.Type) {
		b = binary.LittleEndian.AppendUint32(b, a.ObjectFlags)
		if a.ObjectFlags&ObjectTypePresent != 0 {
			b = append(b, a.ObjectType[:]...)
		}
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			b = append(b, a.InheritedObjectType[:]...)
		}
	}
	return a.SID.appendTo(b)
}

// Bytes returns the ACE's binary form: the exact bytes Parse read when the
// decoded fields still say the same thing (so padding survives), else the
// fresh encoding of the fields.
func (a ACE) Bytes() []byte {
	if a.opaque {
		out := bytes.Clone(a.raw)
		out[0], out[1] = a.Type, a.Flags
		return out
	}
	enc := a.encode()
	if a.raw != nil && len(enc) <= len(a.raw) && enc[0] == a.raw[0] && enc[1] == a.raw[1] &&
		bytes.Equal(enc[4:], a.raw[4:len(enc)]) {
		return bytes.Clone(a.raw)
	}
	return enc
}

// size is the length of the ACE as Bytes encodes it.
func (a ACE) size() int { return len(a.Bytes()) }

// Equal reports whether both ACEs have the same binary form.
func (a ACE) Equal(b ACE) bool { return bytes.Equal(a.Bytes(), b.Bytes()) }

// parseACE decodes one ACE from b, which is exactly AceSize bytes long and
// is kept (not copied) as the ACE's raw bytes.
// off is b's offset in the descriptor, for error messages; the caller adds
// which ACE of which ACL it was.
func parseACE(b []byte, off int) (ACE, error) {
	a := ACE{Type: b[0], Flags: b[1], raw: b[:len(b):len(b)]} // raw is never written to
	if !decodedType(a.Type) {
		a.opaque = true
		return a, nil
	}
	p := 4
	need := func(n int, what string) error {
		if len(b)-p < n {
			return malformed("%s needs %d bytes at offset %d but only %d remain in the ACE", what, n, off+p, len(b)-p)
		}
		return nil
	}
	if err := need(4, "access mask"); err != nil {
		return ACE{}, err
	}
	a.Mask = binary.LittleEndian.Uint32(b[p:])
	p += 4
	if objectType(a.Type) {
		if err := need(4, "object flags"); err != nil {
			return ACE{}, err
		}
		a.ObjectFlags = binary.LittleEndian.Uint32(b[p:])
		p += 4
		if a.ObjectFlags&ObjectTypePresent != 0 {
			if err := need(16, "object type GUID"); err != nil {
				return ACE{}, err
			}
			copy(a.ObjectType[:], b[p:])
			p += 16
		}
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			if err := need(16, "inherited object type GUID"); err != nil {
				return ACE{}, err
			}
			copy(a.InheritedObjectType[:], b[p:])
			p += 16
		}
	}
	sid, _, err := ParseSID(b[p:])
	if err != nil {
		return ACE{}, malformed("trustee at offset %d: %s", off+p, trimPrefix(err))
	}
	a.SID = sid
	return a, nil
}

// trimPrefix drops the "ntsd: " of a nested error so messages read as one
// sentence.
func trimPrefix(err error) string {
	if pe, ok := err.(*parseError); ok {
		return pe.msg
	}
	return err.Error()
}

// NewInheritableObjectAllow builds the OU-grant shape: an
// ACCESS_ALLOWED_OBJECT_ACE, container-inherit + inherit-only (it applies
// to no object where it is written, only to descendants), with objectType
// (the attribute) and inheritedObjectType (the one class it reaches).
func NewInheritableObjectAllow(mask uint32, objectType, inheritedObjectType GUID, sid SID) ACE {
	return ACE{
		Type:                AccessAllowedObject,
		Flags:               ContainerInherit | InheritOnly,
		Mask:                mask,
		ObjectFlags:         ObjectTypePresent | InheritedObjectTypePresent,
		ObjectType:          objectType,
		InheritedObjectType: inheritedObjectType,
		SID:                 sid,
	}
}

// InheritedCopy is the ACE a child object receives from an inheritable
// ACE of its parent (MS-DTYP 2.5.3.4.1): INHERITED_ACE set, and
// INHERIT_ONLY cleared when applies (the child is of the inherited object
// type, or none is named); otherwise it stays inherit-only and only passes
// further down. It does not handle NO_PROPAGATE_INHERIT (the tool never
// writes it).
func InheritedCopy(a ACE, applies bool) ACE {
	c := a
	c.raw = nil
	c.Flags |= Inherited
	if applies {
		c.Flags &^= InheritOnly
	}
	return c
}
