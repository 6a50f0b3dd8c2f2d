package adsync

import "bytes"

// compactSpace appends src to dst without the whitespace-only text runs that
// sit between two pieces of markup (the indentation of csexport output).
//
// Why: about half of the tokens in a csexport file are such runs, and
// xmlquery turns each into a node; dropping them makes a chunk parse about
// 15% faster. It cannot change what we extract: every value we read is
// trimmed, attribute values and text with any non-space character are kept
// byte for byte, and comments, CDATA sections and PIs are copied whole. It
// does remove newlines, so line numbers from a compacted parse are wrong;
// parseChunk therefore re-parses the original bytes whenever the compacted
// parse fails, and only ever reports errors from the original.
//
// The lexing rules are the splitter's (see lex): a '<' starts markup; "<!--"
// ends at "-->", "<![" at "]]>", "<?" at "?>", a tag at the first '>' outside
// a quoted attribute value.
func compactSpace(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		j := bytes.IndexByte(src[i:], '<')
		if j < 0 {
			return append(dst, src[i:]...)
		}
		// A leading run is kept: only runs between two pieces of markup go.
		if text := src[i : i+j]; i == 0 || !allXMLSpace(text) {
			dst = append(dst, text...)
		}
		i += j
		end := markupEnd(src, i)
		if end < 0 {
			return append(dst, src[i:]...) // unterminated: let the parser judge
		}
		dst = append(dst, src[i:end]...)
		i = end
	}
	return dst
}

// markupEnd returns the index just past the markup starting at src[i] == '<',
// or -1 if it does not end within src.
func markupEnd(src []byte, i int) int {
	rest := src[i:]
	var body int
	var term string
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		body, term = 4, "-->"
	case bytes.HasPrefix(rest, []byte("<![")):
		body, term = 3, "]]>"
	case bytes.HasPrefix(rest, []byte("<?")):
		body, term = 2, "?>"
	default:
		for k := 1; k < len(rest); k++ {
			switch c := rest[k]; c {
			case '"', '\'':
				q := bytes.IndexByte(rest[k+1:], c)
				if q < 0 {
					return -1
				}
				k += q + 1
			case '>':
				return i + k + 1
			}
		}
		return -1
	}
	k := bytes.Index(rest[body:], []byte(term))
	if k < 0 {
		return -1
	}
	return i + body + k + len(term)
}

func allXMLSpace(b []byte) bool {
	for _, c := range b {
		if !isXMLSpace(c) {
			return false
		}
	}
	return true
}
