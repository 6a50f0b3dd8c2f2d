// Package release holds what the release build needs besides the Go
// toolchain: the numeric Windows file version of a release version, the
// go-winres configuration with the release's version strings, a reader for
// the version resource and manifest of a built PE file (to check the result
// independently of the tool that wrote it), and the CycloneDX SBOM of a Go
// binary. scripts/release.sh drives it through cmd/relinfo.
package release

import (
	"fmt"
	"strconv"
	"strings"
)

// FileVersion is the four-part numeric version Windows keeps in
// VS_FIXEDFILEINFO for a release version "MAJOR.MINOR.PATCH[.REV]" with an
// optional leading "v", pre-release ("-rc.1") and build ("+meta") suffix:
// "1.4.0-rc.2" is 1.4.0.0. Each part must fit 16 bits.
func FileVersion(v string) (string, error) {
	core := strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return "", fmt.Errorf("version %q: want MAJOR.MINOR.PATCH[.REV][-pre][+build]", v)
	}
	for len(parts) < 4 {
		parts = append(parts, "0")
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil || (len(p) > 1 && p[0] == '0') {
			return "", fmt.Errorf("version %q: %q is not a number from 0 to 65535", v, p)
		}
	}
	return strings.Join(parts, "."), nil
}
