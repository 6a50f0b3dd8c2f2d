package adsync

import (
	"bufio"
	"bytes"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings recorded in ExportStats.Encoding.
const (
	encUTF8    = "utf-8"
	encUTF8BOM = "utf-8-bom"
	encUTF16LE = "utf-16le"
	encUTF16BE = "utf-16be"
)

// countingReader counts the bytes taken from the caller's reader, before any
// transcoding, for ExportStats.Bytes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeInput sniffs the byte order mark and returns a UTF-8 reader.
//
// Which encoding csexport.exe writes is not documented (.NET tools often
// write UTF-16LE with a BOM), and encoding/xml cannot even read the
// declaration of a UTF-16 file, so we transcode up front and tell the decoder
// to ignore the declared encoding (see passThroughCharset).
func decodeInput(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3) // cannot fail: the bytes are buffered
		return br, encUTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return utf16Reader(br, unicode.LittleEndian, unicode.ExpectBOM), encUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return utf16Reader(br, unicode.BigEndian, unicode.ExpectBOM), encUTF16BE, nil
	// No BOM: XML forbids U+0000, so a NUL among the first two bytes can only
	// be the high (LE) or low (BE) half of an ASCII character such as '<'.
	case len(head) >= 2 && head[0] != 0 && head[1] == 0:
		return utf16Reader(br, unicode.LittleEndian, unicode.IgnoreBOM), encUTF16LE, nil
	case len(head) >= 2 && head[0] == 0 && head[1] != 0:
		return utf16Reader(br, unicode.BigEndian, unicode.IgnoreBOM), encUTF16BE, nil
	}
	return br, encUTF8, nil
}

func utf16Reader(r io.Reader, e unicode.Endianness, b unicode.BOMPolicy) io.Reader {
	return transform.NewReader(r, unicode.UTF16(e, b).NewDecoder())
}

// passThroughCharset is the xml.Decoder CharsetReader. The input is already
// UTF-8 by the time the decoder sees it, but a transcoded file still declares
// encoding="utf-16", which encoding/xml would otherwise reject.
func passThroughCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }
