package replay

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"

	"entra8344/internal/ldap"
)

// LiveDirectory is the live directory source detect records from.
type LiveDirectory interface {
	Dialer(connector string) (ldap.Dialer, error)
}

// Directory wraps the live directory source: every entry a connector's
// searches return is kept and written as directory/<connector>.ldif by
// Finish, so the replay answers the same searches the same way.
func (rec *Recorder) Directory(live LiveDirectory) LiveDirectory {
	return &recDirectory{rec: rec, live: live}
}

type recDirectory struct {
	rec  *Recorder
	live LiveDirectory
}

func (d *recDirectory) Dialer(connector string) (ldap.Dialer, error) {
	inner, err := d.live.Dialer(connector)
	if err != nil {
		return nil, err
	}
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	if d.rec.dirs == nil {
		d.rec.dirs = map[string]*recForest{}
	}
	f := d.rec.dirs[connector]
	if f == nil {
		f = &recForest{inner: inner}
		d.rec.dirs[connector] = f
	}
	return f, nil
}

// recForest records every connection of one connector's forest into one LDIF.
type recForest struct {
	inner ldap.Dialer
	mu    sync.Mutex
	recs  []*ldap.Recorder
}

func (f *recForest) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	c, err := f.inner.Dial(ctx, host)
	if err != nil {
		return nil, err
	}
	r := ldap.NewRecorder(c)
	f.mu.Lock()
	f.recs = append(f.recs, r)
	f.mu.Unlock()
	return r, nil
}

// writeDirectories writes directory/<connector>.ldif for each recorded forest.
func (rec *Recorder) writeDirectories() {
	for connector, f := range rec.dirs {
		var buf bytes.Buffer
		if err := ldap.WriteLDIF(&buf, f.recs...); err != nil {
			rec.errs = append(rec.errs, err.Error())
			continue
		}
		if err := os.MkdirAll(filepath.Join(rec.Dir, DirectoryDir), 0o700); err != nil {
			rec.errs = append(rec.errs, err.Error())
			continue
		}
		if err := os.WriteFile(filepath.Join(rec.Dir, DirectoryDir, FileNameExt(connector, ".ldif")), buf.Bytes(), 0o600); err != nil {
			rec.errs = append(rec.errs, err.Error())
		}
	}
}
