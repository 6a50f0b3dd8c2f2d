package remediate

import (
	"errors"
	"time"

	"golang.org/x/sys/windows"
)

// processAliveOS: OpenProcess fails with ERROR_INVALID_PARAMETER for a PID
// that does not exist; an exit code other than STILL_ACTIVE is a process
// that has ended but whose handle someone still holds; a different creation
// time is another process that reused the PID.
func processAliveOS(pid int, start time.Time) (bool, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
		return false, nil
	}
	if err != nil {
		return true, err // e.g. access denied: it exists, so assume it runs
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true, err
	}
	const stillActive = 259
	if code != stillActive {
		return false, nil
	}
	if start.IsZero() {
		return true, nil
	}
	created, err := creationTime(h)
	if err != nil {
		return true, err
	}
	return created.Equal(start), nil
}

// processStartOS is this process's creation time (zero if unavailable).
func processStartOS() time.Time {
	t, err := creationTime(windows.CurrentProcess())
	if err != nil {
		return time.Time{}
	}
	return t
}

func creationTime(h windows.Handle) (time.Time, error) {
	var c, e, k, u windows.Filetime
	if err := windows.GetProcessTimes(h, &c, &e, &k, &u); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, c.Nanoseconds()).UTC(), nil
}
