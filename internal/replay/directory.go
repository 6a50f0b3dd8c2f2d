package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"entra8344/internal/ldap"
	"entra8344/internal/ldap/ldif"
	"entra8344/internal/ldap/memdir"
)

// Directory snapshot files of a scenario: directory.ldif for every AD
// connector, or directory/<connector>.ldif for one connector's forest.
const (
	DirectoryFile = "directory.ldif"
	DirectoryDir  = "directory"
)

// HasDirectory reports whether the scenario has any directory snapshot.
func (s *Scenario) HasDirectory() bool {
	if _, err := fs.Stat(s.FS, DirectoryFile); err == nil {
		return true
	}
	_, err := fs.Stat(s.FS, DirectoryDir)
	return err == nil
}

// Directory answers each AD connector's LDAP reads from the scenario's
// snapshot, loaded into an in-memory directory (memdir).
func (s *Scenario) Directory() *Directory { return &Directory{s: s, dirs: map[string]*snapshot{}} }

// Directory is the replayed directory of a scenario.
type Directory struct {
	s        *Scenario
	mu       sync.Mutex
	dirs     map[string]*snapshot // by file name
	simulate bool                 // SimulateProtectionTask was called
}

type snapshot struct {
	dir   *memdir.Dir
	hosts map[string]bool
}

// Dialer returns the dialer of the forest of connector.
func (d *Directory) Dialer(connector string) (ldap.Dialer, error) {
	name := DirectoryDir + "/" + FileNameExt(connector, ".ldif")
	if _, err := fs.Stat(d.s.FS, name); err != nil {
		name = DirectoryFile
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if sn, ok := d.dirs[name]; ok {
		return sn, nil
	}
	data, err := d.s.snapshotData(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the scenario has no directory snapshot for connector %q", connector)
	}
	if err != nil {
		return nil, err
	}
	if d.s.systemOnDC {
		data = asSystemOnDC(data)
	}
	sn, err := load(data)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %s: %w", d.s.Name, name, err)
	}
	if d.simulate {
		sn.dir.RootDSEModifyAt = protectionTask(sn.dir)
		sn.dir.AfterSDWrite = propagateInheritance(sn.dir)
	}
	d.dirs[name] = sn
	return sn, nil
}

// Modifications lists every modification made to the replayed directories.
func (d *Directory) Modifications() []memdir.Modification {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []memdir.Modification
	for _, sn := range d.dirs {
		out = append(out, sn.dir.Modifications()...)
	}
	return out
}

func load(data []byte) (*snapshot, error) {
	recs, err := ldif.Read(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	dir, err := memdir.Load(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	// The hosts this forest answers for: the locator's choice (""), its
	// domains' DNS names and its DCs' host names, as a live client dials them.
	hosts := map[string]bool{"": true}
	for _, r := range recs {
		for _, attr := range []string{"dnsRoot", "dNSHostName", "dnsHostName"} {
			for _, v := range r.Values(attr) {
				hosts[strings.ToLower(string(v))] = true
			}
		}
	}
	return &snapshot{dir: dir, hosts: hosts}, nil
}

// Dial answers for the forest's hosts only; any other host is unreachable,
// as a DC of an untrusted forest would be.
func (sn *snapshot) Dial(ctx context.Context, host string) (ldap.Conn, error) {
	if !sn.hosts[strings.ToLower(host)] {
		return nil, &ldap.Error{Op: "connect", Server: host, Code: ldap.ResultServerDown, Message: "no domain controller of this name in the scenario's directory snapshot"}
	}
	return sn.dir.Dial(ctx, host)
}

// SetFail injects faults into this forest's replayed directory (tests).
func (sn *snapshot) SetFail(f func(op, dn string) error) { sn.dir.Fail = f }
