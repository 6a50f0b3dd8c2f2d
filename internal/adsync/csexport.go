package adsync

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/antchfx/xmlquery"
)

// ParseExportErrors streams a csexport /f:e document and calls fn for every
// cs-object that has an export-errordetail.
//
// It uses xmlquery's stream parser on /cs-objects/cs-object, which drops each
// object from the tree before reading the next, so memory is bounded by the
// largest single object, not by the file (csexport files of large tenants run
// to gigabytes). UTF-8 (with or without BOM) and UTF-16LE/BE (with or without
// BOM) are accepted; see ExportStats.Encoding.
//
// On a malformed or truncated document the error names the line; objects
// already passed to fn stay delivered and are counted in the returned stats.
// An error returned by fn stops the parse and is returned unchanged. fn may be
// nil to only count.
func ParseExportErrors(r io.Reader, fn func(ExportError) error) (ExportStats, error) {
	var stats ExportStats
	err := streamErrors(r, csexportSpec, &stats, fn)
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
	})
	return out, err
}

// streamSpec describes one document shape served by streamErrors.
type streamSpec struct {
	what    string // names the input in error messages
	root    string // required root element
	item    string // repeated child of root that is streamed
	extract func(*xmlquery.Node) (ExportError, bool)
}

var (
	csexportSpec = streamSpec{
		what: "csexport output", root: "cs-objects", item: "cs-object",
		extract: csObjectError,
	}
	syncErrorsSpec = streamSpec{
		what: "SyncErrorsXml", root: "synchronization-errors", item: "export-error",
		extract: runHistoryError,
	}
)

// streamErrors is the one engine behind both parsers: sniff and transcode,
// guard the prolog, stream spec.item elements with xmlquery and hand each
// extracted ExportError to fn.
func streamErrors(r io.Reader, spec streamSpec, stats *ExportStats, fn func(ExportError) error) error {
	cr := &countingReader{r: r}
	defer func() { stats.Bytes = cr.n }()

	utf8r, enc, err := decodeInput(cr)
	stats.Encoding = enc
	if err != nil {
		return fmt.Errorf("read %s: %w", spec.what, err)
	}
	guard := newPrologGuard(utf8r, spec.root)
	opts := xmlquery.ParserOptions{Decoder: &xmlquery.DecoderOptions{
		// Strict must be set explicitly: DecoderOptions overwrites the
		// decoder's default. Strict plus a nil Entity map means any entity
		// other than the five predefined ones is a syntax error, never an
		// expansion. (WithLineNumbers is deliberately off: it reads the whole
		// input into memory; encoding/xml's syntax errors carry the line.)
		Strict:        true,
		CharsetReader: passThroughCharset,
	}}
	sp, err := xmlquery.CreateStreamParserWithOptions(guard, opts, "/"+spec.root+"/"+spec.item)
	if err != nil {
		return fmt.Errorf("%s: set up stream parser: %w", spec.what, err) // constant XPath: cannot happen
	}
	for {
		e, isErr, err := nextError(sp, spec, guard, stats)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !isErr || fn == nil {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// nextError reads and extracts one streamed element. A panic in the XML
// stack or in extraction becomes an error (hostile input must not crash the
// caller); fn runs outside this function so the caller's panics stay theirs.
func nextError(sp *xmlquery.StreamParser, spec streamSpec, g *prologGuard, stats *ExportStats) (e ExportError, isErr bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &locatedError{what: spec.what, line: g.line, approx: true, msg: fmt.Sprintf("internal parser error: %v", p)}
		}
	}()
	n, err := sp.Read()
	if err != nil {
		if err == io.EOF {
			return e, false, err
		}
		return e, false, locate(spec, g, err)
	}
	stats.Objects++
	e, isErr = spec.extract(n)
	if isErr {
		stats.ExportErrors++
	}
	return e, isErr, nil
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

// locate turns an error from the XML stack into one that says where.
func locate(spec streamSpec, g *prologGuard, err error) error {
	var se *xml.SyntaxError
	var pe *prologError
	switch {
	case errors.Is(err, errEmptyInput):
		return fmt.Errorf("empty %s", spec.what)
	case errors.As(err, &pe):
		return &locatedError{what: spec.what, line: pe.line, msg: pe.msg, err: err}
	case errors.As(err, &se):
		msg := se.Msg
		if msg == "unexpected EOF" {
			msg += " (file truncated?)"
		}
		return &locatedError{what: spec.what, line: se.Line, msg: msg, err: err}
	}
	return &locatedError{what: spec.what, line: g.line, approx: true, msg: err.Error(), err: err}
}

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
