// Package replay runs detect's real code paths against a recorded scenario
// instead of the live host: a Prober that answers with the recorded host
// facts and a Runner that answers powershell.exe and csexport.exe with the
// recorded output (csexport writes its file, as the real one does). Record
// does the opposite: it wraps the live Prober and Runner and writes what they
// saw as a scenario folder.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

// File names inside a scenario folder.
const (
	MetaFile      = "scenario.json"
	HostFile      = "host.json"
	CollectorFile = "collector.json"
	CSExportDir   = "csexport"
	ExpectedFile  = "expected.json"
)

// Meta is scenario.json: what the scenario is, the clock it ran at, and
// test-only process behaviour (a hang, an exit code) that a recording of a
// real failure would show.
type Meta struct {
	Description string                `json:"description"`
	Now         string                `json:"now"`
	Processes   map[string]ProcessSim `json:"processes,omitempty"`
	// Essentials is the golden tests' hand-written oracle (package
	// fixtures/essentials); a replay does not read it.
	Essentials json.RawMessage `json:"essentials,omitempty"`
}

// ProcessSim changes how a recorded process behaves: keyed "powershell" or "csexport".
type ProcessSim struct {
	ExitCode int    `json:"exit_code,omitempty"`
	Stderr   string `json:"stderr,omitempty"`
	Hang     bool   `json:"hang,omitempty"`
}

// Scenario is a loaded scenario folder.
type Scenario struct {
	Name  string
	FS    fs.FS
	Meta  Meta
	Facts winhost.Facts
	// systemOnDC: AsDomainController was called.
	systemOnDC bool
	Now        time.Time
	session    *Session // OpenSession was called
}

// Load reads scenario.json and host.json from fsys.
func Load(fsys fs.FS, name string) (*Scenario, error) {
	s := &Scenario{Name: name, FS: fsys}
	if err := readJSON(fsys, MetaFile, &s.Meta); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	if err := readJSON(fsys, HostFile, &s.Facts); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	t, err := time.Parse(time.RFC3339, s.Meta.Now)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %s: \"now\" must be an RFC 3339 time: %w", name, MetaFile, err)
	}
	s.Now = t.UTC()
	return s, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}

// Prober answers with the recorded host facts.
func (s *Scenario) Prober() winhost.Prober { return prober{s.Facts} }

type prober struct{ f winhost.Facts }

func (p prober) Facts(context.Context) (winhost.Facts, error) { return p.f, nil }

// Runner returns a replay Runner that counts what it was asked to start.
// In a session it starts from the session's last simulated export.
func (s *Scenario) Runner() *Runner {
	r := &Runner{s: s, started: map[string]int{}}
	if s.session != nil {
		r.exports = s.session.exports
	}
	return r
}

// Runner answers process starts from the scenario.
type Runner struct {
	s       *Scenario
	mu      sync.Mutex
	started map[string]int
	// dir and exports serve SimulateExport (export.go).
	dir     *Directory
	exports map[string]*exportRun // by connector name, after a delta sync
	// exported: this run simulated an export (a session then keeps it).
	exported bool
}

// Started reports how many processes of each executable (lower-case file
// name) detect asked for.
func (r *Runner) Started() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.started))
	for k, v := range r.started {
		out[k] = v
	}
	return out
}

func (r *Runner) Run(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	exe := strings.ToLower(adsync.WinBase(c.Path))
	r.mu.Lock()
	r.started[exe]++
	r.mu.Unlock()
	key := strings.TrimSuffix(exe, ".exe")
	sim := r.s.Meta.Processes[key]
	if sim.Hang {
		return hang(ctx, c)
	}
	var res winhost.Result
	var err error
	switch key {
	case "powershell":
		res, err = r.powershell(ctx, c)
	case "csexport":
		res, err = r.csexport(c)
	default:
		return winhost.Result{}, fmt.Errorf("replay %s: no recording for process %s", r.s.Name, c.Path)
	}
	if err != nil {
		return res, err
	}
	if sim.ExitCode != 0 {
		res.ExitCode = sim.ExitCode
	}
	if sim.Stderr != "" {
		res.Stderr = []byte(sim.Stderr)
	}
	return res, nil
}

// hang answers as the live runner does for a process that never ends: its
// tree killed at the timeout. Replay does not sit out the timeout itself;
// the live runners' tests prove the waiting and the killing.
func hang(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	if err := ctx.Err(); err != nil {
		return winhost.Result{}, err
	}
	return winhost.Result{ExitCode: 1}, &winhost.TimeoutError{Path: c.Path, Timeout: c.Timeout}
}

func (r *Runner) powershell(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	if string(c.Stdin) == string(adsync.SyncScript) {
		// A replayed engine accepts a delta cycle (remediate --replay).
		r.runExport(ctx)
		return winhost.Result{Stdout: []byte(adsync.JSONMarker + `{"started":true,"busy":false,"error":"","result":"Success"}` + "\r\n")}, nil
	}
	if string(c.Stdin) != string(adsync.CollectorScript) {
		return winhost.Result{}, errors.New("replay: powershell.exe was started without the embedded collector on stdin")
	}
	out, err := fs.ReadFile(r.s.FS, CollectorFile)
	if err != nil {
		return winhost.Result{ExitCode: 1, Stderr: []byte("replay: the scenario has no " + CollectorFile)}, nil
	}
	return winhost.Result{Stdout: r.exportedCollector(out)}, nil
}

func (r *Runner) csexport(c winhost.Command) (winhost.Result, error) {
	if len(c.Args) != 3 || c.Args[2] != "/f:e" {
		return winhost.Result{ExitCode: 1, Stdout: []byte(fmt.Sprintf("replay: csexport arguments %q are not <connector> <file> /f:e", c.Args))}, nil
	}
	connector, file := c.Args[0], c.Args[1]
	data, err := fs.ReadFile(r.s.FS, CSExportDir+"/"+FileName(connector))
	if err != nil {
		return winhost.Result{ExitCode: 1, Stdout: []byte(fmt.Sprintf("replay: no recorded csexport output for connector %q", connector))}, nil
	}
	data = r.exportedCSExport(connector, data)
	// Like csexport.exe: never overwrite an existing file.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return winhost.Result{ExitCode: 1, Stdout: []byte(err.Error())}, nil
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return winhost.Result{}, fmt.Errorf("replay: write %s: %w", file, err)
	}
	return winhost.Result{}, f.Close()
}

// FileName maps a connector name to its csexport file name in a scenario:
// characters Windows forbids in file names (and %) are percent-encoded.
func FileName(connector string) string { return FileNameExt(connector, ".xml") }

// FileNameExt is FileName with another extension (directory/<connector>.ldif).
func FileNameExt(connector, ext string) string {
	var b strings.Builder
	for _, r := range connector {
		if r < 0x20 || strings.ContainsRune(`<>:"/\|?*%`, r) {
			fmt.Fprintf(&b, "%%%02X", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String() + ext
}
