package replay

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"entra8344/fixtures"
	"entra8344/internal/adsync"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/internal/winhost"
)

const (
	janeDN     = "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"
	msolSID    = "S-1-5-21-1004336348-1177238915-682003330-1109"
	keyCredLnk = "5b47d60f-6090-40b2-9f37-2a4de88f3063" // msDS-KeyCredentialLink
)

// exportWorld drives a replay Runner with SimulateExport the way remediate does.
type exportWorld struct {
	t   *testing.T
	sc  *Scenario
	dir *Directory
	r   *Runner
	n   int
}

func newExportWorld(t *testing.T) *exportWorld {
	fsys, name, err := fixtures.Scenario("keycredlink-admin")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Load(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	dir := sc.Directory()
	return &exportWorld{t: t, sc: sc, dir: dir, r: sc.Runner().SimulateExport(dir)}
}

func (w *exportWorld) powershell(script []byte) []byte {
	res, err := w.r.Run(context.Background(), winhost.Command{Path: w.sc.Facts.PowerShellPath, Args: adsync.CollectorArgs(), Stdin: script})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Stdout
}

func (w *exportWorld) csexport(connector string) []byte {
	w.n++
	file := filepath.Join(w.t.TempDir(), "out.xml")
	res, err := w.r.Run(context.Background(), winhost.Command{Path: `C:\x\csexport.exe`, Args: adsync.CSExportArgs(connector, file)})
	if err != nil || res.ExitCode != 0 {
		w.t.Fatalf("csexport %s: exit %d %v", connector, res.ExitCode, err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

func (w *exportWorld) firstRun(connector string) adsync.Run {
	st, err := adsync.ParseCollector(w.powershell(adsync.CollectorScript))
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range st.Connectors {
		if c.Name == connector && len(c.Runs) > 0 {
			return c.Runs[0]
		}
	}
	w.t.Fatalf("no runs for %s", connector)
	return adsync.Run{}
}

func failingDNs(t *testing.T, doc []byte) []string {
	var dns []string
	if _, err := adsync.ParseExportErrors(bytes.NewReader(doc), func(e adsync.ExportError) error {
		dns = append(dns, e.DN)
		return nil
	}); err != nil {
		t.Fatalf("the simulated csexport output does not parse: %v\n%s", err, doc)
	}
	return dns
}

// grantJane adds the connector account's Write-Property on
// msDS-KeyCredentialLink to Jane's own DACL, as the protection task would.
func (w *exportWorld) grantJane() {
	d, err := w.dir.Dialer("contoso.com")
	if err != nil {
		w.t.Fatal(err)
	}
	c, _ := d.Dial(context.Background(), "")
	sdFlags := []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}
	es, err := c.Search(context.Background(), &ldap.SearchRequest{BaseDN: janeDN, Scope: ldap.ScopeBase, Filter: "(objectClass=*)",
		Attributes: []string{"nTSecurityDescriptor"}, Controls: sdFlags})
	if err != nil || len(es) != 1 {
		w.t.Fatalf("read Jane: %v", err)
	}
	sd, err := ntsd.Parse(es[0].Value("nTSecurityDescriptor"))
	if err != nil {
		w.t.Fatal(err)
	}
	sid, _ := ntsd.ParseSIDString(msolSID)
	g, _ := ntsd.ParseGUID(keyCredLnk)
	sd.DACL.Insert(ntsd.NewObjectAllow(ntsd.RightWriteProperty, g, sid))
	if err := c.Modify(context.Background(), janeDN, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd.Marshal()}}}, sdFlags); err != nil {
		w.t.Fatal(err)
	}
}

// TestSimulatedExport: until a delta sync is accepted the runner answers
// the recording byte for byte; after one, each AD connector's history starts
// with an export run at the time of the sync, and csexport omits an object
// only once the connector account may write its failing attribute.
func TestSimulatedExport(t *testing.T) {
	w := newExportWorld(t)
	recCollector, _ := fs.ReadFile(w.sc.FS, CollectorFile)
	recCSExport, _ := fs.ReadFile(w.sc.FS, CSExportDir+"/contoso.com.xml")
	if got := w.powershell(adsync.CollectorScript); !bytes.Equal(got, recCollector) {
		t.Error("before a sync the collector output differs from the recording")
	}
	if got := w.csexport("contoso.com"); !bytes.Equal(got, recCSExport) {
		t.Error("before a sync the csexport output differs from the recording")
	}
	aadBefore := w.firstRun("contoso.onmicrosoft.com - AAD")

	// The export runs, but the connector may not write yet: Jane still fails.
	before := time.Now().UTC().Truncate(100 * time.Nanosecond)
	w.powershell(adsync.SyncScript)
	run := w.firstRun("contoso.com")
	if run.Profile != "Export" || run.Result != "completed-export-errors" || run.RunNumber != 48214 ||
		run.Start == nil || run.End == nil || run.Start.Before(before) || len(run.Steps) != 1 || *run.Steps[0].ExportFailure != 1 {
		t.Errorf("export run while still denied: %+v", run)
	}
	if dns := failingDNs(t, w.csexport("contoso.com")); len(dns) != 1 || dns[0] != janeDN {
		t.Errorf("still denied: csexport lists %v, want Jane", dns)
	}

	// Writable now: the next export clears Jane.
	w.grantJane()
	w.powershell(adsync.SyncScript)
	if run := w.firstRun("contoso.com"); run.Profile != "Export" || run.Result != "success" || *run.Steps[0].ExportUpdate != 1 || *run.Steps[0].ExportFailure != 0 {
		t.Errorf("export run once writable: %+v", run)
	}
	if dns := failingDNs(t, w.csexport("contoso.com")); len(dns) != 0 {
		t.Errorf("writable: csexport still lists %v", dns)
	}
	if got := w.firstRun("contoso.onmicrosoft.com - AAD"); got.RunNumber != aadBefore.RunNumber || got.Profile != aadBefore.Profile {
		t.Errorf("the Entra ID connector got a simulated run: %+v", got)
	}
	if got := w.csexport("contoso.onmicrosoft.com - AAD"); !bytes.Equal(got, mustRead(t, w.sc.FS, CSExportDir+"/contoso.onmicrosoft.com - AAD.xml")) {
		t.Error("the Entra ID connector's csexport output changed")
	}
}

// TestNoSimulationWithoutDirectory: a plain Runner (detect) ignores syncs.
func TestNoSimulationWithoutDirectory(t *testing.T) {
	w := newExportWorld(t)
	w.r = w.sc.Runner()
	w.powershell(adsync.SyncScript)
	if got := w.powershell(adsync.CollectorScript); !bytes.Equal(got, mustRead(t, w.sc.FS, CollectorFile)) {
		t.Error("a Runner without SimulateExport changed the collector output after a sync")
	}
}

func mustRead(t *testing.T, fsys fs.FS, name string) []byte {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
