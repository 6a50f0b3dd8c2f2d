//go:build amd64 || arm64

package wldap32

import "unsafe"

// The sizes of the C structures on 64-bit Windows (winldap.h, sspi.h),
// checked by the compiler for every amd64 and arm64 build: an index out of
// range (too big) or a negative constant (too small) fails the build.
var (
	_ = [1]int{}[unsafe.Sizeof(berval{})-16]
	_ = [1]int{}[unsafe.Sizeof(ldapControlW{})-32]
	_ = [1]int{}[unsafe.Sizeof(ldapModW{})-24]
	_ = [1]int{}[unsafe.Sizeof(lTimeval{})-8]
	_ = [1]int{}[unsafe.Sizeof(secWinntAuthIdentityW{})-48]
)
