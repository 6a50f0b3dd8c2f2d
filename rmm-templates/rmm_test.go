package rmmtemplates

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestGeneratedFilesAreCommitted: the committed scripts and READMEs are the
// generator's output (run `go generate ./rmm-templates` after editing src/
// or rmm.go), and no stray file sits in an RMM folder.
func TestGeneratedFilesAreCommitted(t *testing.T) {
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./rmm-templates)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output (run go generate ./rmm-templates)", name)
		}
	}
	for _, r := range RMMs {
		entries, err := os.ReadDir(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, ok := files[r.ID+"/"+e.Name()]; !ok {
				t.Errorf("%s/%s is not generated: remove it or add it to the generator", r.ID, e.Name())
			}
		}
	}
	if len(RMMs) != 11 {
		t.Errorf("%d RMMs, want the eleven of the issue", len(RMMs))
	}
}

// Windows PowerShell 5.1 reads a file without BOM in the ANSI code page.
func TestScriptsAreASCII(t *testing.T) {
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if !strings.HasSuffix(name, ".ps1") {
			continue
		}
		for i, c := range b {
			if c > 0x7e || (c < 0x20 && c != '\n' && c != '\t') {
				line := bytes.Count(b[:i], []byte("\n")) + 1
				t.Errorf("%s:%d: byte 0x%02x is not printable ASCII", name, line, c)
				break
			}
		}
	}
}

type fixtureDoc struct {
	file     string
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	Summary  string `json:"summary"`
	Approval *struct {
		Token string `json:"token"`
		Scope string `json:"scope"`
	} `json:"approval"`
	raw string
}

func loadFixtures(t *testing.T, pattern string) []fixtureDoc {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "fixtures", "scenarios", "*", pattern))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures %s: %v", pattern, err)
	}
	var docs []fixtureDoc
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var d fixtureDoc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		d.file, d.raw = p, string(b)
		docs = append(docs, d)
	}
	return docs
}

var tokenAlphabet = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// validCode: what the RMM's idiom allows as the wrapper's exit code.
func validCode(r RMM, code int) bool {
	switch r.ID {
	case "n-able-n-sight":
		return code == 0 || code > 1000 // 1-999 are reserved
	case "immybot":
		return code == 0 || code == 1 // Test: compliant or not
	default:
		return code >= 0 && code <= 255 && code != 98 // 98 is Tactical's timeout
	}
}

// TestDetectMappingEveryFixture runs each RMM's detect decision (the
// exit-code table and the field values, the data the generated scripts
// carry) over every golden verdict in fixtures/.
func TestDetectMappingEveryFixture(t *testing.T) {
	docs := loadFixtures(t, "expected.json")
	if len(docs) < 24 {
		t.Errorf("%d verdict fixtures, want every scenario folder (24)", len(docs))
	}
	statusCode := map[string]int{"healthy": 0, "not_applicable": 0, "staging_mode": 0,
		"export_errors": 1, "run_failures": 1, "sync_service_down": 1, "remediable": 2, "error": 3}
	for _, d := range docs {
		if want, ok := statusCode[d.Status]; !ok || want != d.ExitCode {
			t.Errorf("%s: status %s with exit %d: the README's exit-code table says %d", d.file, d.Status, d.ExitCode, want)
		}
		// The token this host's remediate carries out (the wrapper takes
		// only a host-scope one) goes with status remediable, and only
		// with it; a dc-scope token is for the DC its verdict names.
		token := ""
		if d.Approval != nil {
			token = d.Approval.Token
			if d.Approval.Scope == "dc" && d.Status == "remediable" {
				t.Errorf("%s: a DC-scope approval with status remediable", d.file)
			}
		}
		hostToken := d.Approval != nil && d.Approval.Scope == "host"
		if hostToken != (d.Status == "remediable") {
			t.Errorf("%s: approval %+v with status %s", d.file, d.Approval, d.Status)
		}
		if token != "" && !tokenAlphabet.MatchString(token) {
			t.Errorf("%s: token %q outside [A-Za-z0-9_-]", d.file, token)
		}
		for _, r := range RMMs {
			out, ok := r.Detect[d.ExitCode]
			if !ok {
				t.Errorf("%s %s: no mapping for exit %d", r.ID, d.file, d.ExitCode)
				continue
			}
			if out.Alert != (d.ExitCode != 0) {
				t.Errorf("%s %s: %s (exit %d) alert=%v", r.ID, d.file, d.Status, d.ExitCode, out.Alert)
			}
			if !validCode(r, out.Code) {
				t.Errorf("%s: exit %d maps to %d, not valid in this RMM", r.ID, d.ExitCode, out.Code)
			}
			if r.Finish == FinishExit && r.ID != "syncro" && r.ID != "datto-rmm" && (out.Code == 0) != (d.ExitCode == 0) {
				t.Errorf("%s: exit %d maps to %d: a finding must not look like success", r.ID, d.ExitCode, out.Code)
			}
			vals := r.FieldValues(d.Status, d.ExitCode, d.Summary, token, d.raw)
			line := r.Line(d.Summary, token, out.Label)
			if n := len([]rune(line)); n > r.LineMax || n > 255 {
				t.Errorf("%s %s: line of %d characters", r.ID, d.file, n)
			}
			if strings.ContainsAny(line, "\r\n") || strings.HasPrefix(line, "=") {
				t.Errorf("%s %s: line %q breaks a one-line field", r.ID, d.file, line)
			}
			for _, f := range r.Fields {
				if v := vals[f.Role]; f.Max > 0 && len([]rune(v)) > f.Max && f.Role != "json" {
					t.Errorf("%s %s: field %s holds %d characters, max %d", r.ID, d.file, f.Name, len([]rune(v)), f.Max)
				}
			}
			// The approver must see the whole token somewhere.
			switch {
			case r.HasField("token"):
				if vals["token"] != token {
					t.Errorf("%s %s: token field %q, want %q", r.ID, d.file, vals["token"], token)
				}
			case r.TokenInLine:
				if token != "" && !strings.Contains(line, "APPROVE "+token+" | ") {
					t.Errorf("%s %s: line %q lacks the whole token", r.ID, d.file, line)
				}
				if token == "" && strings.Contains(line, "APPROVE ") {
					t.Errorf("%s %s: line %q has an approval without a token", r.ID, d.file, line)
				}
			case r.Writer == WriterImmy:
				// Write-Host 'APPROVE <token>' in the session log (adapter-immy).
			default:
				t.Errorf("%s: no way to show the approval token", r.ID)
			}
			if r.Writer == WriterDatto {
				status := LimitText(out.Label+": "+line, 240)
				if strings.HasPrefix(status, "=") || strings.ContainsAny(status, "\r\n") {
					t.Errorf("datto %s: Result line Status=%s", d.file, status)
				}
			}
			if r.ID == "n-able-n-central" && vals["status"] != out.Label {
				t.Errorf("n-central %s: Status %q", d.file, vals["status"])
			}
		}
	}
}

// TestRemediateMappingEveryResult: every golden remediate result, and every
// status of the result schema, maps in every RMM.
func TestRemediateMappingEveryResult(t *testing.T) {
	docs := loadFixtures(t, "expected-remediate.json")
	statusCode := map[string]int{"verified": 0, "already-present": 0, "pending": 1, "refused": 2, "error": 3}
	for st, c := range statusCode {
		docs = append(docs, fixtureDoc{file: "synthetic " + st, Status: st, ExitCode: c, Summary: strings.ToUpper(st) + ": synthetic"})
	}
	for _, d := range docs {
		if want, ok := statusCode[d.Status]; !ok || want != d.ExitCode {
			t.Errorf("%s: status %s exit %d, want %d", d.file, d.Status, d.ExitCode, want)
		}
		for _, r := range RMMs {
			out, ok := r.Remediate[d.ExitCode]
			if !ok {
				t.Errorf("%s %s: no mapping for remediate exit %d", r.ID, d.file, d.ExitCode)
				continue
			}
			if out.Alert != (d.ExitCode != 0) || (out.Code == 0) != (d.ExitCode == 0) {
				t.Errorf("%s %s: remediate %s (exit %d) -> %+v", r.ID, d.file, d.Status, d.ExitCode, out)
			}
			if !validCode(r, out.Code) && r.ID != "immybot" {
				t.Errorf("%s: remediate exit %d maps to %d, not valid in this RMM", r.ID, d.ExitCode, out.Code)
			}
			if line := r.Line(d.Summary, "", out.Label); len([]rune(line)) > 255 {
				t.Errorf("%s %s: remediate line of %d characters", r.ID, d.file, len([]rune(line)))
			}
		}
	}
}

// cliModel is what the built binary says about itself.
type cliModel struct {
	help        map[string]string // subcommand -> its --help
	detectCodes map[int]bool
	remedyCodes map[int]bool
}

func buildCLI(t *testing.T) cliModel {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "entra8344")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	m := cliModel{help: map[string]string{}}
	for _, sub := range []string{"detect", "remediate", "revert", "summarize", "doctor", "acl", "schema", "version"} {
		out, err := exec.Command(bin, sub, "--help").Output()
		if err != nil {
			t.Fatalf("%s --help: %v", sub, err)
		}
		m.help[sub] = string(out)
	}
	enum := func(schemaName string) map[int]bool {
		out, err := exec.Command(bin, "schema", schemaName).Output()
		if err != nil {
			t.Fatalf("schema %s: %v", schemaName, err)
		}
		var s struct {
			Properties struct {
				ExitCode struct {
					Enum []int `json:"enum"`
				} `json:"exit_code"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(out, &s); err != nil || len(s.Properties.ExitCode.Enum) == 0 {
			t.Fatalf("schema %s: no exit_code enum (%v)", schemaName, err)
		}
		codes := map[int]bool{}
		for _, c := range s.Properties.ExitCode.Enum {
			codes[c] = true
		}
		return codes
	}
	m.detectCodes, m.remedyCodes = enum("verdict"), enum("result")
	return m
}

var (
	exeCall   = regexp.MustCompile(`Invoke-E8Exe -Arguments @\(([^)]*)\)`)
	psLiteral = regexp.MustCompile(`'([^']*)'`)
	envName   = regexp.MustCompile(`ENTRA8344_[A-Z0-9_]+`)
	mapBlock  = regexp.MustCompile(`(?s)\$E8(Detect|Remediate)Map = @\{\n(.*?)\n\}`)
	mapKey    = regexp.MustCompile(`(?m)^\s+(\d+) = @\{ Code = (\d+);`)
)

// TestScriptsUseOnlyWhatTheCLIHas parses the generated scripts: every
// subcommand, flag (and enum value), ENTRA8344_* variable and mapped exit
// code they use must be one the built binary has.
func TestScriptsUseOnlyWhatTheCLIHas(t *testing.T) {
	cli := buildCLI(t)
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasSuffix(n, ".ps1") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	allHelp := strings.Join([]string{cli.help["detect"], cli.help["remediate"], cli.help["revert"]}, "\n")
	calls := 0
	for _, n := range names {
		src := string(files[n])
		for _, m := range exeCall.FindAllStringSubmatch(src, -1) {
			calls++
			var lits []string
			for _, l := range psLiteral.FindAllStringSubmatch(m[1], -1) {
				lits = append(lits, l[1])
			}
			if len(lits) == 0 {
				t.Errorf("%s: exe call without a subcommand: %s", n, m[0])
				continue
			}
			help, ok := cli.help[lits[0]]
			if !ok {
				t.Errorf("%s: subcommand %q does not exist", n, lits[0])
				continue
			}
			for i, a := range lits[1:] {
				if !strings.HasPrefix(a, "--") {
					continue
				}
				flagRe := regexp.MustCompile(`(?m)^\s+(-\w, )?` + regexp.QuoteMeta(a) + `\b(=("?)([^\s"]*))?`)
				fm := flagRe.FindStringSubmatch(help)
				if fm == nil {
					t.Errorf("%s: %s has no flag %s", n, lits[0], a)
					continue
				}
				// A literal value after an enum flag must be one of the enum.
				if a == "--format" && i+2 < len(lits) {
					if !regexp.MustCompile(`Output on stdout: [a-z,]*\b` + regexp.QuoteMeta(lits[i+2]) + `\b`).MatchString(help) {
						t.Errorf("%s: --format %s is not in the enum", n, lits[i+2])
					}
				}
			}
		}
		for _, e := range envName.FindAllString(src, -1) {
			if !strings.Contains(allHelp, "($"+e+")") {
				t.Errorf("%s: environment variable %s is not read by the CLI", n, e)
			}
		}
		for _, mb := range mapBlock.FindAllStringSubmatch(src, -1) {
			codes := cli.detectCodes
			if mb[1] == "Remediate" {
				codes = cli.remedyCodes
			}
			seen := map[int]bool{}
			for _, k := range mapKey.FindAllStringSubmatch(mb[2], -1) {
				c, _ := strconv.Atoi(k[1])
				seen[c] = true
				if !codes[c] {
					t.Errorf("%s: $E8%sMap maps exit %d, which the binary never returns", n, mb[1], c)
				}
			}
			for c := range codes {
				if !seen[c] {
					t.Errorf("%s: $E8%sMap lacks exit %d", n, mb[1], c)
				}
			}
		}
	}
	if calls < 22 {
		t.Errorf("found %d exe calls in the scripts; the parser above no longer matches the core", calls)
	}
	for _, r := range RMMs {
		for c := range r.Detect {
			if !cli.detectCodes[c] {
				t.Errorf("%s: Detect maps %d", r.ID, c)
			}
		}
		for c := range r.Remediate {
			if !cli.remedyCodes[c] {
				t.Errorf("%s: Remediate maps %d", r.ID, c)
			}
		}
	}
}
