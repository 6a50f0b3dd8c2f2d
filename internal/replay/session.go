package replay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"entra8344/internal/ldap/ldif"
)

// A replay session keeps what a live host keeps between runs: the
// directory after its writes, the simulated sync engine's last export, a
// clock that moves on, and the state directory (journals, used approvals,
// lock). Its folder belongs to the user who runs the replay. What it holds
// is read back as hostile input (the folder is user-writable): parsed
// strictly, and refused with a clear error when it does not fit the
// scenario it claims to be of. It only ever steers the replay's own answers:
// a replay never holds a live key.
const (
	SessionFile       = "session.json"
	SessionExportFile = "export.json"
	SessionStateDir   = "state"
	sessionDirFolder  = "directory" // the directory snapshots, by the scenario's file names
)

// Session is one opened replay session.
type Session struct {
	Dir string
	// Now is this run's clock: the scenario's for a new session, later ones
	// advance by the wall time since the session started, and always by at
	// least a second (so that each run's approval differs).
	Now     time.Time
	fresh   bool
	s       *Scenario
	exports map[string]*exportRun // the engine's last simulated export
}

type sessionMeta struct {
	Scenario string `json:"scenario"`
	Digest   string `json:"scenario_digest"`
	Started  string `json:"started"`    // wall clock, RFC 3339
	Clock    string `json:"last_clock"` // the session clock of the last run
}

// OpenSession opens (or creates, or with fresh starts over) the session
// folder dir of the scenario s; wall is the real time now. Reads of the
// scenario's directory snapshots and the Runner's export state then come
// from the session. dir's parent must exist.
func OpenSession(dir string, s *Scenario, fresh bool, wall time.Time) (*Session, error) {
	digest, err := s.digest()
	if err != nil {
		return nil, err
	}
	if fresh {
		if err := ResetSession(dir); err != nil {
			return nil, err
		}
	}
	if err := ensurePrivate(dir); err != nil {
		return nil, err
	}
	sess := &Session{Dir: dir, s: s}
	var m sessionMeta
	b, err := os.ReadFile(filepath.Join(dir, SessionFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		sess.fresh, sess.Now = true, s.Now
		m = sessionMeta{Scenario: s.Name, Digest: digest, Started: wall.UTC().Format(time.RFC3339Nano)}
	case err != nil:
		return nil, sess.errorf("%v", err)
	default:
		if err := strictJSON(b, &m); err != nil {
			return nil, sess.errorf("%s: %v", SessionFile, err)
		}
		if m.Scenario != s.Name || m.Digest != digest {
			return nil, sess.errorf("it was made from another scenario or another version of %s", s.Name)
		}
		started, err1 := time.Parse(time.RFC3339Nano, m.Started)
		last, err2 := time.Parse(time.RFC3339, m.Clock)
		if err1 != nil || err2 != nil || last.Before(s.Now) {
			return nil, sess.errorf("%s: started %q or last_clock %q is not a valid time", SessionFile, m.Started, m.Clock)
		}
		sess.Now = s.Now.Add(wall.Sub(started)).Truncate(time.Second)
		if min := last.Add(time.Second); sess.Now.Before(min) {
			sess.Now = min
		}
	}
	if sess.exports, err = sess.loadExports(); err != nil {
		return nil, err
	}
	s.session = sess
	if err := sess.checkSnapshots(); err != nil {
		s.session = nil
		return nil, err
	}
	m.Clock = sess.Now.UTC().Format(time.RFC3339)
	out, _ := json.MarshalIndent(m, "", "  ") // strings only: never fails
	if err := writePrivate(filepath.Join(dir, SessionFile), append(out, '\n')); err != nil {
		return nil, sess.errorf("%v", err)
	}
	s.session = sess
	return sess, nil
}

// ResetSession removes a session folder (a missing one is fine). It
// refuses a folder that does not look like a session, so that a mistyped
// path never deletes anything else.
func ResetSession(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reset the replay session %s: %w", dir, err)
	}
	known := map[string]bool{SessionFile: true, SessionExportFile: true, SessionStateDir: true, sessionDirFolder: true}
	for _, e := range entries {
		if !known[e.Name()] && !strings.HasSuffix(e.Name(), ".tmp") {
			return fmt.Errorf("reset the replay session %s: it holds %q, which a replay session does not: not removed", dir, e.Name())
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		// Wine 8 refuses the delete-on-close call Go's RemoveAll uses on
		// Windows ("Invalid function"); removing entry by entry works there.
		if err2 := removeTree(dir); err2 != nil {
			return fmt.Errorf("reset the replay session %s: %w", dir, errors.Join(err, err2))
		}
	}
	return nil
}

// removeTree removes dir's entries deepest first with plain removes; links
// are removed, never followed.
func removeTree(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Remove(paths[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// StateDir is the session's state directory (journals, used approvals, lock).
func (sess *Session) StateDir() string { return filepath.Join(sess.Dir, SessionStateDir) }

// Fresh reports whether this run created the session.
func (sess *Session) Fresh() bool { return sess.fresh }

func (sess *Session) errorf(format string, a ...any) error {
	return fmt.Errorf("replay session %s: %s; start over with --fresh or `entra8344 replay reset %s`",
		sess.Dir, fmt.Sprintf(format, a...), sess.s.Name)
}

// checkSnapshots reads every directory snapshot the session holds now,
// so that a bad one fails the run at its start, not as a directory error
// inside a verdict.
func (sess *Session) checkSnapshots() error {
	base := filepath.Join(sess.Dir, sessionDirFolder)
	return filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == base {
			return nil
		}
		if err != nil {
			return sess.errorf("%v", err)
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		name := filepath.ToSlash(rel)
		if _, err := fs.Stat(sess.s.FS, name); err != nil {
			return sess.errorf("%s is no directory snapshot of the scenario", p)
		}
		_, err = sess.s.snapshotData(name)
		return err
	})
}

// snapshotData is a directory snapshot as the session left it, else as the
// scenario has it. A session's copy must parse and hold exactly the
// scenario's entries (a run changes values, never which objects exist).
func (s *Scenario) snapshotData(name string) ([]byte, error) {
	orig, err := fs.ReadFile(s.FS, name)
	if err != nil || s.session == nil {
		return orig, err
	}
	path := filepath.Join(s.session.Dir, sessionDirFolder, filepath.FromSlash(name))
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return orig, nil
	}
	if err != nil {
		return nil, s.session.errorf("%v", err)
	}
	got, err := ldif.Read(bytes.NewReader(data))
	if err != nil {
		return nil, s.session.errorf("%s: %v", path, err)
	}
	want, err := ldif.Read(bytes.NewReader(orig))
	if err != nil {
		return nil, err
	}
	if a, b := dnSet(got), dnSet(want); a != b {
		return nil, s.session.errorf("%s does not hold the scenario's objects", path)
	}
	return data, nil
}

func dnSet(recs []ldif.Record) string {
	dns := make([]string, len(recs))
	for i, r := range recs {
		dns[i] = strings.ToLower(r.DN)
	}
	sort.Strings(dns)
	return strings.Join(dns, "\n")
}

// digest identifies the scenario's content, so that a session is never
// applied to another scenario of the same name (an edited folder).
func (s *Scenario) digest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(s.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == ExpectedFile || strings.HasPrefix(p, "expected") {
			return err
		}
		b, err := fs.ReadFile(s.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s %x\n", p, sum)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ensurePrivate creates dir for this user only, or checks that it is a
// real folder nobody else may write to.
func ensurePrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("replay session %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("replay session %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("replay session %s: not a folder (a link or a file is never followed)", dir)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("replay session %s: others may write to it (mode %v): not used", dir, st.Mode().Perm())
	}
	return nil
}

// writePrivate writes path atomically, readable by its owner only.
func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".session-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		return fmt.Errorf("write %s: %v", path, errors.Join(werr, cerr))
	}
	return os.Rename(tmp.Name(), path)
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON document")
	}
	return nil
}
