package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "entra8344"

// arrowRules: the direction is main → cli → detect / remediate / summarize
// → internal/* and schema. Each rule names the packages it holds for and
// what they may not import (test files included: a test that reaches
// upwards ties the layers together as surely as code does).
var arrowRules = []struct {
	rule   string
	from   func(pkg string) bool
	banned func(imp string) bool
}{
	{"internal/ntsd imports nothing of ours",
		under("internal/ntsd"), ours},
	{"detect does not import remediate",
		under("detect"), under("remediate")},
	{"nothing under internal/ imports detect, remediate or the CLI",
		func(pkg string) bool { return under("internal")(pkg) && !under("internal/cli")(pkg) },
		anyOf(under("detect"), under("remediate"), under("internal/cli"))},
	{"schema imports only the standard library",
		under("schema"), nonStandard},
	{"only main imports the CLI",
		func(pkg string) bool { return pkg != module && !under("internal/cli")(pkg) }, under("internal/cli")},
}

// knownViolations are the arrows that point the wrong way today, each with
// why it is not yet fixed. The test fails when one of them is gone too, so
// the list only shrinks: delete the entry with the fix.
var knownViolations = map[string]string{}

// TestImportArrows reads the module's imports (go list, tests included)
// and fails on any arrow that points the wrong way.
func TestImportArrows(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages of %s", len(pkgs), module)
	}
	stillThere := map[string]bool{}
	for _, r := range arrowRules {
		t.Run(r.rule, func(t *testing.T) {
			checked := 0
			for _, p := range pkgs {
				if !r.from(p.ImportPath) {
					continue
				}
				checked++
				for _, imp := range p.all() {
					arrow := p.ImportPath + " -> " + imp
					switch {
					case !r.banned(imp):
					case knownViolations[arrow] != "":
						stillThere[arrow] = true
					default:
						t.Errorf("%s imports %s: the arrow points the wrong way (docs/architecture.md)", p.ImportPath, imp)
					}
				}
			}
			if checked == 0 {
				t.Errorf("no package matched: the rule checks nothing")
			}
		})
	}
	for arrow := range knownViolations {
		if !stillThere[arrow] {
			t.Errorf("the known violation %s is gone: delete it from knownViolations", arrow)
		}
	}
}

type listedPackage struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
	Standard                           bool
}

// all is every import, once (the platforms' lists are merged).
func (p listedPackage) all() []string {
	seen, out := map[string]bool{}, []string(nil)
	for _, imp := range append(append(append([]string{}, p.Imports...), p.TestImports...), p.XTestImports...) {
		if !seen[imp] {
			seen[imp], out = true, append(out, imp)
		}
	}
	return out
}

// listPackages lists every package of the module for linux and windows
// (imports differ by build tags), merged by import path.
func listPackages(t *testing.T) map[string]listedPackage {
	t.Helper()
	byPath := map[string]listedPackage{}
	for _, env := range [][]string{{"GOOS=linux"}, {"GOOS=windows"}, {"GOOS=windows", "-tags=entra8344_testhooks"}} {
		args := []string{"list", "-json"}
		goEnv := []string{"GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS="}
		for _, e := range env {
			if strings.HasPrefix(e, "-") {
				args = append(args, e)
			} else {
				goEnv = append(goEnv, e)
			}
		}
		cmd := exec.Command("go", append(args, module+"/...")...)
		cmd.Env = append(cmd.Environ(), goEnv...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s (%v): %v\n%s", strings.Join(args, " "), env, err, stderr.String())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p listedPackage
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("go list output: %v", err)
			}
			seen := byPath[p.ImportPath]
			seen.ImportPath = p.ImportPath
			seen.Imports = append(seen.Imports, p.Imports...)
			seen.TestImports = append(seen.TestImports, p.TestImports...)
			seen.XTestImports = append(seen.XTestImports, p.XTestImports...)
			byPath[p.ImportPath] = seen
		}
	}
	return byPath
}

// under: the package dir (relative to the module root) or one below it.
func under(dir string) func(string) bool {
	full := module + "/" + dir
	return func(pkg string) bool { return pkg == full || strings.HasPrefix(pkg, full+"/") }
}

func ours(imp string) bool { return imp == module || strings.HasPrefix(imp, module+"/") }

// nonStandard: a standard library path has no dot in its first element
// (and is not ours).
func nonStandard(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return ours(imp) || strings.Contains(first, ".")
}

func anyOf(fs ...func(string) bool) func(string) bool {
	return func(s string) bool {
		for _, f := range fs {
			if f(s) {
				return true
			}
		}
		return false
	}
}
