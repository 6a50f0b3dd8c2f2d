package adsync

import (
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// No PowerShell runs here, so the scripts' ConvertTo-AsciiJson is mirrored
// in Go, step for step, and compared with the per-character escaping it
// replaced: same output for a generated document of mixed text. The .NET
// string is UTF-16, so both work on UTF-16 code units (an astral character is
// two surrogates, both non-ASCII, so it stays inside one run).

// escapeEachChar is the old collector: every character of the document
// through the loop, non-ASCII ones as \uXXXX.
func escapeEachChar(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		if u > 127 {
			fmt.Fprintf(&b, `\u%04x`, u)
		} else {
			b.WriteByte(byte(u))
		}
	}
	return b.String()
}

var nonASCIIRun = regexp.MustCompile(`[^\x00-\x7F]+`)

// escapeByRuns mirrors ConvertTo-AsciiJson: $Text -split '([^\x00-\x7F]+)'
// gives ASCII at even indexes and the captured runs at odd ones; only the
// runs' characters are escaped one by one.
func escapeByRuns(s string) string {
	var parts []string
	last := 0
	for _, m := range nonASCIIRun.FindAllStringIndex(s, -1) {
		parts = append(parts, s[last:m[0]], s[m[0]:m[1]])
		last = m[1]
	}
	parts = append(parts, s[last:])
	if len(parts) <= 1 {
		return s
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		for _, u := range utf16.Encode([]rune(p)) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return b.String()
}

func mixedDocument(n int, seed int64) string {
	words := []string{"Zoë", "Müller", "Łódź", "東京", "😀", "ß", "\u00a0", "plain", `\"quoted\"`, "a", " ", "<SyncError>", "Ærø", "İstanbul"}
	r := rand.New(rand.NewSource(seed))
	var b strings.Builder
	b.WriteString(`{"connectors":[{"Name":"`)
	for b.Len() < n {
		b.WriteString(words[r.Intn(len(words))])
	}
	b.WriteString(`"}]}`)
	return b.String()
}

func TestAsciiJSONEscapingByRuns(t *testing.T) {
	for _, s := range []string{"", "plain ascii", "ë", "ëë start", "end ëë", "😀", "a😀b東京c", mixedDocument(1<<16, 1), mixedDocument(1<<20, 2)} {
		got, want := escapeByRuns(s), escapeEachChar(s)
		if got != want {
			t.Fatalf("escaping by runs differs for a %d-byte input", len(s))
		}
		for i := 0; i < len(got); i++ {
			if got[i] >= 0x80 {
				t.Fatalf("non-ASCII byte left at %d", i)
			}
		}
	}
	// The mirror is only evidence while the scripts keep the algorithm it mirrors.
	for _, line := range []string{`$parts = $Text -split '([^\x00-\x7F]+)'`, `if ($i % 2 -eq 0) { $parts[$i] } else {`,
		`-join @(foreach ($ch in $parts[$i].ToCharArray()) { '\u{0:x4}' -f [int]$ch })`} {
		for name, script := range map[string][]byte{"collector.ps1": CollectorScript, "sync.ps1": SyncScript} {
			if !strings.Contains(string(script), line) {
				t.Errorf("%s no longer has %s", name, line)
			}
		}
	}
	if strings.Contains(string(CollectorScript), "foreach ($ch in $json.ToCharArray())") {
		t.Error("collector.ps1 still escapes every character of the document")
	}
}
