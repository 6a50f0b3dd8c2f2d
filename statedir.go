package main

import (
	"errors"

	"entra8344/remediate"
)

// hostApprovalKey is this host's approval key from the state directory.
// The state directory (ACL SYSTEM + Administrators only) is created by
// internal/winhost; until a build has it, live runs issue tokens only under
// an MSP-wide key.
func hostApprovalKey() ([]byte, error) {
	return nil, errors.New("this build keeps no per-host approval key yet; set " + remediate.EnvApprovalKey + " (an MSP-wide key) to approve plans")
}
