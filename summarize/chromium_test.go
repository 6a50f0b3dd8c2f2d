package summarize

import (
	"bytes"
	"context"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"entra8344/summarize/fleetgen"
)

// chromiumFlags are the machine notes' flags for headless Chromium as root
// on a closed network (no background connections that would be refused).
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync"}

// chromium finds Debian's chromium. Missing, the test is skipped, unless
// ENTRA8344_REQUIRE_CHROMIUM is set (scripts/test.sh sets it after
// installing chromium, so CI cannot pass by skipping).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ENTRA8344_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium is not installed and ENTRA8344_REQUIRE_CHROMIUM is set")
	}
	t.Skip("chromium is not installed (apt-get install chromium; scripts/test.sh does): skipping the rendered-page test")
	return ""
}

// runChromium runs headless Chromium with a fresh profile and returns stdout.
func runChromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, lastLines(stderr.String(), 20))
	}
	return stdout.Bytes()
}

// The report as a browser renders it: totals, client names and the oldest
// error first are there as text; the script ran under the page's CSP; a
// hostile client name stayed text.
func TestHTMLInChromium(t *testing.T) {
	chromium(t)
	g, err := fleetgen.New(fleetgen.Options{Verdicts: 300, Now: testNow, Hostile: true})
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	if err := g.WriteNDJSON(&in); err != nil {
		t.Fatal(err)
	}
	// The oldest error of the fleet (fleetgen ages errors at most 241 days
	// before testNow) and a hostile name.
	oldest := bytes.ReplaceAll(verdict(t, "stale-admincount", "Acme Oldest Error Ltd", "OLDEST-SRV", "acme.local", "2025-06-20T10:00:00Z"),
		[]byte("2025-01-07T08:12:44.12Z"), []byte("2023-02-01T08:00:00Z"))
	in.WriteString(ndjson(oldest, verdict(t, "keycredlink-admin", hostileClient, "EVIL01", "evil.local", "2025-06-20T10:00:00Z")))
	r := summarizeString(t, Options{StaleAfter: 7 * 24 * time.Hour, Version: "test"}, in.String())
	page := filepath.Join(t.TempDir(), "fleet.html")
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, "Chromium test fleet"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(runChromium(t, "--dump-dom", "file://"+page))
	text := visibleText(dom)

	if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(dom); m == nil || !strings.HasPrefix(m[1], "Chromium test fleet") {
		t.Errorf("title %q: a script other than ours ran, or the page did not load", m)
	}
	if !strings.Contains(dom, `data-js="on"`) {
		t.Errorf("the page's script did not run: the CSP hash does not match it")
	}
	if strings.Contains(dom, "<img") || strings.Count(dom, "<script") != 1 {
		t.Errorf("the hostile name became markup")
	}
	tot := r.Summary.Totals
	for _, want := range []string{
		thousands(tot.Hosts) + " servers", thousands(tot.NeedsAction) + " need action", "Needs action first",
		"Acme Oldest Error Ltd", "Contoso", `<script>document.title="pwned"</script>`, "By client",
		thousands(tot.ByStatus["healthy"].Hosts) + " Healthy",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("visible text lacks %q", want)
		}
	}
	first := firstRow(dom, "action-table")
	if !strings.Contains(first, "OLDEST-SRV.acme.local") || !strings.Contains(first, "2023-02-01") {
		t.Errorf("the first server needing action is not the oldest error: %q", first)
	}
}

// visibleText is the page's text as a reader sees it: no head, script or
// style, tags as spaces, entities decoded, spaces collapsed.
func visibleText(dom string) string {
	for _, re := range []string{`(?s)<head.*?</head>`, `(?s)<script.*?</script>`, `(?s)<style.*?</style>`} {
		dom = regexp.MustCompile(re).ReplaceAllString(dom, " ")
	}
	dom = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(dom, " ")
	return strings.Join(strings.Fields(html.UnescapeString(dom)), " ")
}

func firstRow(dom, tableID string) string {
	i := strings.Index(dom, `id="`+tableID+`"`)
	if i < 0 {
		return ""
	}
	body := dom[i:]
	if j := strings.Index(body, "<tbody>"); j >= 0 {
		body = body[j:]
	}
	if j := strings.Index(body, "</tr>"); j >= 0 {
		body = body[:j]
	}
	return visibleText(body)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
