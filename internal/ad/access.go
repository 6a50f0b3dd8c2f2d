package ad

import (
	"strings"

	"entra8344/internal/ntsd"
)

// Object returns the object read for dn (nil when it was not asked for).
func (s *Snapshot) Object(dn string) *Object { return s.Objects[normalDN(dn)] }

// WriteCheck is the Write-Property question a DC answers when account a
// writes attribute attr on object o: a's token, the attribute, its property
// set and o's structural class (the root of the object type list).
func (s *Snapshot) WriteCheck(a *Account, o *Object, attr *Attribute) ntsd.WriteCheck {
	return ntsd.WriteCheck{SIDs: a.SIDs(), Attribute: attr.SchemaIDGUID, PropertySet: attr.PropertySet, Class: s.ClassOf(o)}
}

// MayWrite reports whether account a may write the attribute named attr on
// the object dn, as read; false when any of them is unknown.
func (s *Snapshot) MayWrite(a *Account, dn, attr string) bool {
	o := s.Object(dn)
	at := s.Attributes[strings.ToLower(attr)]
	if a == nil || !a.Found || o == nil || !o.Found || o.SD == nil || at == nil || !at.Found {
		return false
	}
	return ntsd.CheckWriteProperty(o.SD, s.WriteCheck(a, o, at)).Allowed
}
