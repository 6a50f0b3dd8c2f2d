//go:build !windows

package remediate

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// processAliveOS off Windows (replays and tests): signal 0 tells whether
// the PID exists. The start time is not compared (PID reuse is covered by
// the age limit only).
func processAliveOS(pid int, _ time.Time) (bool, error) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return true, err
	}
	err = p.Signal(syscall.Signal(0))
	if err == nil || errors.Is(err, syscall.EPERM) {
		return true, nil
	}
	if errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		return false, nil
	}
	return true, err
}

func processStartOS() time.Time { return time.Time{} }
