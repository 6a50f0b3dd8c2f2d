package release

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"regexp"
	"runtime/debug"
	"testing"
	"time"
)

// validateCycloneDX checks what CycloneDX 1.5 requires of the fields this
// SBOM uses, and what consumers rely on: unique bom-refs, every dependency
// ref resolves, every library has a golang purl.
func validateCycloneDX(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var bom struct {
		BOMFormat, SpecVersion, SerialNumber string
		Version                              int
		Metadata                             struct {
			Timestamp string
			Component struct{ Type, Name, Version, PURL, BOMRef string } `json:"component"`
		}
		Components []struct {
			Type, Name, Version, Purl string
			BOMRef                    string `json:"bom-ref"`
		}
		Dependencies []struct {
			Ref       string
			DependsOn []string
		}
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&bom); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Version != 1 {
		t.Errorf("bomFormat %q specVersion %q version %d", bom.BOMFormat, bom.SpecVersion, bom.Version)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serialNumber %q is not an RFC 4122 urn:uuid", bom.SerialNumber)
	}
	if _, err := time.Parse(time.RFC3339, bom.Metadata.Timestamp); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	refs := map[string]bool{}
	purlRE := regexp.MustCompile(`^pkg:golang/[^@]+@[^@?]+\?type=module$`)
	for _, c := range bom.Components {
		if c.Type != "library" || c.Name == "" || c.Version == "" || !purlRE.MatchString(c.Purl) || c.BOMRef == "" || refs[c.BOMRef] {
			t.Errorf("component %+v: want a library with name, version, golang purl and a unique bom-ref", c)
		}
		refs[c.BOMRef] = true
	}
	var raw map[string]any
	json.Unmarshal(doc, &raw)
	mainRef := raw["metadata"].(map[string]any)["component"].(map[string]any)["bom-ref"].(string)
	refs[mainRef] = true
	for _, d := range bom.Dependencies {
		for _, r := range append([]string{d.Ref}, d.DependsOn...) {
			if !refs[r] {
				t.Errorf("dependency ref %q names no component", r)
			}
		}
	}
	if len(bom.Dependencies) == 0 || bom.Dependencies[0].Ref != mainRef || len(bom.Dependencies[0].DependsOn) != len(bom.Components) {
		t.Errorf("the main component must depend on every component")
	}
	return raw
}

func TestSBOMSynthetic(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Path: "entra8344",
		Main: debug.Module{Path: "entra8344", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "golang.org/x/sys", Version: "v0.49.0", Sum: "h1:abc="},
			{Path: "github.com/alecthomas/kong", Version: "v1.17.0", Sum: "h1:def="},
			{Path: "example.com/old", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/new", Version: "v1.0.1", Sum: "h1:ghi="}},
		},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "windows"}, {Key: "-trimpath", Value: "true"}, {Key: "-ldflags", Value: "-X main.version=1"}},
	}
	in := SBOMInput{Info: info, Binary: "entra8344.exe", SHA256: sha256.Sum256([]byte("exe")),
		Build: Build{Version: "1.2.3", Commit: "c0ffee", Built: "2026-11-21T12:00:00Z"}, Time: time.Unix(1795000000, 0)}
	doc, err := SBOM(in)
	if err != nil {
		t.Fatal(err)
	}
	raw := validateCycloneDX(t, doc)
	again, _ := SBOM(in)
	if !bytes.Equal(doc, again) {
		t.Error("the same input gave two different SBOMs")
	}
	in.SHA256[0]++
	other, _ := SBOM(in)
	if bytes.Equal(doc, other) {
		t.Error("another binary gave the same SBOM")
	}
	comps := raw["components"].([]any)
	if len(comps) != 4 {
		t.Fatalf("%d components, want std + 3 modules", len(comps))
	}
	for _, want := range []string{"pkg:golang/std@go1.26.8?type=module", "pkg:golang/example.com/new@v1.0.1?type=module", "entra8344:build:GOOS", "h1:abc=", "c0ffee"} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("SBOM lacks %q", want)
		}
	}
	if bytes.Contains(doc, []byte("-X main.version")) {
		t.Error("ldflags leaked into the SBOM")
	}
	if _, err := SBOM(SBOMInput{Binary: "x"}); err == nil {
		t.Error("SBOM without build information")
	}
}

// The SBOM of a real Go binary: this test binary.
func TestSBOMOfRealBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	info, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Skipf("no build info in the test binary: %v", err)
	}
	doc, err := SBOM(SBOMInput{Info: info, Binary: "release.test", Build: Build{Version: "0.0.0-dev", Commit: "x", Built: "2026-01-01T00:00:00Z"}, Time: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	validateCycloneDX(t, doc)
}

func TestWinresConfig(t *testing.T) {
	tmpl, err := os.ReadFile("../../winres/winres.json")
	if err != nil {
		t.Fatal(err)
	}
	b := Build{Version: "2.1.0-rc.1", Commit: "abc", Built: "2026-11-21T12:00:00Z"}
	cfg, err := WinresConfig(tmpl, b)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	v := m["RT_VERSION"].(map[string]any)["#1"].(map[string]any)["0000"].(map[string]any)
	fixed := v["fixed"].(map[string]any)
	strs := v["info"].(map[string]any)["0409"].(map[string]any)
	if fixed["file_version"] != "2.1.0.0" || fixed["product_version"] != "2.1.0.0" || strs["ProductVersion"] != "2.1.0-rc.1" ||
		strs["FileVersion"] != "2.1.0.0" || strs["Comments"] != b.Comments() || strs["OriginalFilename"] != "entra8344.exe" {
		t.Errorf("version part: %v", v)
	}
	man := m["RT_MANIFEST"].(map[string]any)["#1"].(map[string]any)["0409"].(map[string]any)
	if man["execution-level"] != "as invoker" {
		t.Errorf("manifest execution level %v, want as invoker", man["execution-level"])
	}
	if again, _ := WinresConfig(tmpl, b); !bytes.Equal(cfg, again) {
		t.Error("WinresConfig is not deterministic")
	}
	if _, err := WinresConfig(tmpl, Build{Version: "dev"}); err == nil {
		t.Error("version dev accepted")
	}
	if _, err := WinresConfig([]byte(`{"RT_MANIFEST":{}}`), b); err == nil {
		t.Error("template without RT_VERSION accepted")
	}
}
