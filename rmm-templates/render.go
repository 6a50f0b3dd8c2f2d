package rmmtemplates

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed src
var srcFS embed.FS

// scriptData is what src/*.tmpl see.
type scriptData struct {
	R                          RMM
	S                          Script
	Finish                     Finish
	Detect, Monitor, Remediate bool
	NeedsExe                   bool
}

// readmeData is what src/readme.md.tmpl sees.
type readmeData struct {
	R    RMM
	RMMs []RMM
}

var funcs = template.FuncMap{
	"psStr":      psStr,
	"psBool":     psBool,
	"psOutcomes": psOutcomes,
	"psFields":   psFields,
	"psSplit":    psSplit,
	"join":       strings.Join,
	"codes":      codes,
}

func psStr(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func psBool(b bool) string {
	if b {
		return "$true"
	}
	return "$false"
}

// psSplit writes a literal as two concatenated parts, so that an RMM that
// substitutes the literal into the script text cannot touch the comparison.
func psSplit(s string) string {
	if len(s) < 2 {
		return psStr(s)
	}
	return psStr(s[:1]) + " + " + psStr(s[1:])
}

func sortedCodes(m map[int]Outcome) []int {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

func psOutcomes(m map[int]Outcome) string {
	var b strings.Builder
	b.WriteString("@{\n")
	for _, k := range sortedCodes(m) {
		o := m[k]
		fmt.Fprintf(&b, "    %d = @{ Code = %d; Alert = %s; Label = %s }\n", k, o.Code, psBool(o.Alert), psStr(o.Label))
	}
	b.WriteString("}")
	return b.String()
}

func psFields(fs []Field) string {
	if len(fs) == 0 {
		return "@{}"
	}
	var b strings.Builder
	b.WriteString("@{\n")
	for _, f := range fs {
		fmt.Fprintf(&b, "    %s = @{ Name = %s; Max = %d }\n", f.Role, psStr(f.Name), f.Max)
	}
	b.WriteString("}")
	return b.String()
}

// codes renders a mapping for the README: "0→0, 1→1001, …".
func codes(m map[int]Outcome) string {
	var parts []string
	for _, k := range sortedCodes(m) {
		parts = append(parts, strconv.Itoa(k)+"→"+strconv.Itoa(m[k].Code))
	}
	return strings.Join(parts, ", ")
}

func parse(names ...string) (*template.Template, error) {
	t := template.New(path.Base(names[0])).Delims("{%", "%}").Funcs(funcs)
	for _, n := range names {
		b, err := srcFS.ReadFile("src/" + n)
		if err != nil {
			return nil, err
		}
		if _, err := t.New(n).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
	}
	return t, nil
}

// Render returns every generated file, by path relative to rmm-templates/.
func Render() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, r := range RMMs {
		t, err := parse("core.ps1.tmpl", "adapter-"+string(r.Writer)+".ps1.tmpl", "finish.ps1.tmpl")
		if err != nil {
			return nil, err
		}
		for _, s := range r.Scripts {
			d := scriptData{R: r, S: s, Finish: r.Finish,
				Detect: s.Kind == "detect", Monitor: s.Kind == "monitor", Remediate: s.Kind == "remediate"}
			d.NeedsExe = d.Detect || d.Remediate
			if d.Remediate {
				d.Finish = r.FinishRemediate
			}
			var buf bytes.Buffer
			if err := t.ExecuteTemplate(&buf, "core.ps1.tmpl", d); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", r.ID, s.File, err)
			}
			files[r.ID+"/"+s.File] = tidy(buf.Bytes())
		}
		rt, err := parse("readme.md.tmpl")
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := rt.ExecuteTemplate(&buf, "readme.md.tmpl", readmeData{R: r, RMMs: RMMs}); err != nil {
			return nil, fmt.Errorf("%s/README.md: %w", r.ID, err)
		}
		files[r.ID+"/README.md"] = tidy(buf.Bytes())
	}
	tt, err := parse("index.md.tmpl")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tt.ExecuteTemplate(&buf, "index.md.tmpl", readmeData{RMMs: RMMs}); err != nil {
		return nil, fmt.Errorf("README.md: %w", err)
	}
	files["README.md"] = tidy(buf.Bytes())
	return files, nil
}

// tidy trims trailing spaces, collapses runs of blank lines and ends the
// file with one newline.
func tidy(b []byte) []byte {
	lines := strings.Split(string(b), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n")
}
