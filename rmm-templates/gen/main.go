// Command gen writes rmm-templates/<rmm>/ and rmm-templates/README.md from
// the shared source (go generate ./rmm-templates).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	rmmtemplates "entra8344/rmm-templates"
)

func main() {
	files, err := rmmtemplates.Render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.FromSlash(n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("gen: wrote %d files\n", len(names))
}
