package winhost

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// EventSource is the Windows Application log source entra8344 writes as.
// It is registered on first use (HKLM\SYSTEM\CurrentControlSet\Services\
// EventLog\Application\entra8344, which needs SYSTEM or an elevated
// administrator) with EventMessageFile, Windows' own generic message file:
// its message for every id from 1 to 1000 is the single insertion string,
// so Event Viewer shows our text as written and we ship no message DLL.
const EventSource = "entra8344"

// EventMessageFile is the EventMessageFile value of the registered source.
const EventMessageFile = `%SystemRoot%\System32\EventCreate.exe`

// EventID is an Application log event id; with EventMessageFile it must be
// from 1 to 1000. The README's event table lists every id below; a test
// keeps the two in step.
type EventID uint32

// Event ids. 1xx: detect (one event per live run with a finding);
// 2xx: remediate, one per step that changes something, and its outcome;
// 3xx: revert. Every remediate/revert message names the journal id and,
// for ACE changes, the object's DN and the ACE in SDDL.
const (
	EventDetectRemediable  EventID = 100 // Warning: findings this host can fix with an approval token (exit 2)
	EventDetectNeedsPerson EventID = 101 // Warning: findings that need a person (exit 1)
	EventDetectError       EventID = 102 // Error: detect could not tell (exit 3)

	EventRemediateACEAdded    EventID = 200 // Information: the ACE was added (DN, ACE, journal id)
	EventRemediateProtectTask EventID = 201 // Information: the protection task was triggered on the PDC emulator
	EventRemediateSyncStarted EventID = 202 // Information: a delta sync cycle was started
	EventRemediateVerified    EventID = 203 // Information: the fix was read back and verified
	EventRemediatePending     EventID = 204 // Warning: applied, verification still pending
	EventRemediateACERemoved  EventID = 205 // Information: the cleanup removed a stale connector ACE (DN, ACE, journal id)
	EventRemediateRefused     EventID = 210 // Warning: refused, nothing changed (e.g. plan no longer matches the token)
	EventRemediateFailed      EventID = 211 // Error: a step failed; the journal says what state AD is in
	EventRevertACERemoved     EventID = 300 // Information: revert removed the ACE it had added (DN, ACE, journal id)
	EventRevertFailed         EventID = 301 // Error: revert failed; the journal says what state AD is in
	EventRevertNothingToDo    EventID = 302 // Information: revert found nothing of ours to remove
)

const (
	maxEventCreateID   EventID = 1000
	eventReportTimeout         = 10 * time.Second
	// maxEventChars: ReportEvent takes up to 31,839 characters per string.
	maxEventChars  = 31000
	truncatedMark  = "\n[truncated]"
	eventSourceKey = `SYSTEM\CurrentControlSet\Services\EventLog\Application`
	// eventTypesSupported: error, warning and information events.
	eventTypesSupported uint32 = 7
)

// Events lists every event id with its level and meaning, for the README
// table and its test.
var Events = []struct {
	ID      EventID
	Level   EventLevel
	Meaning string
}{
	{EventDetectRemediable, EventWarning, "detect: a finding this host can fix; the verdict carries the approval token (exit 2)"},
	{EventDetectNeedsPerson, EventWarning, "detect: a finding that needs a person (exit 1)"},
	{EventDetectError, EventError, "detect: could not tell (collection error, exit 3)"},
	{EventRemediateACEAdded, EventInfo, "remediate: the ACE was added (DN, ACE in SDDL, journal id)"},
	{EventRemediateProtectTask, EventInfo, "remediate: the protection task was triggered on the PDC emulator"},
	{EventRemediateSyncStarted, EventInfo, "remediate: a delta sync cycle was started"},
	{EventRemediateVerified, EventInfo, "remediate: fixed and verified"},
	{EventRemediatePending, EventWarning, "remediate: applied, verification still pending"},
	{EventRemediateACERemoved, EventInfo, "remediate: the cleanup removed a stale connector-account ACE (DN, ACE in SDDL, journal id)"},
	{EventRemediateRefused, EventWarning, "remediate: refused, nothing changed"},
	{EventRemediateFailed, EventError, "remediate: a step failed; the journal says what state AD is in"},
	{EventRevertACERemoved, EventInfo, "revert: the ACE entra8344 had added was removed (DN, ACE in SDDL, journal id)"},
	{EventRevertFailed, EventError, "revert: failed; the journal says what state AD is in"},
	{EventRevertNothingToDo, EventInfo, "revert: nothing of ours to remove"},
}

// EventLevel is an event's type in the log.
type EventLevel int

const (
	EventInfo EventLevel = iota
	EventWarning
	EventError
)

func (l EventLevel) String() string {
	switch l {
	case EventInfo:
		return "information"
	case EventWarning:
		return "warning"
	case EventError:
		return "error"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// ErrEventSourceNotRegistered is wrapped by ReportEvent's error when the
// event WAS written but the source is not registered and could not be
// (not SYSTEM or elevated): Windows accepts events from unregistered
// sources; only the message file is missing.
var ErrEventSourceNotRegistered = errors.New("the event source " + EventSource + " is not registered")

// ReportEvent writes one event to the Application log as EventSource,
// registering the source first when it is missing. It is made for callers
// whose real output is elsewhere: it never panics, returns within about 10
// seconds whatever the event log service does, and its error is only for
// the log file (errors.Is ErrEventSourceNotRegistered: written, but without
// the message file). Never let it change a command's JSON or exit code.
//
// message is the whole event text (Event Viewer's "General" tab); NUL
// characters are dropped and text beyond about 31,000 characters is cut.
func ReportEvent(id EventID, level EventLevel, message string) error {
	return eventWriter{source: EventSource, b: platformEvents{}, timeout: eventReportTimeout}.report(id, level, message)
}

// EventSourceStatus is whether EventSource is registered (doctor prints it).
type EventSourceStatus struct {
	Source      string `json:"source"`
	Registered  *bool  `json:"registered"`
	MessageFile string `json:"message_file"`
	Problem     string `json:"problem"`
}

// CheckEventSource looks the source up without registering it.
func CheckEventSource() EventSourceStatus {
	return checkEventSource(platformEvents{}, EventSource)
}

func checkEventSource(b eventBackend, source string) EventSourceStatus {
	st := EventSourceStatus{Source: source}
	file, ok, err := b.lookup(source)
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	st.Registered, st.MessageFile = &ok, file
	if !ok {
		st.Problem = "not registered yet: the first live detect with a finding registers it (as SYSTEM or an elevated administrator)"
	}
	return st
}

// eventBackend is the event log as eventWriter uses it; tests fake it.
type eventBackend interface {
	// lookup reads the source's registration: its message file, and
	// whether it exists (false with a nil error: not registered).
	lookup(source string) (messageFile string, registered bool, err error)
	register(source string) error
	// write is RegisterEventSource + ReportEvent + DeregisterEventSource.
	write(source string, id EventID, level EventLevel, message string) error
}

type eventWriter struct {
	source  string
	b       eventBackend
	timeout time.Duration
}

func (w eventWriter) report(id EventID, level EventLevel, message string) error {
	if id < 1 || id > maxEventCreateID {
		return fmt.Errorf("event id %d: must be from 1 to %d (the ids of %s)", id, maxEventCreateID, EventMessageFile)
	}
	if level < EventInfo || level > EventError {
		return fmt.Errorf("event %d: unknown level %d", id, int(level))
	}
	msg := eventText(message)
	done := make(chan error, 1) // buffered: a late answer must not block the goroutine forever
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("event %d: the event log call panicked: %v", id, r)
			}
		}()
		done <- w.write(id, level, msg)
	}()
	timer := time.NewTimer(w.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("event %d: the event log did not answer within %s; giving up", id, w.timeout)
	}
}

func (w eventWriter) write(id EventID, level EventLevel, msg string) error {
	var regErr error
	if _, ok, err := w.b.lookup(w.source); err != nil || !ok {
		if rerr := w.b.register(w.source); rerr != nil {
			regErr = errors.Join(err, rerr)
		}
	}
	if err := w.b.write(w.source, id, level, msg); err != nil {
		if regErr != nil {
			return fmt.Errorf("event %d was not written to the Application log: %w (registering the source %s also failed: %v)", id, err, w.source, regErr)
		}
		return fmt.Errorf("event %d was not written to the Application log: %w", id, err)
	}
	if regErr != nil {
		return fmt.Errorf("%w (%v); event %d was written, and Event Viewer shows its text after a note that the description cannot be found", ErrEventSourceNotRegistered, regErr, id)
	}
	return nil
}

// eventText drops NULs (ReportEvent strings are NUL-terminated) and cuts
// the text to what one insertion string may hold, counted in UTF-16 units.
func eventText(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= maxEventChars { // a rune never takes more UTF-16 units than UTF-8 bytes
		return s
	}
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > maxEventChars-len(truncatedMark) {
			return s[:i] + truncatedMark
		}
	}
	return s
}
