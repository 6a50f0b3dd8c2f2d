package adsync

import (
	"slices"
	"strconv"
	"strings"

	"github.com/antchfx/xmlquery"
)

// Extraction walks the node tree directly instead of using XPath: a compiled
// XPath per field per object costs more than the parse itself on big files,
// and walking lets us accept all known layouts in one pass.

// csObjectError extracts a <cs-object>; ok is false when it has no
// export-errordetail.
func csObjectError(obj *xmlquery.Node) (e ExportError, ok bool) {
	var detail, unapplied *xmlquery.Node
	for c := obj.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xmlquery.ElementNode {
			continue
		}
		switch c.Data {
		case "export-errordetail":
			if detail == nil {
				detail = c
			}
		case "unapplied-export":
			if unapplied == nil {
				unapplied = c
			}
		}
	}
	if detail == nil {
		return e, false
	}
	e = newExportError()
	e.DN = nodeAttr(obj, "cs-dn")
	e.CSID = nodeAttr(obj, "id")
	e.ObjectType = nodeAttr(obj, "object-type")
	readErrorDetail(&e, detail)
	if unapplied != nil {
		e.Attributes, e.DeltaOperation = pendingAttributes(unapplied)
	}
	return e, true
}

// runHistoryError extracts a run-history <export-error cs-guid= dn=> from
// SyncErrorsXml. It is the same element that the FIM layout nests inside
// export-errordetail, so readErrorDetail serves both.
func runHistoryError(n *xmlquery.Node) (ExportError, bool) {
	e := newExportError()
	e.DN = nodeAttr(n, "dn")
	e.CSID = nodeAttr(n, "cs-guid")
	readErrorDetail(&e, n)
	return e, true
}

func newExportError() ExportError {
	return ExportError{Code: -1, RetryCount: -1}
}

// errorMeta collects the raw metadata strings; the first value found wins.
type errorMeta struct {
	firstOccurred, dateOccurred, retryCount, errorType string
}

func isMetaName(name string) bool {
	switch name {
	case "first-occurred", "date-occurred", "retry-count", "error-type":
		return true
	}
	return false
}

func (m *errorMeta) set(name, value string) {
	var dst *string
	switch name {
	case "first-occurred":
		dst = &m.firstOccurred
	case "date-occurred":
		dst = &m.dateOccurred
	case "retry-count":
		dst = &m.retryCount
	case "error-type":
		dst = &m.errorType
	default:
		return
	}
	if *dst == "" {
		*dst = strings.TrimSpace(value)
	}
}

// readErrorDetail fills e from an error element in any of the layouts seen:
//
//   - AAD Connect csexport: attributes on <export-errordetail>, text in
//     export-status/cd-error;
//   - FIM developer reference: <export-errordetail><export-error
//     date-occurred= ...> with cd-error under either element;
//   - run history SyncErrorsXml: <export-error> with the metadata as child
//     elements (<first-occurred>...</first-occurred>) and a cd-error child.
//
// Metadata is taken from attributes or child elements of d or of export-error
// elements below it; cd-error is taken from anywhere below d (first wins).
func readErrorDetail(e *ExportError, d *xmlquery.Node) {
	var m errorMeta
	collectMeta(&m, d, 0)
	e.ErrorType = m.errorType
	e.FirstOccurred, _ = ParseCSTime(m.firstOccurred)
	e.DateOccurred, _ = ParseCSTime(m.dateOccurred)
	e.RetryCount = parseRetryCount(m.retryCount)
	if cd := findDescendant(d, "cd-error", 0); cd != nil {
		readCDError(e, cd)
	}
	e.Code = ParseErrorCode(e.ErrorCode)
}

// maxDetailDepth bounds the recursion below an error element. Real files nest
// cd-error two levels deep; the bound keeps hostile nesting cheap.
const maxDetailDepth = 8

func collectMeta(m *errorMeta, n *xmlquery.Node, depth int) {
	for _, a := range n.Attr {
		m.set(a.Name.Local, a.Value)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xmlquery.ElementNode {
			continue
		}
		if c.Data == "export-error" && depth < maxDetailDepth {
			collectMeta(m, c, depth+1)
			continue
		}
		if isMetaName(c.Data) {
			m.set(c.Data, nodeText(c))
		}
	}
}

func readCDError(e *ExportError, cd *xmlquery.Node) {
	for c := cd.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xmlquery.ElementNode {
			continue
		}
		var dst *string
		switch c.Data {
		case "error-code":
			dst = &e.ErrorCode
		case "error-literal":
			dst = &e.ErrorLiteral
		case "server-error-detail":
			dst = &e.ServerErrorDetail
		case "error-name":
			dst = &e.ErrorName
		case "extra-error-details":
			dst = &e.ExtraErrorDetails
		default:
			continue
		}
		if *dst == "" {
			*dst = nodeText(c)
		}
	}
}

// pendingAttributes returns the sorted, unique names of
// unapplied-export/delta/{attr,dn-attr} and the first delta's operation.
func pendingAttributes(unapplied *xmlquery.Node) (names []string, op string) {
	seenDelta := false
	for d := unapplied.FirstChild; d != nil; d = d.NextSibling {
		if d.Type != xmlquery.ElementNode || d.Data != "delta" {
			continue
		}
		if !seenDelta {
			op, seenDelta = strings.TrimSpace(nodeAttr(d, "operation")), true
		}
		for a := d.FirstChild; a != nil; a = a.NextSibling {
			if a.Type == xmlquery.ElementNode && (a.Data == "attr" || a.Data == "dn-attr") {
				if name := strings.TrimSpace(nodeAttr(a, "name")); name != "" {
					names = append(names, name)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), op
}

// findDescendant returns the first element named name below n (depth first).
func findDescendant(n *xmlquery.Node, name string, depth int) *xmlquery.Node {
	if depth > maxDetailDepth {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xmlquery.ElementNode {
			continue
		}
		if c.Data == name {
			return c
		}
		if f := findDescendant(c, name, depth+1); f != nil {
			return f
		}
	}
	return nil
}

// nodeAttr returns the value of the attribute with local name name,
// verbatim: DNs must survive byte for byte, including escaped commas and
// significant spaces.
func nodeAttr(n *xmlquery.Node, name string) string {
	for _, a := range n.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// nodeText returns the trimmed text content of an element. Real files end
// server-error-detail with a newline, hence the trim.
func nodeText(n *xmlquery.Node) string {
	c := n.FirstChild
	if c == nil {
		return ""
	}
	// Fast path: a single text or CDATA child needs no concatenation.
	if c.NextSibling == nil && (c.Type == xmlquery.TextNode || c.Type == xmlquery.CharDataNode) {
		return strings.TrimSpace(c.Data)
	}
	return strings.TrimSpace(n.InnerText())
}

// parseRetryCount parses a retry count; -1 when absent, negative or unparsable.
func parseRetryCount(s string) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 0 {
		return -1
	}
	return v
}
