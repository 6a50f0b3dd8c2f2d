package ntsd

// Extended rights (controlAccessRight rightsGuid values, MS-ADTS 5.1.3.2.1)
// that password writeback needs and nothing else of Entra Connect does.
var (
	ResetPasswordRight  = MustGUID("00299570-246d-11d0-a768-00aa006e0529") // User-Force-Change-Password
	ChangePasswordRight = MustGUID("ab721a53-1e2f-11d0-9819-00aa0040529b") // User-Change-Password
)

// Breadth labels of an allow ACE (AccessReview): rights broader than any
// writeback feature needs, or needed by password writeback only.
const (
	BroadFullControl      = "full-control"            // GenericAll or every specific right
	BroadWriteDACL        = "write-dacl"              // may rewrite the DACL: any right at will
	BroadWriteOwner       = "write-owner"             // may take ownership, then WriteDACL
	BroadAllProperties    = "all-properties-write"    // WriteProperty with no object type
	BroadAllExtended      = "all-extended-rights"     // ControlAccess with no object type
	PasswordWritebackOnly = "password-writeback-only" // Reset/Change Password
)

// Breadth says why an allow ACE grants more than attribute writes on named
// attributes (nil for a deny ACE, an undecoded type, or a narrow grant).
// Generic bits are mapped first, so GenericAll shows all that it implies.
func (a ACE) Breadth() []string {
	if !a.Known() || !a.IsAllow() {
		return nil
	}
	m := mapGeneric(a.Mask)
	anyObject := !a.IsObject() || a.ObjectFlags&ObjectTypePresent == 0
	var out []string
	if m&dsGenericMapping.all == dsGenericMapping.all {
		out = append(out, BroadFullControl)
	}
	if m&RightWriteDAC != 0 {
		out = append(out, BroadWriteDACL)
	}
	if m&RightWriteOwner != 0 {
		out = append(out, BroadWriteOwner)
	}
	if m&RightWriteProperty != 0 && anyObject {
		out = append(out, BroadAllProperties)
	}
	if m&RightControlAccess != 0 {
		switch {
		case anyObject:
			out = append(out, BroadAllExtended, PasswordWritebackOnly)
		case a.ObjectType == ResetPasswordRight || a.ObjectType == ChangePasswordRight:
			out = append(out, PasswordWritebackOnly)
		}
	}
	return out
}
