package adsync

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/antchfx/xmlquery"
)

// ParseExportErrors streams a csexport /f:e document and calls fn for every
// cs-object that has an export-errordetail, in document order, on the
// caller's goroutine.
//
// The engine is xmlquery's stream parser on /cs-objects/cs-object, which
// drops each object from the tree before reading the next. To keep up with
// lxml on multi-GB files, the document is cut into ~1 MB chunks of whole
// cs-objects that are parsed on up to GOMAXPROCS (max 8) goroutines (see
// csexport_split.go). Memory is bounded whatever the input: a cs-object over
// a size, node or depth limit (csexport_limits.go) is skipped while it is
// read, recorded in ExportStats.Skipped and SkippedObjects, and the parse goes
// on with the next one; the chunks in flight share a memory budget. UTF-8 (with or without BOM) and UTF-16LE/BE
// (with or without BOM) are accepted; see ExportStats.Encoding.
//
// On a malformed or truncated document the error names the line; objects
// already passed to fn stay delivered and are counted in the returned stats.
// An error returned by fn stops the parse and is returned unchanged. fn may be
// nil to only count. An empty input is an error ("empty csexport output");
// an empty <cs-objects/> is 0 objects and no error.
func ParseExportErrors(r io.Reader, fn func(ExportError) error) (ExportStats, error) {
	var stats ExportStats
	err := streamErrors(r, csexportSpec, &stats, fn, chunkSize, defaultLimits)
	return stats, err
}

// ParseSyncErrorsXML parses the run-history SyncErrors.SyncErrorsXml string
// (<synchronization-errors><export-error cs-guid= dn=>…) with the same engine
// and the same field extraction as ParseExportErrors. ObjectType, Attributes
// and DeltaOperation stay empty: run history does not carry them.
//
// An empty or all-whitespace string means "no errors" (nil, nil), because that
// is what run history holds for a clean step. On a parse error the errors read
// before it are returned with the error.
func ParseSyncErrorsXML(s string) ([]ExportError, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []ExportError
	var stats ExportStats
	err := streamErrors(strings.NewReader(s), syncErrorsSpec, &stats, func(e ExportError) error {
		out = append(out, e)
		return nil
	}, chunkSize, defaultLimits)
	if err == nil && stats.Skipped > 0 {
		// No DN here: this text may be logged. The caller's error list is
		// incomplete, which is what it must know.
		o := stats.SkippedObjects[0]
		err = fmt.Errorf("%s: %d <%s> element(s) skipped, the first #%d at line %d: %s", syncErrorsSpec.what, stats.Skipped, syncErrorsSpec.item, o.Index, o.Line, o.Reason)
	}
	return out, err
}

// streamSpec describes one document shape served by streamErrors.
type streamSpec struct {
	what    string // names the input in error messages
	root    string // required root element
	item    string // repeated child of root that is streamed
	dnAttr  string // attribute of item that names it in a skip record
	extract func(*xmlquery.Node) (ExportError, bool)
}

var (
	csexportSpec = streamSpec{
		what: "csexport output", root: "cs-objects", item: "cs-object", dnAttr: "cs-dn",
		extract: csObjectError,
	}
	syncErrorsSpec = streamSpec{
		what: "SyncErrorsXml", root: "synchronization-errors", item: "export-error", dnAttr: "dn",
		extract: runHistoryError,
	}
)

// chunkSize is the splitter's target chunk size: large enough to amortise
// a parser set-up, small enough that the chunks in flight stay a few MB.
const chunkSize = 1 << 20

// The chunks in flight (queued, being parsed, or waiting for the caller)
// share a budget of memoryBudget bytes, in units of budgetUnit. A chunk costs
// its bytes twice (the chunk and its compacted copy) plus what its costliest
// item costs while xmlquery holds it as a tree (itemCost). A chunk over the
// whole budget waits until it can run alone. With the item limits this keeps
// the peak RSS under 128 MiB on any input (TestParseMemoryBound).
const (
	memoryBudget = 16 << 20
	budgetUnit   = 64 << 10
)

func chunkCost(c docChunk) int {
	units := (2*len(c.body) + c.itemCost + budgetUnit - 1) / budgetUnit
	return min(max(units, 1), memoryBudget/budgetUnit)
}

// streamErrors is the one engine behind both parsers: sniff and transcode,
// split into chunks of whole items, parse the chunks on up to GOMAXPROCS
// goroutines with xmlquery's stream parser, and hand the extracted errors to
// fn in document order, on the caller's goroutine.
// target is the chunk size (chunkSize; tests use tiny ones to force many
// chunks).
// lim are the per-item limits (defaultLimits; tests use small ones).
func streamErrors(r io.Reader, spec streamSpec, stats *ExportStats, fn func(ExportError) error, target int, lim itemLimits) (err error) {
	cr := &countingReader{r: r}
	defer func() {
		stats.Bytes = cr.n
		if le, ok := err.(*locatedError); ok && le.what == "" {
			le.what = spec.what
		}
	}()
	utf8r, enc, err := decodeInput(cr)
	stats.Encoding = enc
	if err != nil {
		return &locatedError{line: 1, msg: "read: " + err.Error(), err: err}
	}

	workers := min(runtime.GOMAXPROCS(0), 8)
	stop := make(chan struct{})
	splitDone := make(chan struct{})
	// On an early return (fn failed, or a parse error), stop the splitter
	// and wait for it: it reads the caller's reader, which must not be
	// touched after we return. Workers only finish the chunk in hand.
	defer func() { close(stop); <-splitDone }()
	order := make(chan chan chunkResult, 2*workers)
	jobs := make(chan parseJob, workers)
	split := newSplitter(utf8r, spec, target, lim)
	budget := make(chan struct{}, memoryBudget/budgetUnit)
	var splitErr error // written before order is closed
	go func() {
		defer close(splitDone)
		defer close(jobs)
		defer close(order)
		for {
			c, err := split.next()
			if err != nil {
				if err != io.EOF {
					splitErr = err
				}
				return
			}
			c.units = chunkCost(c)
			for range c.units {
				select {
				case budget <- struct{}{}:
				case <-stop:
					return
				}
			}
			res := make(chan chunkResult, 1)
			select {
			case order <- res:
			case <-stop:
				return
			}
			select {
			case jobs <- parseJob{c, res}:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				j.res <- parseChunk(j.chunk, spec)
			}
		}()
	}

	for res := range order {
		r := <-res
		stats.Objects += r.objects
		stats.ExportErrors += len(r.errs)
		for _, e := range r.errs {
			if fn != nil {
				if err := fn(e); err != nil {
					return err
				}
			}
		}
		r.errs = nil
		for _, o := range r.skipped {
			stats.Skipped++
			if len(stats.SkippedObjects) < maxSkipRecords {
				stats.SkippedObjects = append(stats.SkippedObjects, o)
			}
		}
		for range r.units {
			<-budget
		}
		if r.err != nil {
			return r.err
		}
	}
	if errors.Is(splitErr, errEmptyInput) {
		return fmt.Errorf("empty %s", spec.what)
	}
	return splitErr
}

type parseJob struct {
	chunk docChunk
	res   chan<- chunkResult
}

// chunkResult is what one chunk yielded; err comes after errs in document
// order, so the errors before it are still delivered.
type chunkResult struct {
	objects int
	errs    []ExportError
	skipped []SkippedObject
	units   int // of the memory budget, returned once the result is used
	err     error
}

// chunkBufs recycles chunk and compaction buffers (about 1 MB each). Nothing
// extracted points into them: xmlquery copies every string out.
var chunkBufs = sync.Pool{New: func() any { return new([]byte) }}

// parseChunk runs xmlquery's stream parser over one chunk, first over the
// chunk without its indentation (see compactSpace) and, if that fails, once
// more over the original bytes so that the error and its line, and the
// objects delivered before it, are exactly those of the document.
func parseChunk(c docChunk, spec streamSpec) chunkResult {
	// Nothing to parse, except for an empty last chunk of a document whose
	// root never closed: parsing the bare prefix reports the truncation.
	if len(c.body) == 0 && (len(c.prefix) == 0 || c.close != "") {
		return chunkResult{skipped: c.skipped, units: c.units, err: c.err}
	}
	bp := chunkBufs.Get().(*[]byte)
	if cap(*bp) < len(c.body) {
		*bp = make([]byte, 0, len(c.body)) // exact: append would double it
	}
	compact := compactSpace((*bp)[:0], c.body)
	r := parseChunkBytes(spec, c.prefix, compact, c.close)
	if cap(compact) <= 2*chunkSize {
		// A big one (a chunk holding one large item) is left to the GC
		// rather than kept alive outside the memory budget.
		*bp = compact[:0]
		chunkBufs.Put(bp)
	}
	if r.err != nil {
		r = parseChunkBytes(spec, c.prefix, c.body, c.close)
	}
	if r.err != nil {
		r.err = c.locate(r.err)
	} else {
		r.err = c.err
	}
	r.skipped, r.units = c.skipped, c.units
	return r
}

// parseChunkBytes parses prefix+body+suffix. A panic in the XML stack or in
// extraction becomes an error: hostile input must not bring down the caller,
// and a panic on a worker goroutine could not be recovered by the caller.
func parseChunkBytes(spec streamSpec, prefix, body []byte, suffix string) (r chunkResult) {
	defer func() {
		if p := recover(); p != nil {
			r.err = fmt.Errorf("internal parser error: %v", p)
		}
	}()
	in := io.MultiReader(bytes.NewReader(prefix), bytes.NewReader(body), strings.NewReader(suffix))
	opts := xmlquery.ParserOptions{Decoder: &xmlquery.DecoderOptions{
		// Strict must be set explicitly: DecoderOptions overwrites the
		// decoder's default. Strict plus a nil Entity map means any entity
		// other than the five predefined ones is a syntax error, never an
		// expansion. (WithLineNumbers is deliberately off: it reads the whole
		// input into memory; encoding/xml's syntax errors carry the line.)
		Strict:        true,
		CharsetReader: passThroughCharset,
	}}
	sp, err := xmlquery.CreateStreamParserWithOptions(in, opts, "/"+spec.root+"/"+spec.item)
	if err != nil {
		r.err = fmt.Errorf("set up stream parser: %w", err) // constant XPath: cannot happen
		return r
	}
	for {
		n, err := sp.Read()
		if err == io.EOF {
			return r
		}
		if err != nil {
			r.err = err
			return r
		}
		r.objects++
		if e, ok := spec.extract(n); ok {
			r.errs = append(r.errs, e)
		}
	}
}

// locate maps an error from parsing the chunk (whose line numbers count the
// synthetic prefix) to a position in the document.
func (c docChunk) locate(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line := c.line + se.Line - 1 - bytes.Count(c.prefix, []byte{'\n'})
		msg := se.Msg
		if msg == "unexpected EOF" {
			msg += " (file truncated?)"
		}
		return &locatedError{line: max(line, c.line), msg: msg, err: err}
	}
	return &locatedError{line: c.line, approx: true, msg: err.Error(), err: err}
}

// locatedError is a parse error with the line it happened on.
type locatedError struct {
	what   string
	line   int
	approx bool // line is where reading had got to, not the exact token
	msg    string
	err    error
}

func (e *locatedError) Error() string {
	near := ""
	if e.approx {
		near = "near "
	}
	return fmt.Sprintf("%s %sline %d: %s", e.what, near, e.line, e.msg)
}

func (e *locatedError) Unwrap() error { return e.err }

// ParseErrorCode parses a cd-error error-code: decimal ("8344") or hex with a
// 0x prefix ("0x2098", "0x00002098"), surrounding whitespace ignored. It
// returns -1 for an empty or unparsable code.
//
// A negative decimal that fits in 32 bits is an HRESULT printed as a signed
// int (-2147467259); it is returned as its unsigned 32-bit value (0x80004005)
// so that both spellings compare equal and -1 stays free as "no code".
// Digits without a 0x prefix are always decimal: "00002098" is 2098, because
// guessing the radix would misread real decimal codes.
func ParseErrorCode(s string) int64 {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		v, err := strconv.ParseUint(s[2:], 16, 63)
		if err != nil || !allHex(s[2:]) {
			return -1
		}
		return int64(v)
	}
	if !allDigits(strings.TrimPrefix(s, "-")) {
		return -1 // also rejects "", "+1", "1_000", which strconv would accept
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return -1
	case v >= 0:
		return v
	case v >= math.MinInt32:
		return int64(uint32(int32(v)))
	}
	return -1
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// csTimeLayouts are tried in order. Go accepts a fractional second after the
// seconds field even when the layout has none, so one layout covers
// "...:05", "...:05.287" and .NET's seven-digit "...:05.1200000".
var csTimeLayouts = []struct {
	layout string
	zoned  bool
}{
	{"2006-01-02 15:04:05", false}, // csexport / run history (dateTimeNoT, UTC)
	{"2006-01-02T15:04:05", false}, // .ToString('o') of a Kind=Unspecified DateTime
	{"2006-01-02T15:04:05Z07:00", true},
	{"2006-01-02 15:04:05Z07:00", true},
}

// ParseCSTime parses the timestamps found in csexport and run-history output:
// "2025-06-10 09:30:14.287" and ISO 8601 / RFC 3339 with or without fraction
// and zone ("2025-06-16T14:30:05.1200000", "...Z", "...+02:00"). A timestamp
// without a zone is UTC (that is what the sync engine stores). The result is
// always in UTC. It returns the zero time and false when s matches none.
func ParseCSTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < len("2006-01-02 15:04:05") {
		return time.Time{}, false
	}
	zoned := strings.HasSuffix(s, "Z") || strings.ContainsAny(s[len("2006-01-02T15:04:05"):], "+-")
	for _, l := range csTimeLayouts {
		if l.zoned != zoned {
			continue
		}
		if t, err := time.Parse(l.layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
