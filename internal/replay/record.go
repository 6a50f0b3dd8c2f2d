package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

// Recorder wraps the live Prober and Runner and writes what they returned
// as a scenario folder, so a customer's problem becomes a regression test.
type Recorder struct {
	Dir    string
	prober winhost.Prober
	runner winhost.Runner
	mu     sync.Mutex
	errs   []string
	dirs   map[string]*recForest // by connector
}

// NewRecorder creates dir (which must be empty or absent) and wraps p and r.
func NewRecorder(dir string, p winhost.Prober, r winhost.Runner) (*Recorder, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("record directory %s is not empty; give a new folder", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, CSExportDir), 0o700); err != nil {
		return nil, fmt.Errorf("create record directory: %w", err)
	}
	return &Recorder{Dir: dir, prober: p, runner: r}, nil
}

// Prober records host.json.
func (rec *Recorder) Prober() winhost.Prober { return recProber{rec} }

// Runner records collector.json and csexport/<connector>.xml.
func (rec *Recorder) Runner() winhost.Runner { return recRunner{rec} }

type recProber struct{ rec *Recorder }

func (p recProber) Facts(ctx context.Context) (winhost.Facts, error) {
	f, err := p.rec.prober.Facts(ctx)
	if err == nil {
		p.rec.writeJSON(HostFile, f)
	}
	return f, err
}

type recRunner struct{ rec *Recorder }

func (rr recRunner) Run(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	res, err := rr.rec.runner.Run(ctx, c)
	switch strings.ToLower(adsync.WinBase(c.Path)) {
	case "powershell.exe":
		if string(c.Stdin) != string(adsync.CollectorScript) {
			break // the sync or doctor script: not part of a scenario
		}
		// collector.json is the document itself, whatever PowerShell printed
		// around its marked line; output without a document is kept as it
		// came, so the replay fails the way the live run did.
		out := res.Stdout
		if doc, derr := adsync.CollectorDocument(out); derr == nil {
			out = doc
		}
		rr.rec.write(CollectorFile, out)
	case "csexport.exe":
		if len(c.Args) == 3 {
			if data, rerr := os.ReadFile(c.Args[1]); rerr == nil {
				rr.rec.write(filepath.Join(CSExportDir, FileName(c.Args[0])), data)
			}
		}
	}
	return res, err
}

func (rec *Recorder) write(name string, data []byte) {
	if err := os.WriteFile(filepath.Join(rec.Dir, name), data, 0o600); err != nil {
		rec.mu.Lock()
		rec.errs = append(rec.errs, err.Error())
		rec.mu.Unlock()
	}
}

func (rec *Recorder) writeJSON(name string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		rec.mu.Lock()
		rec.errs = append(rec.errs, err.Error())
		rec.mu.Unlock()
		return
	}
	rec.write(name, append(b, '\n'))
}

// Finish writes scenario.json and the verdict as expected.json, and reports
// every file that could not be written.
func (rec *Recorder) Finish(now time.Time, verdict []byte) error {
	host, _ := os.Hostname()
	rec.writeJSON(MetaFile, Meta{
		Description: fmt.Sprintf("recorded by entra8344 detect --record on %s", host),
		Now:         now.UTC().Format(time.RFC3339),
	})
	rec.write(ExpectedFile, verdict)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.writeDirectories()
	if len(rec.errs) > 0 {
		return fmt.Errorf("record to %s: %s", rec.Dir, strings.Join(rec.errs, "; "))
	}
	return nil
}
