package memdir

import (
	"encoding/binary"
	"errors"
	"fmt"

	"entra8344/internal/ldap"
)

// What a DC does with the SD flags control, on the level of the four parts
// of a self-relative security descriptor (no ACL semantics: memdir never
// merges inherited ACEs or re-sorts a DACL).

// Control bits that belong to each part (SE_* in MS-DTYP 2.4.6).
const (
	ctlOwner = 0x0001
	ctlGroup = 0x0002
	ctlDACL  = 0x0004 | 0x0008 | 0x0100 | 0x0400 | 0x1000
	ctlSACL  = 0x0010 | 0x0020 | 0x0200 | 0x0800 | 0x2000
	ctlSelf  = 0x8000
)

type sdParts struct {
	control uint16
	owner   []byte // nil: absent
	group   []byte
	sacl    []byte
	dacl    []byte
}

func partBits(flags byte) uint16 {
	var m uint16
	if flags&ldap.SDOwner != 0 {
		m |= ctlOwner
	}
	if flags&ldap.SDGroup != 0 {
		m |= ctlGroup
	}
	if flags&ldap.SDDACL != 0 {
		m |= ctlDACL
	}
	if flags&ldap.SDSACL != 0 {
		m |= ctlSACL
	}
	return m
}

// parseSD splits a self-relative security descriptor into its parts.
func parseSD(b []byte) (sdParts, error) {
	if len(b) < 20 {
		return sdParts{}, errors.New("security descriptor shorter than its 20-byte header")
	}
	if b[0] != 1 {
		return sdParts{}, fmt.Errorf("security descriptor revision %d, want 1", b[0])
	}
	p := sdParts{control: binary.LittleEndian.Uint16(b[2:])}
	if p.control&ctlSelf == 0 {
		return sdParts{}, errors.New("security descriptor is not self-relative")
	}
	var err error
	get := func(off int, sid bool) []byte {
		o := int(binary.LittleEndian.Uint32(b[off:]))
		if o == 0 || err != nil {
			return nil
		}
		if o < 20 || o+8 > len(b) {
			err = fmt.Errorf("offset %d outside the %d-byte descriptor", o, len(b))
			return nil
		}
		n := int(binary.LittleEndian.Uint16(b[o+2:])) // ACL size
		if sid {
			n = 8 + 4*int(b[o+1])
		}
		if n < 8 || o+n > len(b) {
			err = fmt.Errorf("part at offset %d (%d bytes) exceeds the %d-byte descriptor", o, n, len(b))
			return nil
		}
		return b[o : o+n]
	}
	p.owner = get(4, true)
	p.group = get(8, true)
	p.sacl = get(12, false)
	p.dacl = get(16, false)
	return p, err
}

// marshal lays the parts out as Windows does: header, SACL, DACL, owner, group.
func (p sdParts) marshal() []byte {
	out := make([]byte, 20, 20+len(p.sacl)+len(p.dacl)+len(p.owner)+len(p.group))
	out[0] = 1
	binary.LittleEndian.PutUint16(out[2:], p.control|ctlSelf)
	for _, part := range []struct {
		off  int
		data []byte
	}{{12, p.sacl}, {16, p.dacl}, {4, p.owner}, {8, p.group}} {
		if part.data == nil {
			continue
		}
		binary.LittleEndian.PutUint32(out[part.off:], uint32(len(out)))
		out = append(out, part.data...)
	}
	return out
}

func (p sdParts) only(flags byte) sdParts {
	q := sdParts{control: p.control &^ (partBits(^flags & 0xf))}
	if flags&ldap.SDOwner != 0 {
		q.owner = p.owner
	}
	if flags&ldap.SDGroup != 0 {
		q.group = p.group
	}
	if flags&ldap.SDSACL != 0 {
		q.sacl = p.sacl
	}
	if flags&ldap.SDDACL != 0 {
		q.dacl = p.dacl
	}
	return q
}

// selectSD returns the parts of sd that the flags ask for. When sd holds
// nothing else (e.g. it was recorded with the same flags) it comes back
// byte for byte; an unparsable value is returned as stored.
func selectSD(sd []byte, flags byte) []byte {
	p, err := parseSD(sd)
	if err != nil {
		return sd
	}
	if (p.owner == nil || flags&ldap.SDOwner != 0) && (p.group == nil || flags&ldap.SDGroup != 0) &&
		(p.sacl == nil || flags&ldap.SDSACL != 0) && (p.dacl == nil || flags&ldap.SDDACL != 0) &&
		p.control&partBits(^flags&0xf) == 0 {
		return sd
	}
	return p.only(flags).marshal()
}

// mergeSD is a modify of nTSecurityDescriptor with the SD flags: the parts
// named by flags come from the new value, the others stay as stored.
func mergeSD(old, new []byte, flags byte) ([]byte, error) {
	np, err := parseSD(new)
	if err != nil {
		return nil, err
	}
	if flags == 0xf {
		return new, nil
	}
	if old == nil {
		return np.only(flags).marshal(), nil
	}
	op, err := parseSD(old)
	if err != nil {
		return nil, fmt.Errorf("stored value: %w", err)
	}
	keep := op.only(^flags & 0xf)
	take := np.only(flags)
	m := sdParts{control: keep.control&^partBits(flags) | take.control&partBits(flags)}
	m.owner, m.group, m.sacl, m.dacl = keep.owner, keep.group, keep.sacl, keep.dacl
	if flags&ldap.SDOwner != 0 {
		m.owner = take.owner
	}
	if flags&ldap.SDGroup != 0 {
		m.group = take.group
	}
	if flags&ldap.SDSACL != 0 {
		m.sacl = take.sacl
	}
	if flags&ldap.SDDACL != 0 {
		m.dacl = take.dacl
	}
	return m.marshal(), nil
}

// sdFlags finds the SD flags control: its flags (15 when absent or 0), and
// whether it was sent.
func sdFlags(controls []ldap.Control) (byte, bool, error) {
	for _, c := range controls {
		if c.OID != ldap.OIDSDFlags {
			continue
		}
		v := c.Value
		// SEQUENCE { INTEGER } with short lengths; the integer may take up to 4 bytes.
		if len(v) < 5 || v[0] != 0x30 || int(v[1]) != len(v)-2 || v[2] != 0x02 || v[3] == 0 || v[3] > 4 || int(v[3]) != len(v)-4 {
			return 0, true, fmt.Errorf("malformed SD flags control value %x", v)
		}
		var n uint32
		for _, b := range v[4:] {
			n = n<<8 | uint32(b)
		}
		f := byte(n & 0xf)
		if f == 0 {
			f = 0xf
		}
		return f, true, nil
	}
	return 0xf, false, nil
}
