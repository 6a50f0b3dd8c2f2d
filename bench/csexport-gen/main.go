// Command csexport-gen writes a synthetic csexport /f:e file of at least the
// given size (see internal/adsync/csexportgen).
//
// Usage: csexport-gen FILE SIZE_MB [SEED]
package main

import (
	"fmt"
	"os"
	"strconv"

	"entra8344/internal/adsync/csexportgen"
)

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: csexport-gen FILE SIZE_MB [SEED]")
		os.Exit(2)
	}
	mb, err := strconv.ParseInt(os.Args[2], 10, 64)
	if err != nil || mb <= 0 {
		fmt.Fprintln(os.Stderr, "csexport-gen: SIZE_MB must be a positive integer")
		os.Exit(2)
	}
	seed := int64(8344)
	if len(os.Args) == 4 {
		if seed, err = strconv.ParseInt(os.Args[3], 10, 64); err != nil {
			fmt.Fprintln(os.Stderr, "csexport-gen: bad SEED:", err)
			os.Exit(2)
		}
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "csexport-gen:", err)
		os.Exit(1)
	}
	n, err := csexportgen.WriteAtLeast(f, mb<<20, seed)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "csexport-gen:", err)
		os.Exit(1)
	}
	fmt.Printf("objects=%d\n", n)
}
