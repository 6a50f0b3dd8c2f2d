// Command entra8344 diagnoses Entra Connect export error 8344 on the server an
// RMM runs it on: one JSON verdict on stdout, a Nagios-style exit code,
// nothing on stderr unless the command line is wrong. The commands live in
// internal/cli (docs/architecture.md); this file only hands them the process.
package main

import (
	"os"

	"entra8344/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.IO{Stdout: os.Stdout, Stderr: os.Stderr}))
}
