package winhost

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func logFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fi.Size()
	}
	return out
}

func TestLogFileRotates(t *testing.T) {
	dir := stateTempDir(t)
	path := filepath.Join(dir, LogFileName)
	l, err := OpenLogFile(path, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 99) + "\n")
	for i := range 100 {
		if n, err := l.Write(line); err != nil || n != len(line) {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write(line); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	files := logFiles(t, dir)
	want := map[string]int64{LogFileName: 1000, LogFileName + ".1": 1000, LogFileName + ".2": 1000}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v (10 lines each, two rotated files kept)", files, want)
	}
}

// A second process (here: a second LogFile) appending to the same file is
// counted: rotation looks at the size on disk.
func TestLogFileSharedAndReopened(t *testing.T) {
	dir := stateTempDir(t)
	path := filepath.Join(dir, LogFileName)
	a, err := OpenLogFile(path, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenLogFile(path, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Interleaved, not concurrent: that appends from two handles land whole
	// is the OS's guarantee (FILE_APPEND_DATA), which Wine's emulation does
	// not always keep; what is ours is that each writer counts the other's.
	for range 3 {
		for _, l := range []*LogFile{a, b} {
			l.Write([]byte(strings.Repeat("y", 49) + "\n"))
		}
	}
	a.Close()
	b.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 300 || bytes.Count(data, []byte("\n")) != 6 {
		t.Fatalf("two writers: %d bytes, %d lines; want 300 and 6 whole lines", len(data), bytes.Count(data, []byte("\n")))
	}
	// Reopened, the existing size counts towards the limit.
	c, err := OpenLogFile(path, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 5 {
		c.Write([]byte(strings.Repeat("z", 49) + "\n"))
	}
	files := logFiles(t, dir)
	if files[LogFileName+".1"] != 500 || files[LogFileName] != 50 {
		t.Fatalf("after reopening: %v", files)
	}
}

// When rotation fails (here: the rotated name is taken by a folder), the
// file grows to twice the limit and then drops lines: bounded either way.
func TestLogFileRotationFails(t *testing.T) {
	dir := stateTempDir(t)
	path := filepath.Join(dir, LogFileName)
	if err := os.Mkdir(path+".1", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path+".1", "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLogFile(path, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	line := []byte(strings.Repeat("w", 9) + "\n")
	var dropped int
	for range 40 {
		if _, err := l.Write(line); errors.Is(err, ErrLogFull) {
			dropped++
		} else if err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	if got := logFiles(t, dir)[LogFileName]; got != 200 || dropped != 20 {
		t.Fatalf("log is %d bytes with %d lines dropped; want 200 (twice the limit) and 20", got, dropped)
	}
}

func TestLogFileOpenFails(t *testing.T) {
	dir := stateTempDir(t)
	if _, err := OpenLogFile(filepath.Join(dir, "missing", LogFileName), 0, 0); err == nil {
		t.Fatal("OpenLogFile in a missing folder succeeded")
	}
}
