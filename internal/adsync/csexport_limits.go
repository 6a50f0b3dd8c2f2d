package adsync

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// Limits on one top-level item (<cs-object>), enforced by the splitter while
// it reads, before the item is ever parsed. xmlquery keeps a whole item as a
// node tree, so without them one hostile item decides our memory: 1.5 million
// values in one cs-object took 1.48 GB, a 2-million-deep nesting 738 MB.
//
// The numbers: the reference sample (samples/csexport-permission-issue.xml)
// is one 3.7 KB object of ~40 elements and nodes; real objects are KB. A
// hologram value is written as <dn-value><dn>…</dn></dn-value>, ~100 bytes
// and 2 elements for a typical member DN, so 50,000 nodes hold ~25,000 member
// DNs (2.5 MB) and 4 MiB of long text values: 1000 times the sample. The
// limits are not higher because of memory: the tree costs ~300 bytes per
// element with its text (measured), and the GC lets the heap grow to twice
// what is live, so one item at 100,000 nodes alone already peaked at 94-114
// MB RSS; at 50,000 the worst shapes stay under 85 MB (TestParseMemoryBound).
// Nesting in csexport is 7 deep
// (cs-objects/cs-object/synchronized-hologram/entry/dn-attr/dn-value/dn).
type itemLimits struct {
	bytes int // bytes of one item, start tag to end tag
	depth int // element depth in the document (the root is 1, an item 2)
	nodes int // elements, attributes, comments, PIs and CDATA in one item
}

var defaultLimits = itemLimits{bytes: 4 << 20, depth: 64, nodes: 50_000}

// SkippedObject is a top-level item that was not parsed because it exceeds a
// limit. The rest of the document is still read.
type SkippedObject struct {
	Index  int    // 1-based position among the top-level items
	Line   int    // line of its start tag
	DN     string // its cs-dn (dn in SyncErrorsXml) if the start tag was read, else ""
	Reason string // which limit, e.g. "more than 4194304 bytes"
}

// Describe names the object for a message: by DN when known (quoted, so the
// caller's JSON escapes any hostile text), else by position.
func (o SkippedObject) Describe(item string) string {
	where := fmt.Sprintf("<%s> #%d at line %d", item, o.Index, o.Line)
	if o.DN != "" {
		where += fmt.Sprintf(" (%q)", clipForMsg(o.DN, 512))
	}
	return fmt.Sprintf("%s skipped: %s", where, o.Reason)
}

// itemCost estimates the heap an item takes while it is parsed: xmlquery's
// tree at nodeCost per node (measured: ~200-350 bytes per element with its
// text, ~175 per attribute), and its text three times (the decoder's buffer,
// which doubles, and the copy in the node).
func itemCost(bytes, nodes int) int { return 3*bytes + nodeCost*nodes }

const nodeCost = 320

// maxSkipRecords bounds the skipped objects kept in ExportStats; the count
// goes on.
const maxSkipRecords = 20

// maxSkipDN bounds the DN kept in a skip record (AD's DNs are far shorter).
const maxSkipDN = 2048

// itemState tracks the top-level item being read.
type itemState struct {
	start   int // offset in buf of its '<'
	tagEnd  int // offset in buf just past its start tag; 0 while reading it
	index   int
	nodes   int
	maxCost int // the highest itemCost in the chunk being built
}

// beginItem is called at the '<' of a top-level item's start tag.
func (s *splitter) beginItem() {
	s.inItem = true
	s.item.index++
	s.item.start, s.item.tagEnd, s.item.nodes = s.tokStart, 0, 0
}

// endItem is called when the item's end tag (or its self-closing start tag)
// has been read.
func (s *splitter) endItem() {
	s.inItem = false
	s.item.maxCost = max(s.item.maxCost, itemCost(s.pos-s.item.start, s.item.nodes))
	if s.skipping {
		// Cut the rest of it out; the chunk ends where it was.
		s.dropFrom(s.item.start, s.pos)
		s.skipping, s.forceCut = false, true
	}
	s.cut = s.pos
}

// node counts one more node of the current item.
func (s *splitter) node() {
	if s.inItem && !s.skipping {
		if s.item.nodes++; s.item.nodes > s.lim.nodes {
			s.skip(fmt.Sprintf("more than %d elements and attributes", s.lim.nodes))
		}
	}
}

// checkItem enforces the byte limit; called after every lexing step.
func (s *splitter) checkItem() {
	if s.inItem && !s.skipping && s.pos-s.item.start > s.lim.bytes {
		s.skip(fmt.Sprintf("more than %d bytes", s.lim.bytes))
	}
}

// skip starts skipping the current item: from here on its bytes are lexed
// (to find where it ends) and dropped, never parsed.
func (s *splitter) skip(reason string) {
	s.skipping = true
	// The line is counted only now: counting it for every item would scan
	// the buffer once per item. Nothing before item.start has been dropped.
	o := SkippedObject{Index: s.item.index, Line: s.lineAt(s.item.start), Reason: reason}
	if s.item.tagEnd > 0 {
		o.DN = startTagAttr(s.buf[s.item.start:s.item.tagEnd], s.dnAttr)
		if len(o.DN) > maxSkipDN {
			// A record must stay small; a DN this long is hostile anyway.
			o.DN = strings.ToValidUTF8(o.DN[:maxSkipDN], "") + "..."
		}
	}
	s.skips = append(s.skips, o)
}

// dropSkipped drops the skipped bytes read so far, keeping the last three
// for the lexer's look-back ("-->", "]]>", "/>"). Called only when the buffer
// is used up, so nothing after pos has to move.
func (s *splitter) dropSkipped() {
	s.dropFrom(s.item.start, s.pos-3)
}

// dropFrom removes buf[from:to] (to <= pos) and counts its lines.
func (s *splitter) dropFrom(from, to int) {
	if to <= from {
		return
	}
	n := to - from
	s.nlDropped += bytes.Count(s.buf[from:to], []byte{'\n'})
	copy(s.buf[from:], s.buf[to:])
	s.buf = s.buf[:len(s.buf)-n]
	s.pos -= n
	switch {
	case s.tokStart >= to:
		s.tokStart -= n
	case s.tokStart > from-4:
		// The construct began in the dropped bytes: "long ago", so that a
		// comment's terminator is not mistaken for part of its opening.
		s.tokStart = from - 4
	}
}

// startTagAttr decodes one attribute of a complete start tag; "" when the
// tag does not parse or has no such attribute.
func startTagAttr(tag []byte, name string) string {
	d := xml.NewDecoder(bytes.NewReader(tag))
	d.Strict = true
	tok, err := d.RawToken()
	if err != nil {
		return ""
	}
	if se, ok := tok.(xml.StartElement); ok {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
	}
	return ""
}
