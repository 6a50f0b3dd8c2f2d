package cli

import (
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"entra8344/internal/winhost"
	"entra8344/schema"
)

// What a run leaves on the host besides its JSON: lines in the state
// directory's rotated log file, and for detect one Application log event
// per live run with a finding. Neither may change stdout, stderr or the exit
// code: every failure here is only logged.

// withStateLog adds the state directory's log file (winhost.OpenStateLog)
// to a command's logger; the returned close function closes both. When the
// state directory or the file cannot be used, the reason goes to the
// original logger (--log-file) and the run goes on without it.
func withStateLog(l *log.Logger, closeFn func(), command string) (*log.Logger, func()) {
	f, err := winhost.OpenStateLog()
	if err != nil {
		l.Printf("state log: not written: %v", err)
		return l, closeFn
	}
	out := log.New(teeWriter{l.Writer(), f}, fmt.Sprintf("entra8344[%d] ", os.Getpid()), log.LstdFlags|log.LUTC|log.Lmicroseconds)
	out.Printf("%s started: version %s, commit %s", command, version, commit)
	return out, func() {
		f.Close()
		closeFn()
	}
}

// teeWriter writes every line to all writers; a failing one does not stop
// the others, and the caller (log.Logger) never sees an error.
type teeWriter []io.Writer

func (t teeWriter) Write(p []byte) (int, error) {
	for _, w := range t {
		w.Write(p)
	}
	return len(p), nil
}

// detectEvents maps detect's exit code to its event; exit 0 writes none.
var detectEvents = map[int]struct {
	id    winhost.EventID
	level winhost.EventLevel
}{
	exitRemedy:  {winhost.EventDetectRemediable, winhost.EventWarning},
	exitPerson:  {winhost.EventDetectNeedsPerson, winhost.EventWarning},
	exitUnknown: {winhost.EventDetectError, winhost.EventError},
}

// reportDetect writes the event of a live detect run with a finding (a
// replay is not this host's state, so it writes none) and logs the outcome.
func reportDetect(l *log.Logger, v *schema.Verdict, live bool) {
	ev, ok := detectEvents[v.ExitCode]
	switch {
	case !ok:
		return
	case !live:
		l.Printf("event log: none for a replay (status %s)", v.Status)
		return
	}
	if err := winhost.ReportEvent(ev.id, ev.level, detectEventMessage(v)); err != nil {
		l.Printf("event log: %v", err)
		return
	}
	l.Printf("event log: wrote event %d (%s)", ev.id, ev.level)
}

// maxEventItems bounds each list in the event text; the verdict has the rest.
const maxEventItems = 20

// detectEventMessage is the event text: what an admin in Event Viewer needs
// to know without the JSON. No approval token: the event log is readable by
// more people than the RMM's output.
func detectEventMessage(v *schema.Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "entra8344 detect: %s (exit code %d)\r\n%s\r\n", v.Status, v.ExitCode, v.Summary)
	if len(v.Findings) > 0 {
		b.WriteString("\r\nFindings:\r\n")
		for i, f := range v.Findings {
			if i == maxEventItems {
				fmt.Fprintf(&b, "- ... and %d more (see the verdict)\r\n", len(v.Findings)-i)
				break
			}
			fmt.Fprintf(&b, "- %s on connector %q: %d object(s)", f.Kind, f.Connector, f.ObjectCount)
			if len(f.Attributes) > 0 {
				fmt.Fprintf(&b, ", attributes %s", strings.Join(f.Attributes, ", "))
			}
			if f.NextStep != "" {
				fmt.Fprintf(&b, ". Next: %s", f.NextStep)
			}
			b.WriteString("\r\n")
		}
	}
	if ch := v.Directory.Plan.Changes; len(ch) > 0 {
		fmt.Fprintf(&b, "\r\nPlan (remediable here: %v; the approval token is in the verdict):\r\n", v.Directory.Plan.RemediableHere)
		for i, c := range ch {
			if i == maxEventItems {
				fmt.Fprintf(&b, "- ... and %d more\r\n", len(ch)-i)
				break
			}
			fmt.Fprintf(&b, "- %s on %s", c.Action, c.TargetDN)
			if c.ACE != "" {
				fmt.Fprintf(&b, ": %s", c.ACE)
			}
			if c.Server != "" {
				fmt.Fprintf(&b, " (at %s)", c.Server)
			}
			b.WriteString("\r\n")
		}
	}
	if len(v.Errors) > 0 {
		b.WriteString("\r\nErrors:\r\n")
		for i, e := range v.Errors {
			if i == maxEventItems {
				break
			}
			fmt.Fprintf(&b, "- %s: %s\r\n", e.Code, e.Message)
		}
	}
	fmt.Fprintf(&b, "\r\nHost %s, entra8344 %s. Details: the verdict JSON and %s in the state directory.", v.Host.Computer, version, winhost.LogFileName)
	return b.String()
}
