package ntsd

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// SDDLContext names the domains that domain-relative SDDL aliases refer to.
type SDDLContext struct {
	// Domain resolves LA, LG, DA, DU, DG, DC, DD, CA, PA, CN, AP, KA, RS.
	Domain *SID
	// RootDomain resolves the forest-wide groups EA, SA, EK, RO. Windows
	// prints them numerically in practice (a WS2022 AdminSDHolder dump reads
	// "...;;;S-1-5-21-...-519)" next to "DA"), which is why SDDL(domain)
	// leaves this nil.
	RootDomain *SID
}

// SDDL renders the descriptor as Windows does, "O:DAG:DAD:PAI(A;;...)S:AI(...)",
// using domain (may be nil) for domain-relative aliases. Owner, group, DACL
// and SACL are omitted when absent; a DACL marked present but NULL renders
// as "D:NO_ACCESS_CONTROL". It is for people and logs, never parsed back.
func (sd *SecurityDescriptor) SDDL(domain *SID) string {
	return sd.SDDLWith(SDDLContext{Domain: domain})
}

// SDDLWith is SDDL with forest-root aliases as well.
func (sd *SecurityDescriptor) SDDLWith(c SDDLContext) string {
	var sb strings.Builder
	if sd.Owner != nil {
		sb.WriteString("O:")
		sb.WriteString(c.SID(*sd.Owner))
	}
	if sd.Group != nil {
		sb.WriteString("G:")
		sb.WriteString(c.SID(*sd.Group))
	}
	if sd.Control&ControlDACLPresent != 0 {
		sb.WriteString("D:")
		c.writeACL(&sb, sd.DACL, sd.Control&ControlDACLProtected != 0,
			sd.Control&ControlDACLAutoInheritReq != 0, sd.Control&ControlDACLAutoInherited != 0)
	}
	if sd.Control&ControlSACLPresent != 0 {
		sb.WriteString("S:")
		c.writeACL(&sb, sd.SACL, sd.Control&ControlSACLProtected != 0,
			sd.Control&ControlSACLAutoInheritReq != 0, sd.Control&ControlSACLAutoInherited != 0)
	}
	return sb.String()
}

func (c SDDLContext) writeACL(sb *strings.Builder, l *ACL, protected, autoReq, auto bool) {
	if protected {
		sb.WriteString("P")
	}
	if autoReq {
		sb.WriteString("AR")
	}
	if auto {
		sb.WriteString("AI")
	}
	if l == nil {
		sb.WriteString("NO_ACCESS_CONTROL")
		return
	}
	for _, a := range l.ACEs {
		sb.WriteString(a.SDDLWith(c))
	}
}

// SDDL renders one ACE in parentheses,
// "(OA;;WP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;S-1-5-21-...)".
// An ACE of a type this package does not decode renders its type name (or
// 0xNN), its flags and "raw:" plus the hex of its body: not valid SDDL, on
// purpose, since its meaning is unknown here.
func (a ACE) SDDL(domain *SID) string {
	return a.SDDLWith(SDDLContext{Domain: domain})
}

// SDDLWith is ACE.SDDL with forest-root aliases as well.
func (a ACE) SDDLWith(c SDDLContext) string {
	var sb strings.Builder
	sb.WriteByte('(')
	if name, ok := aceTypeNames[a.Type]; ok {
		sb.WriteString(name)
	} else {
		sb.WriteString("0x" + strconv.FormatUint(uint64(a.Type), 16))
	}
	sb.WriteByte(';')
	sb.WriteString(aceFlagsString(a.Flags))
	sb.WriteByte(';')
	if !a.Known() {
		sb.WriteString("raw:")
		sb.WriteString(hex.EncodeToString(a.Bytes()[4:]))
		sb.WriteByte(')')
		return sb.String()
	}
	sb.WriteString(MaskString(a.Mask))
	sb.WriteByte(';')
	if a.IsObject() && a.ObjectFlags&ObjectTypePresent != 0 {
		sb.WriteString(a.ObjectType.String())
	}
	sb.WriteByte(';')
	if a.IsObject() && a.ObjectFlags&InheritedObjectTypePresent != 0 {
		sb.WriteString(a.InheritedObjectType.String())
	}
	sb.WriteByte(';')
	sb.WriteString(c.SID(a.SID))
	sb.WriteByte(')')
	return sb.String()
}

// MaskString renders an access mask the way Windows does in SDDL: letters in
// bit order when every set bit has one, else a whole-mask file name (FA, FR,
// FW, FX) when it matches exactly, else 0x and lower-case hex.
func MaskString(m uint32) string {
	var sb strings.Builder
	rest := m
	for _, l := range maskLetters {
		if m&l.bit != 0 {
			sb.WriteString(l.name)
			rest &^= l.bit
		}
	}
	if rest == 0 {
		return sb.String()
	}
	for _, f := range fileMasks {
		if m == f.mask {
			return f.name
		}
	}
	return "0x" + strconv.FormatUint(uint64(m), 16)
}

// aceFlagsString renders AceFlags; a flag byte with bits SDDL has no letter
// for is printed as hex so that nothing is silently dropped.
func aceFlagsString(f byte) string {
	var sb strings.Builder
	rest := f
	for _, l := range aceFlagLetters {
		if f&l.bit != 0 {
			sb.WriteString(l.name)
			rest &^= l.bit
		}
	}
	if rest != 0 {
		return "0x" + strconv.FormatUint(uint64(f), 16)
	}
	return sb.String()
}

// SID renders a SID as its SDDL alias when it has one in this context, else
// in S-1-... form.
func (c SDDLContext) SID(s SID) string {
	str := s.String()
	if alias, ok := wellKnownAliases[str]; ok {
		return alias
	}
	if c.Domain != nil {
		if rid, ok := s.inDomain(*c.Domain); ok {
			if alias, ok := domainAliases[rid]; ok {
				return alias
			}
		}
	}
	if c.RootDomain != nil {
		if rid, ok := s.inDomain(*c.RootDomain); ok {
			if alias, ok := rootDomainAliases[rid]; ok {
				return alias
			}
		}
	}
	return str
}
