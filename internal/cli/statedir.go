package cli

import (
	"fmt"

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

// stateDirOr is the --state-dir (or ENTRA8344_STATE_DIR) the user gave, or
// the private state directory; on a live host an explicit one must be as
// private as the default (created so, or refused), because its journals
// and lock steer what runs as SYSTEM. Replays do not call this.
func stateDirOr(flag string) (string, error) {
	if flag != "" {
		if err := ensurePrivateStateDir(flag); err != nil {
			return "", fmt.Errorf("--state-dir / ENTRA8344_STATE_DIR: %w", err)
		}
		return flag, nil
	}
	return winhost.EnsureStateDir()
}
