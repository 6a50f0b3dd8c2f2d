package adsync

import (
	"bytes"
	"fmt"
)

// JSONMarker starts the one stdout line that carries a script's document.
// powershell.exe writes warnings, Write-Host text, banners and progress to
// stdout when stdout is redirected (PowerShell/PowerShell#13080), so the
// scripts' callers cannot treat the whole of stdout as the document: every
// script prints JSONMarker + its compressed JSON on one line, and only that
// line is read.
const JSONMarker = "ENTRA8344-JSON:"

// markedDocument returns what follows JSONMarker on the one line of out
// (already decoded to UTF-8) that starts with it. found is false when no
// line does. Two marked lines are an error: which one is the document would
// be a guess.
func markedDocument(out []byte) (doc []byte, found bool, err error) {
	marker := []byte(JSONMarker)
	lines := 0
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			out = nil
		}
		line = bytes.TrimRight(line, "\r \t")
		// A bare CR returns the cursor: what a console shows is the text after it.
		if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		line = bytes.TrimPrefix(line, []byte{0xEF, 0xBB, 0xBF})
		if !bytes.HasPrefix(line, marker) {
			continue
		}
		lines++
		doc = bytes.TrimSpace(line[len(marker):])
	}
	switch {
	case lines == 0:
		return nil, false, nil
	case lines > 1:
		return nil, true, fmt.Errorf("printed %d lines starting with %s, want exactly one", lines, JSONMarker)
	case len(doc) == 0:
		return nil, true, fmt.Errorf("printed an empty %s line", JSONMarker)
	}
	return doc, true, nil
}

// ScriptDocument is the document a script other than the collector (sync,
// doctor) printed on its marked line: the text is normalised as for the
// collector (BOMs, UTF-16), and a missing marked line is an error.
func ScriptDocument(out []byte) ([]byte, error) {
	b, err := normalizeText(out)
	if err != nil {
		return nil, err
	}
	doc, found, err := markedDocument(b)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("printed no %s line", JSONMarker)
	}
	return doc, nil
}
