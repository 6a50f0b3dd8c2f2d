package detect

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"entra8344/fixtures"
	"entra8344/internal/adsync"
	"entra8344/internal/replay"
	"entra8344/internal/winhost"
	"entra8344/schema"
)

func loadScenario(t *testing.T, name string) *replay.Scenario {
	t.Helper()
	fsys, name, err := fixtures.Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := replay.Load(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func runScenario(sc *replay.Scenario, r winhost.Runner) *schema.Verdict {
	env := Env{Prober: sc.Prober(), Runner: r, Now: func() time.Time { return sc.Now }, Replay: sc.Name}
	return Run(context.Background(), env, DefaultOptions())
}

// TestProcessBudget counts, in replay, what detect starts: at most one
// PowerShell, at most one csexport per connector, none when not applicable
// or when the service is down.
func TestProcessBudget(t *testing.T) {
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			sc := loadScenario(t, name)
			r := sc.Runner()
			v := runScenario(sc, r)
			started := r.Started()
			if started["powershell.exe"] > 1 {
				t.Errorf("started %d PowerShell processes", started["powershell.exe"])
			}
			conns := 0
			if v.Sync != nil {
				conns = len(v.Sync.Connectors)
			}
			if started["csexport.exe"] > conns {
				t.Errorf("started %d csexport for %d connectors", started["csexport.exe"], conns)
			}
			total := 0
			for exe, n := range started {
				if exe != "powershell.exe" && exe != "csexport.exe" {
					t.Errorf("started unexpected process %s", exe)
				}
				total += n
			}
			if total != v.Collection.ProcessesStarted {
				t.Errorf("verdict says %d processes, runner saw %d", v.Collection.ProcessesStarted, total)
			}
			if name == "healthy" && total != 1 {
				t.Errorf("a healthy server must start exactly 1 process (the collector), started %v", started)
			}
			switch v.Status {
			case schema.StatusNotApplicable, schema.StatusSyncServiceDown:
				if total != 0 {
					t.Errorf("%s must start no process, started %v", v.Status, started)
				}
			case schema.StatusStagingMode:
				if started["csexport.exe"] != 0 {
					t.Errorf("staging mode must not run csexport")
				}
			}
		})
	}
}

// A hung csexport on one connector: its tree is killed, the verdict says which
// connector, and the others are still read.
func TestHungCSExport(t *testing.T) {
	sc := loadScenario(t, "two-forests")
	r := hangOn{inner: sc.Runner(), connector: "fabrikam.com"}
	v := runScenario(sc, r)
	if v.Status != schema.StatusExportErrors {
		t.Fatalf("status %s", v.Status)
	}
	var msg string
	for _, e := range v.Errors {
		if e.Code == "csexport-failed" && e.Object == "fabrikam.com" {
			msg = e.Message
		}
	}
	if !strings.Contains(msg, "did not finish within") || !strings.Contains(msg, "--csexport-timeout") {
		t.Errorf("error does not say the fabrikam.com csexport hung: %q", msg)
	}
	if len(v.Findings) != 1 || v.Findings[0].Connector != "contoso.com" {
		t.Errorf("findings %+v, want contoso.com's only", v.Findings)
	}
}

type hangOn struct {
	inner     winhost.Runner
	connector string
}

func (h hangOn) Run(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	if len(c.Args) > 0 && c.Args[0] == h.connector {
		return winhost.Result{}, &winhost.TimeoutError{Path: c.Path, Timeout: c.Timeout}
	}
	return h.inner.Run(ctx, c)
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name string
		kind adsync.ConnectorKind
		e    adsync.ExportError
		want schema.FindingKind
	}{
		{"decimal 8344", adsync.KindAD, adsync.ExportError{Code: 8344}, schema.KindPermission8344},
		{"error type only", adsync.KindAD, adsync.ExportError{Code: -1, ErrorType: "permission-issue"}, schema.KindPermission8344},
		{"LDAP 50", adsync.KindAD, adsync.ExportError{Code: 50, ErrorType: "cd-error"}, schema.KindPermission8344},
		{"server text only", adsync.KindAD, adsync.ExportError{Code: -1, ServerErrorDetail: "00000005: SecErr: DSID-03152492, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0"}, schema.KindPermission8344},
		{"2098 prefix only", adsync.KindAD, adsync.ExportError{Code: -1, ServerErrorDetail: "00002098: SecErr: DSID-031514A0"}, schema.KindPermission8344},
		{"dn-attributes-failure", adsync.KindAD, adsync.ExportError{Code: -1, ErrorType: "dn-attributes-failure"}, schema.KindOther},
		{"constraint 8239 on AD", adsync.KindAD, adsync.ExportError{Code: 8239, ErrorType: "constraint-violation"}, schema.KindOther},
		{"8344 on AAD is not writeback", adsync.KindAAD, adsync.ExportError{Code: 8344}, schema.KindOther},
		{"AAD unique", adsync.KindAAD, adsync.ExportError{Code: -1, ErrorName: "AttributeValueMustBeUnique"}, schema.KindCloudConflict},
		{"AAD soft match", adsync.KindAAD, adsync.ExportError{Code: -1, ErrorType: "InvalidSoftMatch"}, schema.KindCloudConflict},
		{"AAD property conflict in text", adsync.KindAAD, adsync.ExportError{Code: -1, ExtraErrorDetails: "PropertyConflict on proxyAddresses"}, schema.KindCloudConflict},
		{"AAD large object", adsync.KindAAD, adsync.ExportError{Code: -1, ErrorName: "LargeObject"}, schema.KindOther},
		{"other connector", adsync.KindOther, adsync.ExportError{Code: 8344}, schema.KindOther},
	} {
		if got := Classify(c.kind, c.e); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// The aggregator keeps the oldest MaxObjects errors and counts all of them.
func TestAggregatorBounded(t *testing.T) {
	agg := newAggregator(200)
	conn := adsync.Connector{Name: "contoso.com", Kind: adsync.KindAD}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 999; i >= 0; i-- { // newest first, the order must not matter
		agg.add(0, conn, adsync.ExportError{
			DN: fmt.Sprintf("CN=u%04d,DC=contoso,DC=com", i), Code: 8344, RetryCount: int64(i),
			FirstOccurred: base.Add(time.Duration(i) * time.Hour), Attributes: []string{"msDS-KeyCredentialLink"},
		})
	}
	f := agg.findings()
	if len(f) != 1 {
		t.Fatalf("%d findings", len(f))
	}
	if f[0].ObjectCount != 1000 || len(f[0].Objects) != 200 || f[0].ObjectsOmitted != 800 {
		t.Errorf("count %d kept %d omitted %d", f[0].ObjectCount, len(f[0].Objects), f[0].ObjectsOmitted)
	}
	if f[0].Objects[0].DN != "CN=u0000,DC=contoso,DC=com" || f[0].Objects[199].DN != "CN=u0199,DC=contoso,DC=com" {
		t.Errorf("kept %s .. %s, want the 200 oldest", f[0].Objects[0].DN, f[0].Objects[199].DN)
	}
	if f[0].MaxRetryCount != 999 || *f[0].FirstOccurred != "2025-01-01T00:00:00Z" {
		t.Errorf("max retry %d first %s", f[0].MaxRetryCount, *f[0].FirstOccurred)
	}
}

func TestSummaryFitsSmallFields(t *testing.T) {
	v := &schema.Verdict{Status: schema.StatusExportErrors, Labels: schema.Labels{Client: "Zoë's Ärztepraxis GmbH", Site: "Zürich"}}
	for i := 0; i < 20; i++ {
		first := "2025-01-01T00:00:00Z"
		v.Findings = append(v.Findings, schema.Finding{
			Connector: fmt.Sprintf("forest%d.example — Ünïcode", i), Kind: schema.KindPermission8344, ObjectCount: 1000 + i,
			Attributes: []string{"msDS-KeyCredentialLink", "msExchSafeSendersHash"}, FirstOccurred: &first, MaxRetryCount: 4000,
		})
	}
	s := Summary(v)
	if len(s) > SummaryMax || !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n") {
		t.Errorf("summary is %d bytes, valid UTF-8 %v: %q", len(s), utf8.ValidString(s), s)
	}
	if !strings.HasSuffix(s, "...") {
		t.Errorf("a cut summary must say so: %q", s)
	}
}
