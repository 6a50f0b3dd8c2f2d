package release

import (
	"encoding/json"
	"fmt"
)

// Build is what one release build stamps into the binary: the -X values of
// entra8344/internal/cli.version, .commit and .built.
type Build struct {
	Version string // release version, e.g. "1.4.0" or "1.4.0-rc.2"
	Commit  string // full commit id
	Built   string // build date, RFC 3339 UTC (from SOURCE_DATE_EPOCH)
}

// Comments is the version resource's Comments string for b.
func (b Build) Comments() string {
	return fmt.Sprintf("commit %s, built %s", b.Commit, b.Built)
}

// WinresConfig fills the go-winres configuration template (winres/winres.json)
// with b: fixed file and product version (FileVersion of b.Version), and the
// FileVersion, ProductVersion and Comments strings of every language of
// RT_VERSION #1. The output is deterministic (sorted keys).
func WinresConfig(template []byte, b Build) ([]byte, error) {
	num, err := FileVersion(b.Version)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := json.Unmarshal(template, &cfg); err != nil {
		return nil, fmt.Errorf("winres template: %w", err)
	}
	langs, ok := dig(cfg, "RT_VERSION", "#1")
	if !ok || len(langs) == 0 {
		return nil, fmt.Errorf(`winres template: no RT_VERSION "#1"`)
	}
	for lang := range langs {
		fixed, ok := dig(langs, lang, "fixed")
		if !ok {
			return nil, fmt.Errorf("winres template: RT_VERSION #1 %s has no fixed part", lang)
		}
		fixed["file_version"], fixed["product_version"] = num, num
		info, ok := dig(langs, lang, "info")
		if !ok || len(info) == 0 {
			return nil, fmt.Errorf("winres template: RT_VERSION #1 %s has no info strings", lang)
		}
		for il := range info {
			strs, ok := info[il].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("winres template: RT_VERSION #1 %s info %s is not an object", lang, il)
			}
			strs["FileVersion"], strs["ProductVersion"], strs["Comments"] = num, b.Version, b.Comments()
		}
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// dig follows object keys and returns the object found there.
func dig(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}
