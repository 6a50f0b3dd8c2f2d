package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// emit prints the command's one document on stdout and, with --output,
// writes it to that file too. A failure beside the document (the file
// cannot be written, a replay session cannot be kept) is never silent:
// the document still goes to stdout, one line on stderr names what failed,
// and the exit code is exitUnknown.
func emit(stdio *IO, doc []byte, output string, code int, failed error) error {
	if output != "" {
		failed = errors.Join(failed, writeFileAtomic(output, doc))
	}
	if _, err := stdio.Stdout.Write(doc); err != nil {
		return err
	}
	if failed != nil {
		fmt.Fprintf(stdio.Stderr, "entra8344: %s\n", strings.ReplaceAll(failed.Error(), "\n", "; "))
		return exitError{exitUnknown}
	}
	return exitError{code}
}

// writeFileAtomic writes beside the target and renames, so an RMM reading
// the file never sees half a document. What --output writes holds no
// secret (verdicts, results, summaries), so it is readable by all (0644)
// like any report; journals, keys and the log are written elsewhere, private.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".entra8344-*.tmp")
	if err != nil {
		return fmt.Errorf("write --output %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write --output %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write --output %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write --output %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write --output %s: %w", path, err)
	}
	return nil
}
