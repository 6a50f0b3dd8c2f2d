package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

type noisyRunner struct{ out string }

func (r noisyRunner) Run(context.Context, winhost.Command) (winhost.Result, error) {
	return winhost.Result{Stdout: []byte(r.out)}, nil
}

// collector.json stays the document itself: what PowerShell printed around
// the marked line is not recorded, output without a document is kept as it
// came (the replay then fails as the live run did), and the sync or doctor
// scripts' output never lands in collector.json.
func TestRecordKeepsTheCollectorDocument(t *testing.T) {
	const doc = `{"collector_version":1,"module":{"loaded":true},"connectors":[]}`
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	for _, c := range []struct {
		name, out string
		stdin     []byte
		want      string // "" = no collector.json
	}{
		{"noise around the marked line", "WARNING: unapproved verbs\r\n" + adsync.JSONMarker + doc + "\r\nbye\r\n", adsync.CollectorScript, doc},
		{"no document", "Import-Module : access denied\r\n", adsync.CollectorScript, "Import-Module : access denied\r\n"},
		{"the sync script", adsync.JSONMarker + `{"started":true}`, adsync.SyncScript, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rec")
			rec, err := NewRecorder(dir, nil, noisyRunner{c.out})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rec.Runner().Run(context.Background(), winhost.Command{Path: ps, Stdin: c.stdin}); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, CollectorFile))
			if c.want == "" {
				if err == nil {
					t.Errorf("collector.json written: %q", got)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Errorf("collector.json %q (%v), want %q", got, err, c.want)
			}
		})
	}
}
