package summarize

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// StdinName is how standard input is named in sources and rejections.
const StdinName = "-"

// verdictExt are the file names read inside folders: detect --output
// writes .json; collections of verdicts are .ndjson or .jsonl. Anything
// else in a folder (logs, the .tmp of a write in progress) is skipped and
// counted; a file named on the command line is read whatever its name.
var verdictExt = map[string]bool{".json": true, ".ndjson": true, ".jsonl": true}

// AddPath reads a file, or every verdict file under a folder (recursively,
// in lexical order), or standard input for "-" (stdin is then read). A
// path that cannot be read is a rejection, not an error: one unreadable
// share must not hide the rest of the fleet.
func (s *Summarizer) AddPath(path string, stdin io.Reader) {
	if path == StdinName {
		s.AddStream(StdinName, stdin)
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		s.in.Sources++
		s.reject(path, 0, "cannot read: "+pathErr(err))
		return
	}
	if !st.IsDir() {
		s.addFile(path)
		return
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			s.in.Sources++
			s.reject(p, 0, "cannot read: "+pathErr(err))
			if d != nil && d.IsDir() && p != path {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() || !verdictExt[strings.ToLower(filepath.Ext(p))] {
			s.in.FilesSkipped++
			return nil
		}
		s.addFile(p)
		return nil
	})
	if err != nil {
		s.reject(path, 0, "cannot read: "+pathErr(err))
	}
}

func (s *Summarizer) addFile(path string) {
	f, err := os.Open(path)
	if err != nil {
		s.in.Sources++
		s.reject(path, 0, "cannot read: "+pathErr(err))
		return
	}
	defer f.Close()
	s.AddStream(path, f)
}

// AddStream reads every document of one stream (NDJSON, one or several
// pretty-printed documents). UTF-8 with or without a BOM, and UTF-16 with
// a BOM (what Windows PowerShell 5.1's Out-File and > write), are read.
func (s *Summarizer) AddStream(name string, r io.Reader) {
	s.in.Sources++
	cr := &countingReader{r: r}
	s.readStream(name, newSplitter(decodeBOM(cr), s.o.MaxDocBytes))
	s.in.Bytes += cr.n
}

// decodeBOM strips a UTF-8 BOM and transcodes UTF-16 (by its BOM) to UTF-8.
func decodeBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, readBufSize) // the splitter then reads from it directly
	b, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return br
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	}
	return br
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// pathErr drops the path from an *fs.PathError: the rejection names it.
func pathErr(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
