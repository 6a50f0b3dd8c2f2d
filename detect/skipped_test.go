package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"entra8344/internal/winhost"
	"entra8344/schema"
)

// hostileDN is what a hostile csexport file could put in cs-dn: a line
// break and a fake log line.
const hostileDN = "CN=Evil\nerror forged-line: \"ok\",DC=fabrikam,DC=com"

// A cs-object over the parser's limits (here nested 100 deep) is skipped:
// the verdict names it in a csexport-object-skipped error (its DN in the
// JSON only, escaped), the connector is not reported clean, and the other
// objects of the same file are still read.
func TestSkippedObjectInVerdict(t *testing.T) {
	sc := loadScenario(t, "two-forests")
	var logBuf bytes.Buffer
	r := injectObject{inner: sc.Runner(), connector: "contoso.com",
		object: `<cs-object cs-dn="CN=Evil&#10;error forged-line: &quot;ok&quot;,DC=fabrikam,DC=com" id="{E}">` +
			strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</cs-object>\n"}
	env := Env{Prober: sc.Prober(), Runner: r, Now: func() time.Time { return sc.Now }, Replay: sc.Name, Log: log.New(&logBuf, "", 0)}
	v := Run(context.Background(), env, DefaultOptions())

	var got []schema.Notice
	for _, e := range v.Errors {
		if e.Code == "csexport-object-skipped" {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].Object != hostileDN ||
		!strings.Contains(got[0].Message, `connector "contoso.com"`) || !strings.Contains(got[0].Message, "<cs-object> #1 at line") ||
		!strings.Contains(got[0].Message, "nested more than 64 deep") {
		t.Fatalf("skipped-object errors %+v", got)
	}
	for _, c := range v.Sync.Connectors {
		if c.Name == "contoso.com" && (c.CSExport != "failed" || c.ExportErrors == 0) {
			t.Errorf("contoso.com: csexport %q with %d export errors; want failed, the other objects still read", c.CSExport, c.ExportErrors)
		}
	}
	if v.Status == schema.StatusHealthy || len(v.Findings) == 0 {
		t.Errorf("status %s with %d findings", v.Status, len(v.Findings))
	}
	js, err := json.Marshal(got[0])
	if err != nil || bytes.Contains(js, []byte("\n")) {
		t.Errorf("notice JSON %s (%v) holds a raw line break", js, err)
	}
	if strings.Contains(logBuf.String(), "Evil") {
		t.Errorf("the DN reached the log:\n%s", logBuf.String())
	}
}

// injectObject lets the inner runner write csexport's file, then puts object
// first under its root.
type injectObject struct {
	inner             winhost.Runner
	connector, object string
}

func (i injectObject) Run(ctx context.Context, c winhost.Command) (winhost.Result, error) {
	res, err := i.inner.Run(ctx, c)
	if err != nil || len(c.Args) < 2 || c.Args[0] != i.connector {
		return res, err
	}
	b, rerr := os.ReadFile(c.Args[1])
	if rerr != nil {
		return res, rerr
	}
	at := bytes.Index(b, []byte("<cs-objects>")) + len("<cs-objects>")
	if at < len("<cs-objects>") {
		return res, os.ErrInvalid
	}
	out := append(append(append([]byte{}, b[:at]...), i.object...), b[at:]...)
	return res, os.WriteFile(c.Args[1], out, 0o600)
}
