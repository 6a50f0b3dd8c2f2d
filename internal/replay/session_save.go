package replay

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/ldif"
)

// savedExport is one AD connector's simulated export in export.json.
type savedExport struct {
	At        string     `json:"at"`
	RunNumber int64      `json:"run_number"`
	RunID     string     `json:"run_history_id"`
	Remaining int        `json:"remaining"`
	Fixed     []savedKey `json:"fixed"` // the objects that no longer fail
}

type savedKey struct {
	CSID string `json:"cs_id"`
	DN   string `json:"dn"`
}

// loadExports reads the session's export.json (none: no export yet).
func (sess *Session) loadExports() (map[string]*exportRun, error) {
	path := filepath.Join(sess.Dir, SessionExportFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, sess.errorf("%v", err)
	}
	var saved map[string]savedExport
	if err := strictJSON(b, &saved); err != nil {
		return nil, sess.errorf("%s: %v", SessionExportFile, err)
	}
	out := map[string]*exportRun{}
	for name, x := range saved {
		at, err := time.Parse(time.RFC3339, x.At)
		if err != nil || x.RunNumber < 1 || x.Remaining < 0 || len(x.RunID) != 36 {
			return nil, sess.errorf("%s: connector %q: at %q, run_number %d, run_history_id %q, remaining %d do not describe an export run",
				SessionExportFile, name, x.At, x.RunNumber, x.RunID, x.Remaining)
		}
		run := &exportRun{at: at.UTC(), runNumber: x.RunNumber, id: x.RunID, remaining: x.Remaining, drop: map[string]bool{}}
		for _, k := range x.Fixed {
			run.drop[k.CSID+"\x00"+k.DN] = true // errorKey's form
		}
		out[name] = run
	}
	return out, nil
}

// Save keeps what this run changed: each directory snapshot it modified
// and the engine's last simulated export. A run that changed the directory
// without an export (revert) is followed by the engine's next scheduled
// cycle, simulated now (SIMULATION: a live engine runs it within 30
// minutes), so that the next detect sees what that export would.
func (sess *Session) Save(ctx context.Context, d *Directory, r *Runner) error {
	changed := false
	if d != nil {
		d.mu.Lock()
		names := make([]string, 0, len(d.dirs))
		for name, sn := range d.dirs {
			if len(sn.dir.Modifications()) > 0 {
				names = append(names, name)
			}
		}
		d.mu.Unlock()
		for _, name := range names {
			if err := sess.saveSnapshot(name, d.dirs[name]); err != nil {
				return err
			}
			changed = true
		}
	}
	if r == nil {
		return nil
	}
	r.mu.Lock()
	exported, simulating := r.exported, r.dir != nil
	r.mu.Unlock()
	if changed && !exported && simulating {
		r.runExport(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.exported {
		return nil
	}
	saved := map[string]savedExport{}
	for name, x := range r.exports {
		s := savedExport{At: x.at.UTC().Format(time.RFC3339), RunNumber: x.runNumber, RunID: x.id, Remaining: x.remaining, Fixed: []savedKey{}}
		for k := range x.drop {
			csid, dn, _ := strings.Cut(k, "\x00")
			s.Fixed = append(s.Fixed, savedKey{CSID: csid, DN: dn})
		}
		saved[name] = s
	}
	b, err := compactJSON(saved)
	if err != nil {
		return sess.errorf("%v", err)
	}
	if err := writePrivate(filepath.Join(sess.Dir, SessionExportFile), append(b, '\n')); err != nil {
		return sess.errorf("keep the simulated export: %v", err)
	}
	return nil
}

// saveSnapshot writes one replayed forest as LDIF. As the DC
// (AsDomainController) the snapshot reads sDRightsEffective 15, SYSTEM's
// view there: the session keeps the scenario's own values, so that the
// member server's next run reads what it would.
func (sess *Session) saveSnapshot(name string, sn *snapshot) error {
	recs := sn.dir.Records()
	if sess.s.systemOnDC {
		orig, err := fs.ReadFile(sess.s.FS, name)
		if err != nil {
			return err
		}
		origRecs, err := ldif.Read(bytes.NewReader(orig))
		if err != nil {
			return err
		}
		rights := map[string][][]byte{}
		for _, o := range origRecs {
			rights[strings.ToLower(o.DN)] = o.Values("sDRightsEffective")
		}
		for i := range recs {
			recs[i].Attributes = withValues(recs[i].Attributes, "sDRightsEffective", rights[strings.ToLower(recs[i].DN)])
		}
	}
	var b bytes.Buffer
	if err := ldif.Write(&b, recs); err != nil {
		return sess.errorf("keep the directory %s: %v", name, err)
	}
	path := filepath.Join(sess.Dir, sessionDirFolder, filepath.FromSlash(name))
	if err := writePrivate(path, b.Bytes()); err != nil {
		return sess.errorf("keep the directory: %v", err)
	}
	return nil
}

// withValues replaces attribute name's values (none: removes it).
func withValues(attrs []ldap.Attribute, name string, vals [][]byte) []ldap.Attribute {
	out := attrs[:0:0]
	for _, a := range attrs {
		if !strings.EqualFold(a.Name, name) {
			out = append(out, a)
		}
	}
	if len(vals) > 0 {
		out = append(out, ldap.Attribute{Name: name, Values: vals})
	}
	return out
}
