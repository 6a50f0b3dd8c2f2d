package adsync

import (
	"bytes"
	"fmt"

	"github.com/antchfx/xmlquery"
)

// DropExportErrors returns a csexport /f:e document without the cs-objects
// whose export error drop accepts, and how many it dropped. It serves the
// replayed export (an object stops failing once the connector may write),
// so it parses the whole document in memory; the live path only streams.
// The output is UTF-8 whatever the input was (ParseExportErrors sniffs the
// bytes and ignores the declared encoding). With nothing dropped the input
// is returned unchanged.
func DropExportErrors(data []byte, drop func(ExportError) bool) ([]byte, int, error) {
	r, _, err := decodeInput(bytes.NewReader(data))
	if err != nil {
		return data, 0, err
	}
	doc, err := xmlquery.ParseWithOptions(r, xmlquery.ParserOptions{Decoder: &xmlquery.DecoderOptions{Strict: true, CharsetReader: passThroughCharset}})
	if err != nil {
		return data, 0, fmt.Errorf("csexport output: %w", err)
	}
	root := doc.SelectElement("cs-objects")
	if root == nil {
		return data, 0, fmt.Errorf("csexport output: no <cs-objects> root")
	}
	var gone []*xmlquery.Node
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xmlquery.ElementNode || c.Data != "cs-object" {
			continue
		}
		if e, ok := csObjectError(c); ok && drop(e) {
			gone = append(gone, c)
		}
	}
	if len(gone) == 0 {
		return data, 0, nil
	}
	// Removed after the walk: RemoveFromTree unlinks the sibling pointers.
	for _, n := range gone {
		xmlquery.RemoveFromTree(n)
	}
	return []byte(doc.OutputXML(false)), len(gone), nil
}
