package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"entra8344/summarize"
)

// SummarizeCmd is the fleet view: many verdicts in, one document out.
// Inputs that are not verdicts are listed as rejected in the document; the
// exit code is 0, or exitSummaryIncomplete (1, with one stderr line, in
// every format) when a path does not exist or no input was a verdict, or
// 3 when the command line or the output fails.
type SummarizeCmd struct {
	Paths    []string      `arg:"" optional:"" help:"Verdict files, folders (read recursively: *.json, *.ndjson, *.jsonl) or - for standard input (NDJSON or concatenated JSON). Default: standard input." placeholder:"PATH"`
	Format   string        `help:"Output: ${enum}." enum:"json,csv,html" default:"json"`
	Output   string        `help:"Write the document to this file (atomically) instead of standard output." placeholder:"FILE" type:"path"`
	Stale    time.Duration `help:"A server whose newest verdict is older than this is flagged stale (e.g. 7d, 36h; 0 never). ${durations}" default:"7d"`
	Now      string        `help:"The summary's clock, RFC 3339 (default: now): staleness is measured against it." placeholder:"TIME"`
	Limit    int           `help:"Most rows per list in the JSON and HTML (servers, clients, rejected); 0 for all. The CSV always lists every server." default:"1000"`
	MaxBytes int           `name:"max-verdict-bytes" help:"Reject a document larger than this many bytes." default:"16777216"`
	Title    string        `help:"Heading of the HTML report." default:"Entra Connect fleet"`
}

// summarizeStdin is what "-" reads; tests replace it (IO has no stdin).
var summarizeStdin io.Reader = os.Stdin

func (c *SummarizeCmd) Run(stdio *IO) error {
	if c.Limit < 0 {
		return fmt.Errorf("--limit must be 0 or more, not %d", c.Limit)
	}
	if c.MaxBytes <= 0 {
		return fmt.Errorf("--max-verdict-bytes must be positive, not %d", c.MaxBytes)
	}
	now := time.Now()
	if c.Now != "" {
		t, err := time.Parse(time.RFC3339, c.Now)
		if err != nil {
			return fmt.Errorf("--now %q is not an RFC 3339 time (like 2025-06-16T15:00:00Z)", c.Now)
		}
		now = t
	}
	s := summarize.New(summarize.Options{Now: now, StaleAfter: c.Stale,
		MaxDocBytes: c.MaxBytes, Limit: c.Limit, Version: version})
	paths := c.Paths
	if len(paths) == 0 {
		paths = []string{summarize.StdinName}
	}
	var missing []string
	for _, p := range paths {
		if _, err := os.Stat(p); p != summarize.StdinName && err != nil {
			missing = append(missing, p)
		}
		s.AddPath(p, summarizeStdin)
	}
	res := s.Result()
	var incomplete error
	switch in := res.Summary.Inputs; {
	case len(missing) > 0:
		incomplete = fmt.Errorf("summarize: cannot read %s (listed under rejected)", strings.Join(missing, ", "))
	case in.Verdicts == 0 && in.Rejected > 0:
		incomplete = fmt.Errorf("summarize: every input was rejected (%d), no verdict read", in.Rejected)
	}

	var buf bytes.Buffer
	var err error
	switch c.Format {
	case "csv":
		err = res.WriteCSV(&buf)
	case "html":
		err = res.WriteHTML(&buf, c.Title)
	default:
		err = res.WriteJSON(&buf)
	}
	if err != nil {
		return fmt.Errorf("render the %s summary: %w", c.Format, err)
	}
	if c.Output != "" {
		err := writeFileAtomic(c.Output, buf.Bytes())
		if err != nil {
			// Not silent, not lost: the document goes to stdout instead.
			return emit(stdio, buf.Bytes(), "", exitOK, errors.Join(err, incomplete))
		}
	} else if _, err = stdio.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if incomplete != nil {
		fmt.Fprintf(stdio.Stderr, "entra8344: %v\n", incomplete)
		return exitError{exitSummaryIncomplete}
	}
	return nil
}
