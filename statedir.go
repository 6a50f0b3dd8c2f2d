package main

import (
	"entra8344/internal/winhost"
	"entra8344/remediate"
)

// hostApprovalKey is this host's approval key, kept in the private state
// directory (SYSTEM and Administrators only), created on first use.
func hostApprovalKey() ([]byte, error) {
	dir, err := winhost.EnsureStateDir()
	if err != nil {
		return nil, err
	}
	return remediate.HostKey(dir)
}

// stateDirOr is the --state-dir the user gave, or the private state directory.
func stateDirOr(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return winhost.EnsureStateDir()
}
