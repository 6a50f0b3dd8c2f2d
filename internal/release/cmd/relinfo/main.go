// Command relinfo is the release build's helper (scripts/release.sh):
//
//	relinfo winres -template winres/winres.json -version V -commit C -built T -out FILE
//	relinfo sbom   -exe FILE -version V -commit C -built T -out FILE.cdx.json
//	relinfo check  -exe FILE.exe (-version V -commit C -built T | -version-json FILE)
//	relinfo file-version V
//
// winres writes the go-winres configuration with the release's versions;
// sbom writes the CycloneDX 1.5 SBOM of a Go binary (timestamp = -built);
// check reads the version resource and manifest back from a Windows exe
// and compares them with the build, or with what the exe's `version`
// command printed (-version-json), printing what it read as JSON.
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"entra8344/internal/release"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "relinfo:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: relinfo winres|sbom|check|file-version ...")
	}
	fs := flag.NewFlagSet("relinfo "+args[0], flag.ContinueOnError)
	var b release.Build
	fs.StringVar(&b.Version, "version", "", "release version")
	fs.StringVar(&b.Commit, "commit", "", "commit id")
	fs.StringVar(&b.Built, "built", "", "build date, RFC 3339 UTC")
	tmpl := fs.String("template", "", "go-winres configuration template")
	exe := fs.String("exe", "", "built binary")
	out := fs.String("out", "", "output file")
	verJSON := fs.String("version-json", "", "output of `entra8344 version` to compare with")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "file-version":
		v, err := release.FileVersion(fs.Arg(0))
		if err == nil {
			fmt.Println(v)
		}
		return err
	case "winres":
		t, err := os.ReadFile(*tmpl)
		if err != nil {
			return err
		}
		cfg, err := release.WinresConfig(t, b)
		if err != nil {
			return err
		}
		return os.WriteFile(*out, cfg, 0o644)
	case "sbom":
		return writeSBOM(*exe, *out, b)
	case "check":
		if *verJSON != "" {
			var err error
			if b, err = fromVersionJSON(*verJSON); err != nil {
				return err
			}
		}
		return check(*exe, b)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func writeSBOM(exe, out string, b release.Build) error {
	data, err := os.ReadFile(exe)
	if err != nil {
		return err
	}
	info, err := buildinfo.ReadFile(exe)
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, b.Built)
	if err != nil {
		return fmt.Errorf("-built: %w", err)
	}
	doc, err := release.SBOM(release.SBOMInput{Info: info, Binary: filepath.Base(exe), SHA256: sha256.Sum256(data), Build: b, Time: t})
	if err != nil {
		return err
	}
	return os.WriteFile(out, doc, 0o644)
}

// fromVersionJSON reads what `entra8344 version` printed.
func fromVersionJSON(path string) (release.Build, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return release.Build{}, err
	}
	var v struct{ Version, Commit, Built string }
	if err := json.Unmarshal(raw, &v); err != nil || v.Version == "" {
		return release.Build{}, fmt.Errorf("%s is not the output of `entra8344 version`: %v", path, err)
	}
	return release.Build{Version: v.Version, Commit: v.Commit, Built: v.Built}, nil
}

func check(exe string, b release.Build) error {
	f, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := release.ReadResources(f)
	if err != nil {
		return fmt.Errorf("%s: %w", exe, err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(struct {
		Exe string `json:"exe"`
		*release.Resources
	}{filepath.Base(exe), res})
	if err := res.Check(b); err != nil {
		return fmt.Errorf("%s: the version resource does not match version %s, commit %s, built %s:\n%w", exe, b.Version, b.Commit, b.Built, err)
	}
	return nil
}
