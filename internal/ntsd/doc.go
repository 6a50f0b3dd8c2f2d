// Package ntsd reads, edits and explains Windows self-relative security
// descriptors as Active Directory stores them in nTSecurityDescriptor.
//
// It exists because entra8344 must answer one question offline — "does the
// connector account hold Write-Property on attribute A of this protected
// object?" — and must change exactly one ACE on AdminSDHolder without
// disturbing anything else. Hence the three promises of this package:
//
//   - Parse never panics on hostile bytes and says what failed at which offset.
//   - Marshal is byte-exact for every part that was not changed: part order,
//     gaps, ACL slack, ACE padding and ACE types this package does not
//     understand all survive, so Parse(b).Marshal() == b, and an Insert
//     followed by a Remove of the same ACE gives back b again.
//   - CanWriteProperty follows MS-DTYP 2.5.3.2 (AccessCheck) for the single
//     right WRITE_PROPERTY on one attribute, the way a DC evaluates it.
//
// SDDL is rendered for humans and logs (like Windows prints it); it is never
// parsed by production code. All binary layouts are little-endian per
// MS-DTYP 2.4 except the SID identifier authority (big-endian) and the GUID's
// last 8 bytes.
//
// The package imports only the standard library.
package ntsd

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error Parse, ParseSID and GUIDFromBytes
// return for bytes that are not a valid structure, so callers can tell
// "garbage in" from other failures with errors.Is.
var ErrMalformed = errors.New("ntsd: malformed")

// malformed builds an error that wraps ErrMalformed and reads well on its own.
func malformed(format string, args ...any) error {
	return &parseError{msg: fmt.Sprintf(format, args...)}
}

type parseError struct{ msg string }

func (e *parseError) Error() string { return "ntsd: " + e.msg }
func (e *parseError) Unwrap() error { return ErrMalformed }
