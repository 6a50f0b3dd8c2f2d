package ntsd

import (
	"bytes"
	"encoding/binary"
)

// ACL revisions (MS-DTYP 2.4.5). An ACL that holds object ACEs must be
// ACL_REVISION_DS.
const (
	ACLRevision   byte = 2
	ACLRevisionDS byte = 4
)

// maxACLSize is the largest AclSize the 16-bit header field can carry.
const maxACLSize = 0xFFFF

// ACL is a DACL or SACL (MS-DTYP 2.4.5).
type ACL struct {
	Revision byte // 2 or 4 (3 is accepted when parsing); ACLs with object ACEs must be 4
	ACEs     []ACE

	sbz1  byte
	sbz2  uint16
	slack []byte // bytes inside AclSize after the last ACE, kept verbatim

	// forced remembers that Insert raised the revision to 4 for an object
	// ACE, so that Remove can put it back once that ACE is gone.
	forced *forcedRevision
}

type forcedRevision struct {
	from    byte // revision before Insert raised it
	objects int  // object ACEs the ACL held before that Insert
}

// parseACL decodes the ACL that starts at b[0]; off is its offset in the
// descriptor and name ("DACL"/"SACL") is used in error messages. It returns
// the ACL and its size (AclSize).
func parseACL(b []byte, off int, name string) (*ACL, int, error) {
	if len(b) < 8 {
		return nil, 0, malformed("%s at offset %d: ACL header needs 8 bytes, only %d remain", name, off, len(b))
	}
	l := &ACL{Revision: b[0], sbz1: b[1], sbz2: binary.LittleEndian.Uint16(b[6:])}
	size := int(binary.LittleEndian.Uint16(b[2:]))
	count := int(binary.LittleEndian.Uint16(b[4:]))
	if l.Revision < 2 || l.Revision > 4 {
		return nil, 0, malformed("%s at offset %d: ACL revision %d is not 2, 3 or 4", name, off, l.Revision)
	}
	if size < 8 {
		return nil, 0, malformed("%s at offset %d: AclSize %d is smaller than the 8-byte header", name, off, size)
	}
	if size > len(b) {
		return nil, 0, malformed("%s at offset %d: AclSize %d but only %d bytes remain", name, off, size, len(b))
	}
	// Each ACE needs at least its 4-byte header; refusing impossible counts
	// up front keeps hostile input from making us allocate for them.
	if count > (size-8)/4 {
		return nil, 0, malformed("%s at offset %d: %d ACEs cannot fit in AclSize %d", name, off, count, size)
	}
	l.ACEs = make([]ACE, 0, count)
	p := 8
	for i := 0; i < count; i++ {
		if size-p < 4 {
			return nil, 0, malformed("%s at offset %d: ACE %d at offset %d: header needs 4 bytes but only %d remain in the ACL",
				name, off, i, off+p, size-p)
		}
		aceSize := int(binary.LittleEndian.Uint16(b[p+2:]))
		if aceSize < 4 {
			return nil, 0, malformed("%s at offset %d: ACE %d at offset %d claims size %d, smaller than its 4-byte header",
				name, off, i, off+p, aceSize)
		}
		if aceSize > size-p {
			return nil, 0, malformed("%s at offset %d: ACE %d at offset %d claims size %d but only %d bytes remain in the ACL",
				name, off, i, off+p, aceSize, size-p)
		}
		a, err := parseACE(b[p:p+aceSize], off+p)
		if err != nil {
			return nil, 0, malformed("%s at offset %d: ACE %d at offset %d (type 0x%02x, size %d): %s",
				name, off, i, off+p, b[p], aceSize, trimPrefix(err))
		}
		l.ACEs = append(l.ACEs, a)
		p += aceSize
	}
	if p < size {
		l.slack = b[p:size:size]
	}
	return l, size, nil
}

// Len is the encoded size of the ACL (what AclSize will say).
func (l *ACL) Len() int {
	n := 8 + len(l.slack)
	for _, a := range l.ACEs {
		n += a.size()
	}
	return n
}

// Bytes encodes the ACL: header, ACEs, then any slack Parse found after the
// last ACE. An ACL grown past 65535 bytes by editing ACEs directly cannot be
// encoded faithfully (AclSize is 16 bits); Insert refuses to get there.
func (l *ACL) Bytes() []byte {
	body := make([]byte, 8, l.Len())
	for _, a := range l.ACEs {
		body = append(body, a.Bytes()...)
	}
	body = append(body, l.slack...)
	body[0], body[1] = l.Revision, l.sbz1
	binary.LittleEndian.PutUint16(body[2:], uint16(len(body)))
	binary.LittleEndian.PutUint16(body[4:], uint16(len(l.ACEs)))
	binary.LittleEndian.PutUint16(body[6:], l.sbz2)
	return body
}

// Index returns the position of the first ACE byte-equal to a, or -1.
func (l *ACL) Index(a ACE) int {
	want := a.Bytes()
	for i, x := range l.ACEs {
		if bytes.Equal(x.Bytes(), want) {
			return i
		}
	}
	return -1
}

// lastIndex returns the position of the last ACE byte-equal to a, or -1.
func (l *ACL) lastIndex(a ACE) int {
	want := a.Bytes()
	for i := len(l.ACEs) - 1; i >= 0; i-- {
		if bytes.Equal(l.ACEs[i].Bytes(), want) {
			return i
		}
	}
	return -1
}

// Insert adds a at its canonical position (MS "Order of ACEs in a DACL":
// explicit deny, explicit allow, inherited) and returns its index:
//   - an inherited ACE goes to the end;
//   - an explicit deny goes right after the last explicit deny (index 0 if
//     there is none);
//   - any other explicit ACE goes right after the last explicit ACE, i.e.
//     before the first inherited ACE in a canonical ACL. In a non-canonical
//     ACL this keeps every explicit deny in front of the new ACE, so the
//     insert never lets an allow overtake a deny.
//
// Inserting an object ACE into a revision 2 or 3 ACL raises the revision to
// 4 (MS-DTYP 2.4.5). Insert does not look for an equal ACE already present:
// callers decide about idempotence with Index. It returns -1 and changes
// nothing if the ACL would outgrow the 16-bit AclSize.
func (l *ACL) Insert(a ACE) int {
	if l.Len()+a.size() > maxACLSize || len(l.ACEs) >= 0xFFFF {
		return -1
	}
	pos := l.insertPosition(a)
	if a.IsObject() && l.Revision < ACLRevisionDS {
		if l.forced == nil {
			l.forced = &forcedRevision{from: l.Revision, objects: l.countObjects()}
		}
		l.Revision = ACLRevisionDS
	}
	l.ACEs = append(l.ACEs, ACE{})
	copy(l.ACEs[pos+1:], l.ACEs[pos:])
	l.ACEs[pos] = a
	return pos
}

func (l *ACL) insertPosition(a ACE) int {
	if a.IsInherited() {
		return len(l.ACEs)
	}
	pos := 0
	for i, x := range l.ACEs {
		if x.IsInherited() {
			continue
		}
		if !a.IsDeny() || x.IsDeny() {
			pos = i + 1
		}
	}
	return pos
}

func (l *ACL) countObjects() int {
	n := 0
	for _, x := range l.ACEs {
		if x.IsObject() {
			n++
		}
	}
	return n
}

// Remove deletes exactly one ACE byte-equal to a and reports whether it
// found one. It removes the last such ACE: Insert places a new ACE after
// every explicit ACE of its kind, so removing the last copy makes Remove the
// exact inverse of Insert even when an equal ACE was already present. If
// Insert had raised the revision for an object ACE and the ACL is back to
// as few object ACEs as it had then, the old revision is restored.
func (l *ACL) Remove(a ACE) bool {
	i := l.lastIndex(a)
	if i < 0 {
		return false
	}
	l.ACEs = append(l.ACEs[:i], l.ACEs[i+1:]...)
	if f := l.forced; f != nil && l.countObjects() <= f.objects {
		l.Revision = f.from
		l.forced = nil
	}
	return true
}
