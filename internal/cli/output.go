package cli

import (
	"errors"
	"fmt"
	"strings"

	"entra8344/internal/atomicfile"
)

// emit prints the command's one document on stdout and, with --output,
// writes it to that file too. A failure beside the document (the file
// cannot be written, a replay session cannot be kept) is never silent:
// the document still goes to stdout, one line on stderr names what failed,
// and the exit code is exitUnknown.
func emit(stdio *IO, doc []byte, output string, code int, failed error) error {
	return emitAs(stdio, doc, doc, output, code, failed)
}

// emitAs is emit when stdout carries another view of doc (--format text):
// the file always gets the JSON document.
func emitAs(stdio *IO, doc, out []byte, output string, code int, failed error) error {
	if output != "" {
		failed = errors.Join(failed, writeFileAtomic(output, doc))
	}
	if _, err := stdio.Stdout.Write(out); err != nil {
		return err
	}
	if failed != nil {
		fmt.Fprintf(stdio.Stderr, "entra8344: %s\n", strings.ReplaceAll(failed.Error(), "\n", "; "))
		return exitError{exitUnknown}
	}
	return exitError{code}
}

// writeFileAtomic writes beside the target and renames, so an RMM reading
// the file never sees half a document (a reader holding it open on Windows
// is waited out briefly, then named in the error: internal/atomicfile). What --output writes holds no
// secret (verdicts, results, summaries), so it is readable by all (0644)
// like any report; journals, keys and the log are written elsewhere, private.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write --output %s: %w", path, err)
	}
	return nil
}
