// Command csexport-parse parses a csexport /f:e file with
// adsync.ParseExportErrors and prints the object and error counts and a
// SHA-256 digest of the extracted fields. bench/lxml_iterparse.py computes the
// same digest, so bench/csexport-compare.sh can check that both parsers
// extracted the same data, not just the same number of objects.
//
// Usage: csexport-parse FILE
package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"entra8344/internal/adsync"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: csexport-parse FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "csexport-parse:", err)
		os.Exit(1)
	}
	defer f.Close()

	h := sha256.New()
	w := bufio.NewWriter(h)
	start := time.Now()
	stats, err := adsync.ParseExportErrors(f, func(e adsync.ExportError) error {
		_, err := w.WriteString(digestLine(e))
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "csexport-parse:", err)
		os.Exit(1)
	}
	_ = w.Flush()
	el := time.Since(start)
	fmt.Printf("objects=%d errors=%d bytes=%d encoding=%s seconds=%.3f digest=%x\n",
		stats.Objects, stats.ExportErrors, stats.Bytes, stats.Encoding, el.Seconds(), h.Sum(nil))
}

// digestLine is the canonical record shared with lxml_iterparse.py: fields
// joined by U+001F, one line per error. Times are printed back in the
// csexport format; for the generated files this reproduces the raw attribute,
// which is what the Python side hashes.
func digestLine(e adsync.ExportError) string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02 15:04:05.000")
	}
	retry := ""
	if e.RetryCount >= 0 {
		retry = strconv.FormatInt(e.RetryCount, 10)
	}
	return strings.Join([]string{
		e.DN, e.CSID, e.ObjectType, e.ErrorType, e.ErrorCode, e.ErrorName, e.ErrorLiteral,
		e.ServerErrorDetail, e.ExtraErrorDetails, ts(e.FirstOccurred), ts(e.DateOccurred), retry,
		e.DeltaOperation, strings.Join(e.Attributes, ","),
	}, "\x1f") + "\n"
}
