package wldap32

import (
	"slices"
	"testing"
)

// The failing call and the read of its server error must both happen
// while the OS thread is locked (wldap32 keeps the text per thread).
func TestCallWithServerErrorLocksThread(t *testing.T) {
	var events []string
	defer func(l, u func()) { lockOSThread, unlockOSThread = l, u }(lockOSThread, unlockOSThread)
	lockOSThread = func() { events = append(events, "lock") }
	unlockOSThread = func() { events = append(events, "unlock") }
	tests := []struct {
		name    string
		rc      uint32
		want    []string
		wantMsg string
	}{
		{"failure reads the error on the same thread", 49, []string{"lock", "call", "read", "unlock"}, "80090308: LdapErr"},
		{"success reads nothing", 0, []string{"lock", "call", "unlock"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events = nil
			rc, msg := callWithServerError(
				func() uint32 { events = append(events, "call"); return tt.rc },
				func() string { events = append(events, "read"); return "80090308: LdapErr" })
			if rc != tt.rc || msg != tt.wantMsg || !slices.Equal(events, tt.want) {
				t.Errorf("rc %d msg %q events %v, want %d %q %v", rc, msg, events, tt.rc, tt.wantMsg, tt.want)
			}
		})
	}
}
