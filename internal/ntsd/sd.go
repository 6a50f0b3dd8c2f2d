package ntsd

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// SECURITY_DESCRIPTOR Control bits (MS-DTYP 2.4.6).
const (
	ControlOwnerDefaulted       uint16 = 0x0001
	ControlGroupDefaulted       uint16 = 0x0002
	ControlDACLPresent          uint16 = 0x0004
	ControlDACLDefaulted        uint16 = 0x0008
	ControlSACLPresent          uint16 = 0x0010
	ControlSACLDefaulted        uint16 = 0x0020
	ControlDACLTrusted          uint16 = 0x0040
	ControlServerSecurity       uint16 = 0x0080
	ControlDACLAutoInheritReq   uint16 = 0x0100
	ControlSACLAutoInheritReq   uint16 = 0x0200
	ControlDACLAutoInherited    uint16 = 0x0400
	ControlSACLAutoInherited    uint16 = 0x0800
	ControlDACLProtected        uint16 = 0x1000
	ControlSACLProtected        uint16 = 0x2000
	ControlResourceManagerValid uint16 = 0x4000
	ControlSelfRelative         uint16 = 0x8000
)

// headerSize is the fixed part of a self-relative descriptor.
const headerSize = 20

// SecurityDescriptor is a self-relative security descriptor (MS-DTYP 2.4.6).
// Change the exported fields freely; Marshal re-encodes only what changed.
// Control is written as it is: when adding or dropping a DACL or SACL, set
// or clear ControlDACLPresent / ControlSACLPresent yourself.
type SecurityDescriptor struct {
	Revision, Sbz1 byte
	Control        uint16
	Owner, Group   *SID // nil when absent (offset 0, e.g. read with SD flags = DACL only)
	SACL, DACL     *ACL // nil when absent

	orig  []byte      // the bytes Parse read; nil for a descriptor built by hand
	parts [4]partSpan // where each part sat in orig
	ctrl  uint16      // Control as read, to notice changes
}

// part indexes into SecurityDescriptor.parts, in header offset order.
const (
	partOwner = iota
	partGroup
	partSACL
	partDACL
)

var partNames = [4]string{"owner", "group", "SACL", "DACL"}

// partSpan is a part's place in the original bytes; off 0 = absent.
type partSpan struct{ off, size int }

// Parse decodes a self-relative security descriptor. It never panics; on
// malformed input it returns an error that wraps ErrMalformed and names the
// part, the ACE and the offset that are wrong. Bytes after the parts and
// gaps between them are allowed and kept for Marshal.
func Parse(b []byte) (*SecurityDescriptor, error) {
	if len(b) < headerSize {
		return nil, malformed("security descriptor needs a %d-byte header, have %d bytes", headerSize, len(b))
	}
	sd := &SecurityDescriptor{
		Revision: b[0],
		Sbz1:     b[1],
		Control:  binary.LittleEndian.Uint16(b[2:]),
		orig:     bytes.Clone(b),
	}
	sd.ctrl = sd.Control
	// Decode from our own copy: ACEs and ACL slack keep sub-slices of it,
	// so later changes to the caller's buffer cannot reach them.
	b = sd.orig
	if sd.Revision != 1 {
		return nil, malformed("security descriptor revision is %d, want 1", sd.Revision)
	}
	if sd.Control&ControlSelfRelative == 0 {
		return nil, malformed("control 0x%04x lacks SE_SELF_RELATIVE (0x8000): not a self-relative security descriptor", sd.Control)
	}
	for i := range sd.parts {
		off64 := uint64(binary.LittleEndian.Uint32(b[4+4*i:]))
		if off64 == 0 {
			continue
		}
		name := partNames[i]
		if off64 < headerSize || off64 >= uint64(len(b)) {
			return nil, malformed("%s offset %d is outside the descriptor (header is %d bytes, total %d)", name, off64, headerSize, len(b))
		}
		off := int(off64)
		var size int
		switch i {
		case partOwner, partGroup:
			sid, n, err := ParseSID(b[off:])
			if err != nil {
				return nil, malformed("%s SID at offset %d: %s", name, off, trimPrefix(err))
			}
			if i == partOwner {
				sd.Owner = &sid
			} else {
				sd.Group = &sid
			}
			size = n
		case partSACL, partDACL:
			acl, n, err := parseACL(b[off:], off, name)
			if err != nil {
				return nil, err
			}
			if i == partSACL {
				sd.SACL = acl
			} else {
				sd.DACL = acl
			}
			size = n
		}
		sd.parts[i] = partSpan{off: off, size: size}
	}
	return sd, nil
}

// DACLProtected reports whether inheritance is blocked for the DACL (the
// state the AdminSDHolder protection task leaves protected accounts in).
func (sd *SecurityDescriptor) DACLProtected() bool {
	return sd.Control&ControlDACLProtected != 0
}

// encodeParts returns the current encoding of each part; nil = absent.
func (sd *SecurityDescriptor) encodeParts() [4][]byte {
	var enc [4][]byte
	if sd.Owner != nil {
		enc[partOwner] = sd.Owner.Bytes()
	}
	if sd.Group != nil {
		enc[partGroup] = sd.Group.Bytes()
	}
	if sd.SACL != nil {
		enc[partSACL] = sd.SACL.Bytes()
	}
	if sd.DACL != nil {
		enc[partDACL] = sd.DACL.Bytes()
	}
	return enc
}

// Marshal encodes the descriptor. For a parsed descriptor it is byte-exact
// where nothing changed: with no change it returns the original bytes; after
// a change the parts keep their original order, the gaps between them and
// any trailing bytes, and only offsets move. Parts that are new go at the
// end; a descriptor built by hand (or one whose parts overlapped) gets the
// layout Windows uses: header, SACL, DACL, owner, group.
func (sd *SecurityDescriptor) Marshal() []byte {
	enc := sd.encodeParts()
	if sd.orig != nil && sd.unchanged(enc) {
		return bytes.Clone(sd.orig)
	}
	if sd.orig != nil && !sd.overlapping() {
		return sd.marshalKeepingLayout(enc)
	}
	out := make([]byte, headerSize)
	var offs [4]int
	for _, i := range []int{partSACL, partDACL, partOwner, partGroup} {
		if enc[i] != nil {
			offs[i] = len(out)
			out = append(out, enc[i]...)
		}
	}
	sd.putHeader(out, offs)
	return out
}

func (sd *SecurityDescriptor) unchanged(enc [4][]byte) bool {
	if sd.Revision != sd.orig[0] || sd.Sbz1 != sd.orig[1] || sd.Control != sd.ctrl {
		return false
	}
	for i, p := range sd.parts {
		if (p.off != 0) != (enc[i] != nil) {
			return false
		}
		if p.off != 0 && !bytes.Equal(enc[i], sd.orig[p.off:p.off+p.size]) {
			return false
		}
	}
	return true
}

// present returns the indexes of the parts Parse found, in offset order.
func (sd *SecurityDescriptor) present() []int {
	var idx []int
	for i, p := range sd.parts {
		if p.off != 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return sd.parts[a].off - sd.parts[b].off })
	return idx
}

// overlapping reports whether two parts shared bytes in the original (legal
// but unusual, e.g. owner and group pointing at one SID); such a layout
// cannot be kept once a part changes size.
func (sd *SecurityDescriptor) overlapping() bool {
	end := headerSize
	for _, i := range sd.present() {
		if sd.parts[i].off < end {
			return true
		}
		end = sd.parts[i].off + sd.parts[i].size
	}
	return false
}

func (sd *SecurityDescriptor) marshalKeepingLayout(enc [4][]byte) []byte {
	out := make([]byte, headerSize, len(sd.orig)+64)
	var offs [4]int
	cursor := headerSize
	for _, i := range sd.present() {
		p := sd.parts[i]
		out = append(out, sd.orig[cursor:p.off]...) // the gap before this part
		if enc[i] != nil {
			offs[i] = len(out)
			out = append(out, enc[i]...)
		}
		cursor = p.off + p.size
	}
	out = append(out, sd.orig[cursor:]...) // trailing bytes
	for _, i := range []int{partSACL, partDACL, partOwner, partGroup} {
		if enc[i] != nil && sd.parts[i].off == 0 {
			offs[i] = len(out)
			out = append(out, enc[i]...)
		}
	}
	sd.putHeader(out, offs)
	return out
}

func (sd *SecurityDescriptor) putHeader(out []byte, offs [4]int) {
	out[0], out[1] = sd.Revision, sd.Sbz1
	binary.LittleEndian.PutUint16(out[2:], sd.Control)
	for i, o := range offs {
		binary.LittleEndian.PutUint32(out[4+4*i:], uint32(o))
	}
}
