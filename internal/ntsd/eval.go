package ntsd

import "fmt"

// Decision is the outcome of an access evaluation, with the ACE that
// decided it and a plain-English reason for the verdict text.
type Decision struct {
	Allowed bool
	ACE     int    // index in the DACL of the deciding ACE; -1 for implicit deny or no DACL
	Reason  string // e.g. "ACE 4 (OA;;WP;<guid>;;S-1-5-21-...-1109) allows Write-Property on the attribute"
	// Unevaluated lists DACL indexes of ACEs that apply to the object but
	// that this package cannot evaluate (callback/conditional ACEs, unknown
	// types). When it is non-empty the decision may differ from a DC's.
	Unevaluated []int
}

// WriteCheck describes one Write-Property question for CheckWriteProperty.
type WriteCheck struct {
	SIDs        []SID // the account's SID, its tokenGroups and the well-known SIDs it holds
	Attribute   GUID  // schemaIDGUID of the attribute
	PropertySet GUID  // attributeSecurityGUID of the attribute; zero = none
	// Class is the schemaIDGUID of the object's structural class, the root
	// of the object type list a DC builds; an object ACE for it covers
	// every property. Zero = not known (such ACEs are then not matched).
	Class GUID
	// Self is the objectSid of the object the descriptor belongs to. ACEs
	// for PRINCIPAL_SELF (S-1-5-10) match when Self is one of SIDs
	// (MS-DTYP 2.5.3.2 PrincipalSelfSubst). Zero = no substitution.
	Self SID
}

// dsGenericMapping is the directory service GENERIC_MAPPING (MS-ADTS
// 5.1.3.3.1; DS_GENERIC_* in Windows headers).
var dsGenericMapping = struct{ read, write, execute, all uint32 }{
	read:    RightReadControl | RightList | RightReadProperty | RightListObject,
	write:   RightReadControl | RightSelf | RightWriteProperty,
	execute: RightReadControl | RightList,
	all: RightDelete | RightReadControl | RightWriteDAC | RightWriteOwner |
		RightCreateChild | RightDeleteChild | RightList | RightSelf | RightReadProperty |
		RightWriteProperty | RightDeleteTree | RightListObject | RightControlAccess,
}

// mapGeneric replaces generic bits by the specific rights they stand for
// (MS-DTYP 2.5.3.2 maps generic rights with the object's GENERIC_MAPPING).
func mapGeneric(m uint32) uint32 {
	if m&GenericRead != 0 {
		m |= dsGenericMapping.read
	}
	if m&GenericWrite != 0 {
		m |= dsGenericMapping.write
	}
	if m&GenericExecute != 0 {
		m |= dsGenericMapping.execute
	}
	if m&GenericAll != 0 {
		m |= dsGenericMapping.all
	}
	return m &^ (GenericRead | GenericWrite | GenericExecute | GenericAll)
}

// inheritedObjectTypeMatters is the single place that decides whether an
// object ACE's InheritedObjectType restricts the access check. MS-DTYP
// 2.5.3.2 AccessCheck never looks at it (it only steers inheritance, MS-DTYP
// 2.5.3.4.1), and Samba ignores it too: internal/cli/sambatest checks 24
// such cases against a real Samba DC's enforcement. Were it to matter, an
// ACE naming another class than WriteCheck.Class would be skipped.
const inheritedObjectTypeMatters = false

// CanWriteProperty evaluates whether any of sids holds WRITE_PROPERTY on the
// attribute (schemaIDGUID) whose property set is propertySet (zero = none),
// as a DC's AccessCheck would (MS-DTYP 2.5.3.2). It is CheckWriteProperty
// without object class and PRINCIPAL_SELF substitution.
func CanWriteProperty(sd *SecurityDescriptor, sids []SID, attribute GUID, propertySet GUID) Decision {
	return CheckWriteProperty(sd, WriteCheck{SIDs: sids, Attribute: attribute, PropertySet: propertySet})
}

// CheckWriteProperty is CanWriteProperty with the full question.
func CheckWriteProperty(sd *SecurityDescriptor, q WriteCheck) Decision {
	if sd == nil {
		return Decision{ACE: -1, Reason: "no security descriptor to evaluate"}
	}
	// MS-DTYP 2.5.3.2: no DACL (not present, or present but NULL) grants every access.
	if sd.Control&ControlDACLPresent == 0 || sd.DACL == nil {
		return Decision{Allowed: true, ACE: -1, Reason: "the security descriptor has no DACL (NULL DACL), so access is not restricted"}
	}
	// MS-DTYP 2.5.3.2: an empty DACL grants nothing.
	if len(sd.DACL.ACEs) == 0 {
		return Decision{ACE: -1, Reason: "the DACL is empty, so nobody is granted any access (implicit deny)"}
	}
	var unevaluated []int
	for i, a := range sd.DACL.ACEs {
		// MS-DTYP 2.5.3.2: ACEs flagged INHERIT_ONLY do not apply to the object.
		if a.IsInheritOnly() {
			continue
		}
		// MS-DTYP 2.5.3.2 evaluates only allow/deny ACEs; ones we cannot read are reported, not guessed.
		if !a.Known() || a.Type > AccessDeniedObject {
			if mayGrantOrDeny(a.Type) {
				unevaluated = append(unevaluated, i)
			}
			continue
		}
		if !a.IsAllow() && !a.IsDeny() { // audit and alarm ACEs (MS-DTYP 2.4.4.1) carry no access
			continue
		}
		// MS-DTYP 2.5.3.2: an ACE applies only when its SID is in the token (PrincipalSelf substituted).
		if !q.holds(a.SID) {
			continue
		}
		// MS-DTYP 2.5.3.2: generic bits count as the rights they map to.
		mask := mapGeneric(a.Mask)
		if mask&RightWriteProperty == 0 {
			continue
		}
		scope, ok := q.scope(a)
		if !ok {
			continue
		}
		// MS-DTYP 2.5.3.2: the first ACE that allows or denies the right decides; later ACEs are not consulted.
		verb := "allows"
		if a.IsDeny() {
			verb = "denies"
		}
		via := ""
		if a.Mask&RightWriteProperty == 0 {
			via = fmt.Sprintf(" (through generic rights %s)", MaskString(a.Mask&(GenericAll|GenericWrite)))
		}
		return Decision{
			Allowed:     a.IsAllow(),
			ACE:         i,
			Reason:      fmt.Sprintf("ACE %d %s %s Write-Property %s%s", i, a.SDDL(nil), verb, scope, via),
			Unevaluated: unevaluated,
		}
	}
	return Decision{
		ACE:         -1,
		Reason:      "no ACE grants Write-Property on this attribute to any SID of the account (implicit deny)",
		Unevaluated: unevaluated,
	}
}

// mayGrantOrDeny reports whether an ACE type we skip could have changed the
// outcome: callback (conditional) allow/deny, compound, and unknown types.
func mayGrantOrDeny(t byte) bool {
	switch t {
	case SystemAudit, SystemAlarm, SystemAuditObject, SystemAlarmObject,
		0x0D, 0x0E, 0x0F, 0x10, SystemMandatoryLabel, 0x12, 0x13, 0x14, 0x15:
		return false
	}
	return true
}

// holds reports whether the ACE's trustee is one of the checked SIDs.
func (q WriteCheck) holds(trustee SID) bool {
	// MS-DTYP 2.5.3.2: PRINCIPAL_SELF stands for the object's own SID when one is given.
	if !q.Self.IsZero() && trustee.Equal(PrincipalSelf) {
		trustee = q.Self
	}
	for _, s := range q.SIDs {
		if s.Equal(trustee) {
			return true
		}
	}
	return false
}

// scope decides whether an ACE that carries Write-Property covers the
// attribute, and says how, for the reason text.
func (q WriteCheck) scope(a ACE) (string, bool) {
	// MS-DTYP 2.5.3.2: a non-object ACE applies to the whole object type list.
	if !a.IsObject() {
		return "on every property", true
	}
	if inheritedObjectTypeMatters && a.ObjectFlags&InheritedObjectTypePresent != 0 &&
		a.InheritedObjectType != q.Class {
		return "", false
	}
	// MS-DTYP 2.5.3.2: an object ACE without ObjectType applies to the whole object type list.
	if a.ObjectFlags&ObjectTypePresent == 0 {
		return "on every property (object ACE without an object type)", true
	}
	switch {
	// MS-DTYP 2.5.3.2: an object ACE applies to the list node with its GUID and that node's descendants.
	case a.ObjectType == q.Attribute:
		return "on the attribute", true
	case !q.PropertySet.IsZero() && a.ObjectType == q.PropertySet:
		return "on the property set " + q.PropertySet.String() + " that holds the attribute", true
	case !q.Class.IsZero() && a.ObjectType == q.Class:
		return "on every property of the object class " + q.Class.String(), true
	}
	return "", false
}

// Why an allow ACE that would grant the write does not apply to the object.
const (
	NotAppliedInheritOnly = "inherit-only"
	NotAppliedOtherClass  = "other-class"
)

// Ineffective is an allow ACE for one of the checked SIDs that would grant
// Write-Property on the attribute, were it not for the reason Why
// (NotApplied*) that it does not apply to the object the descriptor is on.
type Ineffective struct {
	ACE int
	Why string
}

// IneffectiveGrants lists the allow ACEs of sd that CheckWriteProperty
// skips although they name one of q's SIDs, Write-Property and the
// attribute (or its property set): inherit-only ACEs, and ACEs restricted
// to another inherited object type where that restricts the check. They
// are what makes "the permission is there" and 8344 both true.
func IneffectiveGrants(sd *SecurityDescriptor, q WriteCheck) []Ineffective {
	var out []Ineffective
	if sd == nil || sd.DACL == nil {
		return nil
	}
	for i, a := range sd.DACL.ACEs {
		if !a.Known() || !a.IsAllow() || !q.holds(a.SID) || mapGeneric(a.Mask)&RightWriteProperty == 0 {
			continue
		}
		unrestricted := a
		unrestricted.ObjectFlags &^= InheritedObjectTypePresent
		if _, ok := q.scope(unrestricted); !ok {
			continue // not about this attribute at all
		}
		switch _, ok := q.scope(a); {
		case a.IsInheritOnly():
			out = append(out, Ineffective{ACE: i, Why: NotAppliedInheritOnly})
		case !ok:
			out = append(out, Ineffective{ACE: i, Why: NotAppliedOtherClass})
		}
	}
	return out
}
