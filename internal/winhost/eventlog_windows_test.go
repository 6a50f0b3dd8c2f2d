package winhost

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"
	xeventlog "golang.org/x/sys/windows/svc/eventlog"
)

// TestEventLogLive goes through the real advapi32 and registry: the source
// is missing, ReportEvent registers it with EventCreate.exe and writes one
// event of each level, CheckEventSource sees it. A test source is used and
// removed again. It writes to HKLM, so it runs under Wine (a throw-away
// prefix) and on a real Windows host only with ENTRA8344_TEST_EVENTLOG=1,
// elevated.
func TestEventLogLive(t *testing.T) {
	if !underWine() && os.Getenv("ENTRA8344_TEST_EVENTLOG") != "1" {
		t.Skip("writes HKLM and the Application log: runs under Wine, or with ENTRA8344_TEST_EVENTLOG=1 on a Windows test host")
	}
	source := fmt.Sprintf("entra8344-test-%d", os.Getpid())
	b := platformEvents{}
	t.Cleanup(func() {
		if err := xeventlog.Remove(source); err != nil && !errors.Is(err, registry.ErrNotExist) {
			t.Errorf("remove test source: %v", err)
		}
	})
	if st := checkEventSource(b, source); st.Registered == nil || *st.Registered {
		t.Fatalf("test source exists before the test: %+v", st)
	}
	w := eventWriter{source: source, b: b, timeout: 30 * time.Second}
	for _, l := range []EventLevel{EventInfo, EventWarning, EventError} {
		if err := w.report(EventDetectRemediable, l, "entra8344 test event: "+l.String()+"\nsecond line ü €"); err != nil {
			t.Fatalf("report %s: %v", l, err)
		}
	}
	st := checkEventSource(b, source)
	if st.Registered == nil || !*st.Registered || st.MessageFile != EventMessageFile {
		t.Fatalf("after the first event: %+v, want registered with %s", st, EventMessageFile)
	}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey+`\`+source, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, typ, err := k.GetStringValue("EventMessageFile"); err != nil || typ != registry.EXPAND_SZ {
		t.Errorf("EventMessageFile type %d (%v), want REG_EXPAND_SZ", typ, err)
	}
	if v, _, err := k.GetIntegerValue("TypesSupported"); err != nil || v != 7 {
		t.Errorf("TypesSupported %d (%v), want 7", v, err)
	}
	// Registering again (another process won the race) is not an error.
	if err := b.register(source); err != nil {
		t.Errorf("register an existing source: %v", err)
	}
	t.Logf("wine=%v: source %s registered, 3 events written", underWine(), source)
}

// An empty source name is refused before any event log call is made: the
// failure path of the real backend, not a fake.
func TestEventLogEmptySource(t *testing.T) {
	err := platformEvents{}.write("", EventDetectError, EventError, "x")
	if err == nil {
		t.Fatal("an event without a source was written")
	}
}
