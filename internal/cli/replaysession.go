package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/fixtures"
	"entra8344/internal/atomicfile"
	"entra8344/internal/replay"
)

// sessionsEnv overrides where replay sessions live (tests, and users whose
// account has no cache folder).
const sessionsEnv = "ENTRA8344_REPLAY_SESSIONS"

// sessionRoot is the user's own folder of replay sessions: the user cache
// directory (never a shared temp name, where another user could plant one),
// created private.
func sessionRoot() (string, error) {
	root := os.Getenv(sessionsEnv)
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no folder for replay sessions: %v; set %s to a folder of your own", err, sessionsEnv)
		}
		root = filepath.Join(cache, "entra8344", "replay")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("the replay sessions' folder %s: %w", root, err)
	}
	return root, nil
}

// scenarioSource resolves --replay: a folder on disk first, then a
// built-in name; it returns the files, the scenario's name and its
// session's name (a folder's carries a hash of its path, so that two
// folders of the same name never share a session).
func scenarioSource(arg string) (fsys fs.FS, name, session string, err error) {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, "", "", fmt.Errorf("--replay %s: %w", arg, err)
		}
		name = filepath.Base(abs)
		sum := sha256.Sum256([]byte(abs))
		return os.DirFS(arg), name, name + "-" + hex.EncodeToString(sum[:4]), nil
	}
	fsys, name, ferr := fixtures.Scenario(arg)
	if ferr != nil {
		return nil, "", "", fmt.Errorf("--replay %s: no scenario folder or built-in scenario %s (built-in: %s)", arg, arg, strings.Join(builtinNames(), ", "))
	}
	return fsys, name, name, nil
}

// builtinNames lists the built-in scenarios and their aliases (demo).
func builtinNames() []string {
	names := fixtures.Names()
	for a := range fixtures.Aliases {
		names = append(names, a)
	}
	sort.Strings(names)
	return names
}

// wallClock is the real time a session's clock advances by (tests set it).
var wallClock = time.Now

// openSession opens the replay session of scenario sc (--replay arg).
func openSession(session string, sc *replay.Scenario, fresh bool) (*replay.Session, error) {
	root, err := sessionRoot()
	if err != nil {
		return nil, err
	}
	return replay.OpenSession(filepath.Join(root, session), sc, fresh, wallClock())
}

// ReplayCmd manages replay sessions.
type ReplayCmd struct {
	Reset ReplayResetCmd `cmd:"" help:"Start a replay session over: its directory, simulated sync engine, clock, journals and used approvals."`
}

// ReplayResetCmd removes one scenario's replay session.
type ReplayResetCmd struct {
	Name string `arg:"" help:"The scenario, as given to --replay (folder or built-in name)." placeholder:"DIR|NAME"`
}

func (c *ReplayResetCmd) Run(stdio *IO) error {
	_, _, session, err := scenarioSource(c.Name)
	if err != nil {
		return err
	}
	root, err := sessionRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, session)
	_, statErr := os.Stat(dir)
	if err := replay.ResetSession(dir); err != nil {
		return err
	}
	what := "removed"
	if errors.Is(statErr, fs.ErrNotExist) {
		what = "none to remove"
	}
	b, err := json.Marshal(map[string]string{"session": dir, "reset": what})
	if err != nil {
		return err
	}
	_, err = stdio.Stdout.Write(append(b, '\n'))
	return err
}

// replayBaseline is a replay's baseline file: in the session's state
// directory (or --state-dir), seeded from the scenario's committed
// baseline.json the first time. The seed is only bytes: it is
// authenticated when loaded, under the scenario's replay key.
func replayBaseline(flagDir, sessDir string, scenario fs.FS) (string, error) {
	dir := flagDir
	if dir == "" {
		dir = sessDir
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("the replay session's state directory: %w", err)
	}
	path := filepath.Join(dir, detect.BaselineFile)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return path, err
	}
	seed, err := fs.ReadFile(scenario, detect.BaselineFile)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("the scenario's %s: %w", detect.BaselineFile, err)
	}
	if err := atomicfile.WriteFile(path, seed, 0o600); err != nil {
		return "", fmt.Errorf("seed the replay session's baseline: %w", err)
	}
	return path, nil
}
