package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// The CycloneDX 1.5 JSON subset an SBOM of one Go binary needs
// (https://cyclonedx.org/docs/1.5/json/). Only fields that are set are
// written.
type cdxBOM struct {
	BOMFormat    string          `json:"bomFormat"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      int             `json:"version"`
	Metadata     cdxMetadata     `json:"metadata"`
	Components   []cdxComponent  `json:"components"`
	Dependencies []cdxDependency `json:"dependencies"`
}

type cdxMetadata struct {
	Timestamp string       `json:"timestamp"`
	Tools     cdxTools     `json:"tools"`
	Component cdxComponent `json:"component"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	Type        string        `json:"type"`
	BOMRef      string        `json:"bom-ref,omitempty"`
	Name        string        `json:"name"`
	Version     string        `json:"version,omitempty"`
	Description string        `json:"description,omitempty"`
	PURL        string        `json:"purl,omitempty"`
	Properties  []cdxProperty `json:"properties,omitempty"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// SBOMInput is one built binary.
type SBOMInput struct {
	Info *debug.BuildInfo // debug/buildinfo.ReadFile of the binary
	// Binary is the file name and SHA256 its digest (before signing: the
	// signature changes the bytes, the SBOM must stay reproducible).
	Binary string
	SHA256 [32]byte
	Build  Build
	Time   time.Time // SOURCE_DATE_EPOCH
}

// purl is the package URL of a Go module (purl-spec, type golang).
func purl(path, version string) string {
	return "pkg:golang/" + path + "@" + version + "?type=module"
}

// SBOM is the CycloneDX 1.5 JSON document for one Go binary: the main
// module as metadata.component, every module linked into it (from the
// binary's build information, so exactly what ships) and the Go standard
// library as components, go.sum hashes and build settings as properties.
// Same input, same bytes: the serial number derives from the binary's
// digest and the timestamp is the build's.
func SBOM(in SBOMInput) ([]byte, error) {
	if in.Info == nil {
		return nil, fmt.Errorf("%s has no Go build information", in.Binary)
	}
	main := cdxComponent{
		Type: "application", Name: "entra8344", Version: in.Build.Version,
		Description: "Diagnoses (and, with approval, fixes) Entra Connect export error 8344",
		PURL:        purl(in.Info.Main.Path, "v"+strings.TrimPrefix(in.Build.Version, "v")),
	}
	main.BOMRef = main.PURL
	main.Properties = []cdxProperty{
		{"entra8344:binary", in.Binary},
		{"entra8344:binary:sha256-before-signing", hex.EncodeToString(in.SHA256[:])},
		{"entra8344:commit", in.Build.Commit},
		{"entra8344:built", in.Build.Built},
		{"entra8344:go", in.Info.GoVersion},
	}
	for _, s := range in.Info.Settings {
		if s.Key == "-ldflags" {
			continue // repeats version and commit; keys below are enough to rebuild
		}
		main.Properties = append(main.Properties, cdxProperty{"entra8344:build:" + s.Key, s.Value})
	}
	std := cdxComponent{Type: "library", Name: "std", Version: in.Info.GoVersion,
		Description: "Go standard library and runtime", PURL: purl("std", in.Info.GoVersion)}
	std.BOMRef = std.PURL
	comps := []cdxComponent{std}
	for _, d := range in.Info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := cdxComponent{Type: "library", Name: m.Path, Version: m.Version, PURL: purl(m.Path, m.Version)}
		c.BOMRef = c.PURL
		if m.Sum != "" {
			c.Properties = append(c.Properties, cdxProperty{"entra8344:go.sum", m.Sum})
		}
		if d.Replace != nil {
			c.Properties = append(c.Properties, cdxProperty{"entra8344:replaces", d.Path + "@" + d.Version})
		}
		comps = append(comps, c)
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })
	refs := make([]string, len(comps))
	for i, c := range comps {
		refs[i] = c.BOMRef
	}
	deps := []cdxDependency{{Ref: main.BOMRef, DependsOn: refs}}
	for _, r := range refs {
		deps = append(deps, cdxDependency{Ref: r, DependsOn: []string{}}) // the binary records no module graph
	}
	bom := cdxBOM{
		BOMFormat: "CycloneDX", SpecVersion: "1.5", SerialNumber: serial(in.SHA256), Version: 1,
		Metadata: cdxMetadata{
			Timestamp: in.Time.UTC().Format(time.RFC3339),
			Tools: cdxTools{Components: []cdxComponent{{Type: "application", Name: "entra8344 relinfo",
				Version: in.Build.Version, Description: "internal/release/cmd/relinfo"}}},
			Component: main,
		},
		Components:   comps,
		Dependencies: deps,
	}
	out, err := json.MarshalIndent(bom, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// serial is an RFC 9562 UUIDv8 made from the binary's digest: unique per
// artifact, identical for identical builds.
func serial(sum [32]byte) string {
	u := sha256.Sum256(append([]byte("entra8344 sbom\x00"), sum[:]...))
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:16])
	return fmt.Sprintf("urn:uuid:%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
