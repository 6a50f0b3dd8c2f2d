// Command summarize-gen writes a generated fleet of verdicts (see
// summarize/fleetgen) as NDJSON, or as one file per verdict under a folder,
// for bench/summarize-compare.sh and scripts/fleet-screenshot.sh.
//
//	summarize-gen [-n 100000] [-seed 1] [-now RFC3339] [-hostile] [-duplicates 0.1] [-dir DIR | -o FILE]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"entra8344/summarize/fleetgen"
)

func main() {
	n := flag.Int("n", 100000, "verdicts to write")
	seed := flag.Uint64("seed", 1, "random seed: same seed, same fleet")
	now := flag.String("now", "", "newest verdicts fall in the 90 minutes before this RFC 3339 time (default: now)")
	hostile := flag.Bool("hostile", false, "mix hostile client names (quotes, formulas, markup) in")
	dup := flag.Float64("duplicates", 0.1, "older verdicts per server: 0.1 writes 1.1 verdicts per server, 99 writes 100")
	out := flag.String("o", "-", "NDJSON output file (- for stdout)")
	dir := flag.String("dir", "", "write one pretty-printed verdict file per verdict under this folder instead")
	flag.Parse()
	if err := run(fleetgen.Options{Verdicts: *n, Seed: *seed, Hostile: *hostile, Duplicates: *dup}, *now, *out, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "summarize-gen:", err)
		os.Exit(1)
	}
}

func run(o fleetgen.Options, now, out, dir string) error {
	o.Now = time.Now().UTC().Truncate(time.Second)
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return fmt.Errorf("-now: %w", err)
		}
		o.Now = t
	}
	g, err := fleetgen.New(o)
	if err != nil {
		return err
	}
	if dir != "" {
		i := 0
		return g.Each(func(server int, doc []byte) error {
			i++
			sub := filepath.Join(dir, fmt.Sprintf("server-%06d", server))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(sub, fmt.Sprintf("verdict-%07d.json", i)), doc, 0o644)
		})
	}
	f := os.Stdout
	if out != "-" {
		if f, err = os.Create(out); err != nil {
			return err
		}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := g.WriteNDJSON(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
