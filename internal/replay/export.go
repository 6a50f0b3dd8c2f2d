package replay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"entra8344/internal/ad"
	"entra8344/internal/adsync"
)

// SimulateExport makes the Runner answer like an engine that ran an export
// on every AD connector the moment it accepted a delta sync (remediate
// --replay, --wait-export). SIMULATION: each failing object whose 8344
// errors name only attributes the connector account may now write in dir
// (evaluated at that moment, like the real export) stops failing; csexport
// then omits it, and the collector shows the export run first in the
// connector's history. Until a sync is accepted nothing differs from the
// recording. It returns r.
func (r *Runner) SimulateExport(dir *Directory) *Runner {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir = dir
	return r
}

// exportRun is what the simulated export of one AD connector left.
type exportRun struct {
	at        time.Time
	runNumber int64
	drop      map[string]bool // errorKey of the objects that no longer fail
	remaining int             // cs-objects that still carry an export error
	id        string          // RunHistoryId
}

func errorKey(e adsync.ExportError) string { return e.CSID + "\x00" + e.DN }

// runExport simulates the export that follows an accepted delta sync.
func (r *Runner) runExport(ctx context.Context) {
	r.mu.Lock()
	dir := r.dir
	r.mu.Unlock()
	if dir == nil {
		return
	}
	raw, err := fs.ReadFile(r.s.FS, CollectorFile)
	if err != nil {
		return
	}
	st, err := adsync.ParseCollector(raw)
	if err != nil {
		return // a garbled recording: no connector to export for
	}
	at := time.Now().UTC() // real time, as remediate compares it with the sync's start
	runs := map[string]*exportRun{}
	for _, c := range st.Connectors {
		if c.Kind == adsync.KindAD {
			runs[c.Name] = r.exportConnector(ctx, dir, c, at)
		}
	}
	r.mu.Lock()
	r.exports, r.exported = runs, true
	r.mu.Unlock()
}

func (r *Runner) exportConnector(ctx context.Context, dir *Directory, c adsync.Connector, at time.Time) *exportRun {
	x := &exportRun{at: at, drop: map[string]bool{}, id: newGUID()}
	for _, run := range c.Runs {
		x.runNumber = max(x.runNumber, run.RunNumber)
	}
	x.runNumber++
	data, err := fs.ReadFile(r.s.FS, CSExportDir+"/"+FileName(c.Name))
	if err != nil {
		return x
	}
	var denied []adsync.ExportError
	_, err = adsync.ParseExportErrors(bytes.NewReader(data), func(e adsync.ExportError) error {
		x.remaining++
		if e.InsufficientAccess() && len(e.Attributes) > 0 {
			denied = append(denied, e)
		}
		return nil
	})
	if err != nil || len(denied) == 0 {
		return x
	}
	snap, acct := readForExport(ctx, dir, c, denied)
	if snap == nil {
		return x // the directory cannot tell: everything still fails
	}
	for _, e := range denied {
		ok := true
		for _, a := range e.Attributes {
			ok = ok && snap.MayWrite(acct, e.DN, a)
		}
		if ok && !x.drop[errorKey(e)] {
			x.drop[errorKey(e)] = true
			x.remaining--
		}
	}
	return x
}

// readForExport reads what the export's access checks need from the
// connector's forest: its account with tokenGroups, the attributes'
// schema GUIDs and the objects' DACLs.
func readForExport(ctx context.Context, dir *Directory, c adsync.Connector, denied []adsync.ExportError) (*ad.Snapshot, *ad.Account) {
	dialer, err := dir.Dialer(c.Name)
	if err != nil {
		return nil, nil
	}
	req := ad.Request{Accounts: []ad.AccountRef{{Connector: c.Name, Domain: c.LoginDomain, User: c.LoginUser}}}
	seen := map[string]bool{}
	for _, e := range denied {
		req.Objects = append(req.Objects, e.DN)
		for _, a := range e.Attributes {
			if !seen[strings.ToLower(a)] {
				seen[strings.ToLower(a)] = true
				req.Attributes = append(req.Attributes, a)
			}
		}
	}
	snap, err := ad.Read(ctx, dialer, req)
	if err != nil {
		return nil, nil
	}
	for _, a := range snap.Accounts {
		if a.Found && a.Ref.Connector == c.Name {
			return snap, a
		}
	}
	return nil, nil
}

// exportedCSExport is a connector's csexport output after the simulated
// export: the recording without the objects that no longer fail.
func (r *Runner) exportedCSExport(connector string, data []byte) []byte {
	r.mu.Lock()
	x := r.exports[connector]
	r.mu.Unlock()
	if x == nil || len(x.drop) == 0 {
		return data
	}
	out, _, err := adsync.DropExportErrors(data, func(e adsync.ExportError) bool { return x.drop[errorKey(e)] })
	if err != nil {
		return data
	}
	return out
}

// exportedCollector is the collector's output after the simulated export:
// each exported connector's history starts with the export run.
func (r *Runner) exportedCollector(raw []byte) []byte {
	r.mu.Lock()
	runs := r.exports
	r.mu.Unlock()
	if len(runs) == 0 {
		return raw
	}
	out, err := withExportRuns(raw, runs)
	if err != nil {
		return raw
	}
	return out
}

func withExportRuns(raw []byte, runs map[string]*exportRun) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF")), &doc); err != nil {
		return nil, err
	}
	conns := jsonList(doc["connectors"])
	for i, c := range conns {
		var conn map[string]json.RawMessage
		var name string
		if json.Unmarshal(c, &conn) != nil || json.Unmarshal(conn["Name"], &name) != nil {
			continue
		}
		x := runs[strings.TrimSpace(name)]
		if x == nil {
			continue
		}
		run, err := compactJSON(x.run())
		if err != nil {
			return nil, err
		}
		if conn["Runs"], err = compactJSON(append([]json.RawMessage{run}, jsonList(conn["Runs"])...)); err != nil {
			return nil, err
		}
		if conns[i], err = compactJSON(conn); err != nil {
			return nil, err
		}
	}
	var err error
	if doc["connectors"], err = compactJSON(conns); err != nil {
		return nil, err
	}
	return compactJSON(doc)
}

// jsonList reads a PowerShell list: an array, a lone value, or nothing for null.
func jsonList(v json.RawMessage) []json.RawMessage {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return nil
	case v[0] == '[':
		var out []json.RawMessage
		if json.Unmarshal(v, &out) == nil {
			return out
		}
	}
	return []json.RawMessage{v}
}

// compactJSON marshals v as the collector prints it: no HTML escaping.
func compactJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(b.Bytes()), nil
}

// run is the export run in the shape of Get-ADSyncRunProfileResult
// -RunStepDetails as the collector prints it.
func (x *exportRun) run() map[string]any {
	result := "success"
	if x.remaining > 0 {
		result = "completed-export-errors"
	}
	// The engine's own format: UTC, 100 ns ticks.
	at := x.at.Format("2006-01-02T15:04:05.0000000Z")
	return map[string]any{
		"RunHistoryId": x.id, "RunNumber": x.runNumber, "RunProfileName": "Export", "Result": result,
		"StartDate": at, "EndDate": at,
		"RunStepResults": []map[string]any{{
			"StepNumber": 1, "StepResult": result, "StartDate": at, "EndDate": at,
			"ExportAdd": 0, "ExportUpdate": len(x.drop), "ExportRename": 0, "ExportDelete": 0, "ExportDeleteAdd": 0,
			"ExportFailure": x.remaining, "SyncErrorsXml": "", "SyncErrorsXmlOmitted": 0,
		}},
	}
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
