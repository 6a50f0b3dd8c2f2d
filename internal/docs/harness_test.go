package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestParse: the markers the documents use, and each way a marker can be
// misplaced, which must fail rather than silently run nothing.
func TestParse(t *testing.T) {
	tests := []struct {
		name, doc     string
		requireMarked bool
		want          []Block // File, Line, Script, Exit, Excerpt compared
		err           string
	}{
		{"runnable with output", "x\n<!-- runnable exit=2 -->\n```sh\ngo run . detect\n```\n<!-- output -->\n```text\nA\n...\nB\n```\n", true,
			[]Block{{Line: 3, Script: "go run . detect", Exit: 2, Excerpt: []string{"A", "...", "B"}}}, ""},
		{"indented in a list", "- a\n  <!-- runnable -->\n  ```sh\n  entra8344 version\n  ```\n", false,
			[]Block{{Line: 3, Script: "entra8344 version"}}, ""},
		{"unmarked sh in README", "```sh\nls\n```\n", true, nil, "marked neither"},
		{"unmarked sh elsewhere", "```sh\nls\n```\n", false, nil, ""},
		{"not runnable", "<!-- not runnable: suite -->\n```sh\nbash scripts/test.sh\n```\n", true, nil, ""},
		{"other languages need no marker", "```powershell\nGet-Item\n```\n", true, nil, ""},
		{"marker without fence", "<!-- runnable -->\ntext\n", false, nil, "not followed by a fence"},
		{"marker at the end", "<!-- runnable -->\n", false, nil, "at the end"},
		{"output without runnable", "<!-- output -->\n```text\nA\n```\n", false, nil, "does not follow a runnable"},
		{"output after text", "<!-- runnable -->\n```sh\nx\n```\nprose\n<!-- output -->\n```text\nA\n```\n", false, nil, "does not follow a runnable"},
		{"runnable powershell", "<!-- runnable -->\n```powershell\nx\n```\n", false, nil, "must be a sh fence"},
		{"malformed marker", "<!-- runnable exit=two -->\n```sh\nx\n```\n", false, nil, "malformed marker"},
		{"unclosed fence", "<!-- runnable -->\n```sh\nx\n", false, nil, "never closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("d.md", tc.doc, tc.requireMarked)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d blocks, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Line != w.Line || g.Script != w.Script || g.Exit != w.Exit || strings.Join(g.Excerpt, "|") != strings.Join(w.Excerpt, "|") {
					t.Errorf("block %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestMatchExcerpt: an excerpt matches real output in order, modulo
// tokens, journal ids and times, and nothing else.
func TestMatchExcerpt(t *testing.T) {
	out := "entra8344 detect: REMEDIABLE (exit 2)\nskipped\n  Token:       e8a1AWhoVCX4moke0PFVuSgSTARiLU5wfmHyuR2u--VmUL3Il0udTFmr9SLN\n  Expires:     2025-06-19T15:00:08Z\nVERIFIED: (journal 20250616T150014Z-ea1b11)\n"
	tests := []struct {
		name    string
		excerpt []string
		ok      bool
	}{
		{"in order, lines skipped", []string{"entra8344 detect: REMEDIABLE (exit 2)", "...", "  Expires:     2025-06-19T15:00:08Z"}, true},
		{"another token, time and journal", []string{"  Token:       e8a1AWhoVCXwmoke0PFVuSgSTARiLU5wfmHyuR3E0ik2kIHVX5uPE4GTkjvq", "  Expires:     2025-06-19T15:00:00Z", "VERIFIED: (journal 20250616T150003Z-9ff415)"}, true},
		{"prefix", []string{"  Token: ..."}, true},
		{"out of order", []string{"  Expires:     2025-06-19T15:00:08Z", "entra8344 detect: REMEDIABLE (exit 2)"}, false},
		{"stale text", []string{"entra8344 detect: REMEDIABLE (exit 1)"}, false},
		{"a 56-character token is not a token", []string{"  Token:       e8a1AWhoVCX4moke0PFVuSgSTARiLU5wfmHyuR2u--VmUL3Il0udTFmr"}, false},
		{"part of a line without ...", []string{"  Token:"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := MatchExcerpt(out, tc.excerpt)
			if (err == nil) != tc.ok {
				t.Errorf("MatchExcerpt = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestPrepareAndHandOver: placeholders take what earlier blocks printed,
// and a block that needs one no block printed fails.
func TestPrepareAndHandOver(t *testing.T) {
	const tok = "e8a1AWhoVCX4moke0PFVuSgSTARiLU5wfmHyuR2u--VmUL3Il0udTFmr9SLN"
	if _, err := Prepare("ENTRA8344_APPROVAL_TOKEN=<token> go run . remediate", "", ""); err == nil {
		t.Error("<token> with no token before: no error")
	}
	if _, err := Prepare("go run . revert --journal <journal>", tok, ""); err == nil {
		t.Error("<journal> with no journal before: no error")
	}
	got, err := Prepare("ENTRA8344_APPROVAL_TOKEN=<token> go run . remediate; entra8344.exe revert --journal <journal>", tok, "20250616T150014Z-ea1b11")
	want := "ENTRA8344_APPROVAL_TOKEN=" + tok + " entra8344 remediate; entra8344 revert --journal 20250616T150014Z-ea1b11"
	if err != nil || got != want {
		t.Errorf("Prepare = %q, %v; want %q", got, err, want)
	}
	token, journal := HandOver("go run . detect --replay demo --format text", "  Token:       "+tok+"\n", "", "")
	if token != tok || journal != "" {
		t.Errorf("after detect: %q %q", token, journal)
	}
	token, journal = HandOver("entra8344 remediate --replay demo", `"journal": {"id": "20250616T150014Z-ea1b11",`, token, "")
	if token != tok || journal != "20250616T150014Z-ea1b11" {
		t.Errorf("after remediate: %q %q", token, journal)
	}
	// A revert prints its own journal: not one to revert next.
	if _, j := HandOver("entra8344 revert --journal x", "Journal:     20250616T150099Z-000000\n", token, journal); j != journal {
		t.Errorf("after revert the journal became %q", j)
	}
}

// TestLinks: every relative link of README.md and docs/*.md names a file
// that exists (the README is mostly links now).
func TestLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, path := range documents(t) {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", path, target)
			}
		}
	}
}
