package winhost

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// fakeEvents records calls and fails or hangs on demand.
type fakeEvents struct {
	mu          sync.Mutex
	registered  bool
	lookupErr   error
	registerErr error
	writeErr    error
	hang, panic bool
	calls       []string
	written     []string
}

func (f *fakeEvents) lookup(string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "lookup")
	if f.lookupErr != nil {
		return "", false, f.lookupErr
	}
	return EventMessageFile, f.registered, nil
}

func (f *fakeEvents) register(string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "register")
	if f.registerErr != nil {
		return f.registerErr
	}
	f.registered = true
	return nil
}

func (f *fakeEvents) write(source string, id EventID, level EventLevel, msg string) error {
	f.mu.Lock()
	f.calls = append(f.calls, "write")
	hang, pnc, err := f.hang, f.panic, f.writeErr
	f.mu.Unlock()
	if hang {
		time.Sleep(time.Hour)
	}
	if pnc {
		panic("boom")
	}
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = append(f.written, fmt.Sprintf("%s/%d/%s/%s", source, id, level, msg))
	return nil
}

var errAccessDenied = errors.New("access denied: run as SYSTEM or a local administrator")

func TestReportEvent(t *testing.T) {
	for _, c := range []struct {
		name      string
		fake      *fakeEvents
		id        EventID
		wantCalls string
		wantErr   string // "" = nil
		notReg    bool   // errors.Is ErrEventSourceNotRegistered
		written   bool
	}{
		{name: "registered", fake: &fakeEvents{registered: true}, id: EventDetectRemediable,
			wantCalls: "lookup write", written: true},
		{name: "first run as SYSTEM registers", id: EventDetectNeedsPerson,
			wantCalls: "lookup register write", written: true},
		{name: "not registered and not SYSTEM: written without message file", fake: &fakeEvents{registerErr: errAccessDenied}, id: EventDetectError,
			wantCalls: "lookup register write", wantErr: "was written", notReg: true, written: true},
		{name: "registry unreadable", fake: &fakeEvents{lookupErr: errAccessDenied, registerErr: errAccessDenied}, id: EventDetectError,
			wantCalls: "lookup register write", wantErr: "access denied", notReg: true, written: true},
		{name: "RegisterEventSource fails", fake: &fakeEvents{registered: true, writeErr: errors.New("RegisterEventSource: The RPC server is unavailable.")}, id: EventDetectRemediable,
			wantCalls: "lookup write", wantErr: "was not written to the Application log: RegisterEventSource: The RPC server"},
		{name: "nothing works", fake: &fakeEvents{registerErr: errAccessDenied, writeErr: errors.New("ReportEvent failed")}, id: EventDetectRemediable,
			wantCalls: "lookup register write", wantErr: "registering the source entra8344 also failed"},
		{name: "event log hangs", fake: &fakeEvents{registered: true, hang: true}, id: EventDetectRemediable,
			wantCalls: "lookup write", wantErr: "did not answer within"},
		{name: "event log panics", fake: &fakeEvents{registered: true, panic: true}, id: EventDetectRemediable,
			wantCalls: "lookup write", wantErr: "panicked: boom"},
		{name: "id 0", id: 0, wantErr: "must be from 1 to 1000"},
		{name: "id 1001", id: 1001, wantErr: "must be from 1 to 1000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.fake
			if f == nil {
				f = &fakeEvents{}
			}
			start := time.Now()
			err := eventWriter{source: "entra8344", b: f, timeout: 200 * time.Millisecond}.report(c.id, EventWarning, "text")
			if time.Since(start) > 2*time.Second {
				t.Errorf("report took %s", time.Since(start))
			}
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("want nil, got %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("want an error containing %q, got %v", c.wantErr, err)
			}
			if errors.Is(err, ErrEventSourceNotRegistered) != c.notReg {
				t.Errorf("errors.Is(ErrEventSourceNotRegistered) = %v, want %v (%v)", !c.notReg, c.notReg, err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if got := strings.Join(f.calls, " "); got != c.wantCalls {
				t.Errorf("calls %q, want %q", got, c.wantCalls)
			}
			if (len(f.written) == 1) != c.written {
				t.Errorf("written %v, want written=%v", f.written, c.written)
			}
		})
	}
}

func TestReportEventLevel(t *testing.T) {
	f := &fakeEvents{registered: true}
	w := eventWriter{source: "s", b: f, timeout: time.Second}
	for _, l := range []EventLevel{EventInfo, EventWarning, EventError} {
		if err := w.report(EventRevertACERemoved, l, "m"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.report(EventRevertACERemoved, EventLevel(7), "m"); err == nil {
		t.Error("level 7 accepted")
	}
	if got := strings.Join(f.written, ","); got != "s/300/information/m,s/300/warning/m,s/300/error/m" {
		t.Errorf("written %s", got)
	}
}

func TestEventText(t *testing.T) {
	if got := eventText("a\x00b"); got != "ab" {
		t.Errorf("NUL: %q", got)
	}
	long := strings.Repeat("é𝄞", 20000) // 1 + 2 UTF-16 units each: 60,000 units
	got := eventText(long)
	if n := len(utf16.Encode([]rune(got))); n > maxEventChars || n < maxEventChars-2 || !strings.HasSuffix(got, truncatedMark) {
		t.Errorf("truncated to %d UTF-16 units (suffix %q)", n, got[max(0, len(got)-20):])
	}
	if short := strings.Repeat("x", maxEventChars); eventText(short) != short {
		t.Error("a message at the limit was cut")
	}
}

func TestCheckEventSource(t *testing.T) {
	st := checkEventSource(&fakeEvents{}, "entra8344")
	if st.Registered == nil || *st.Registered || !strings.Contains(st.Problem, "not registered yet") {
		t.Errorf("unregistered: %+v", st)
	}
	st = checkEventSource(&fakeEvents{registered: true}, "entra8344")
	if st.Registered == nil || !*st.Registered || st.MessageFile != EventMessageFile || st.Problem != "" {
		t.Errorf("registered: %+v", st)
	}
	st = checkEventSource(&fakeEvents{lookupErr: errAccessDenied}, "entra8344")
	if st.Registered != nil || st.Problem == "" {
		t.Errorf("unreadable: %+v", st)
	}
}

// TestEventIDsDocumented: every id is in Events, in range, unique, and in
// the event table of docs/deploying.md with its level.
func TestEventIDsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../docs/deploying.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[EventID]bool{}
	for _, e := range Events {
		if e.ID < 1 || e.ID > maxEventCreateID || seen[e.ID] {
			t.Errorf("event id %d: out of range or listed twice", e.ID)
		}
		seen[e.ID] = true
		row := regexp.MustCompile(fmt.Sprintf(`(?m)^\| %d \| %s \|`, e.ID, e.Level))
		if !row.Match(readme) {
			t.Errorf("docs/deploying.md has no event table row starting %q", fmt.Sprintf("| %d | %s |", e.ID, e.Level))
		}
	}
	if len(seen) != 14 {
		t.Errorf("%d event ids in Events; update this test and docs/deploying.md together", len(seen))
	}
}
