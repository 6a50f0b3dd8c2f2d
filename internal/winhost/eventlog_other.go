//go:build !windows

package winhost

import "errors"

// errNoEventLog: the Windows event log exists only on Windows.
var errNoEventLog = errors.New("the Windows event log exists only on Windows")

type platformEvents struct{}

func (platformEvents) lookup(string) (string, bool, error) { return "", false, errNoEventLog }
func (platformEvents) register(string) error               { return errNoEventLog }
func (platformEvents) write(string, EventID, EventLevel, string) error {
	return errNoEventLog
}
