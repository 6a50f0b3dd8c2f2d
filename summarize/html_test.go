package summarize

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"entra8344/summarize/fleetgen"
)

const hostileClient = `<script>document.title="pwned"</script><img src=x onerror=alert(1)>`

func renderHTML(t *testing.T, r *Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, `Fleet <b>"of"</b> & co`); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Names from verdicts are text, never markup, wherever they land (cells,
// summary lines, the rejected list); the title too.
func TestHTMLEscapesHostileNames(t *testing.T) {
	in := ndjson(
		verdict(t, "keycredlink-admin", hostileClient, "DC01<x>", "evil.local", "2025-06-20T10:00:00Z"),
		verdict(t, "healthy", "Normal", "AADC01", "n.local", "2025-06-20T10:00:00Z"),
	) + "<script>alert(2)</script>\n"
	page := renderHTML(t, summarizeString(t, Options{}, in))
	for _, bad := range []string{"<script>document", "<img", "<script>alert", "DC01<x>", "<b>\"of\"</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains raw %q", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;", "DC01&lt;x&gt;", "Fleet &lt;b&gt;&#34;of&#34;&lt;/b&gt; &amp; co"} {
		if !strings.Contains(page, good) {
			t.Errorf("page lacks escaped %q", good)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d script elements, want our one", n)
	}
}

// One file, no external asset: nothing to fetch, and the CSP allows
// nothing but the inline style and the one script, by its hash.
func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, summarizeString(t, Options{}, fixtureFleet(t)))
	for _, re := range []string{`(?i)\s(src|href|action|poster|srcset)\s*=`, `(?i)url\(`, `(?i)@import`, `(?i)https?://`, `(?i)<link`, `(?i)<iframe`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("page references something external: %q", m)
		}
	}
	sum := sha256.Sum256([]byte(reportScript))
	want := "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if m == nil || html.UnescapeString(m[1]) != want {
		t.Errorf("CSP %q, want %q", m, want)
	}
	if !strings.Contains(page, "<script>"+reportScript+"</script>") {
		t.Errorf("the script is not inlined byte for byte (its hash would not match)")
	}
	if !strings.Contains(page, "@media print") {
		t.Errorf("no print style")
	}
}

// A big fleet keeps the page small: the tables are capped, every client
// still counted, and the page says what it left out.
func TestHTMLLargeFleetCapped(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20,000 verdicts")
	}
	g, err := fleetgen.New(fleetgen.Options{Verdicts: 20000, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	if err := g.WriteNDJSON(&in); err != nil {
		t.Fatal(err)
	}
	r := summarizeString(t, Options{StaleAfter: 7 * 24 * time.Hour, Limit: 500}, in.String())
	page := renderHTML(t, r)
	rows := strings.Count(page, "<tr")
	// 500 needing action + at most 500 in the clients' tables + headers and kinds.
	if rows > 500+500+500+30 || len(page) > 3<<20 {
		t.Errorf("%d rows, %d bytes for %d servers", rows, len(page), r.Summary.Totals.Hosts)
	}
	if got := strings.Count(page, "<details"); got != 500 {
		t.Errorf("%d client sections, want the 500 of the limit", got)
	}
	for _, want := range []string{"more servers need action", "more clients (", "the first 500 shown"} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not say %q", want)
		}
	}
}
