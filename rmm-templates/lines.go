package rmmtemplates

import (
	"regexp"
	"strings"
	"unicode/utf16"
)

// The Go twins of the core's Format-E8Line and Limit-E8Text (src/core.ps1.tmpl).
// PowerShell counts string length in UTF-16 code units; so do these.

var lineBreaks = regexp.MustCompile(`[\r\n\t]+`)

// LimitText cuts text to max UTF-16 units, ending in "..." when cut.
func LimitText(text string, max int) string {
	u := utf16.Encode([]rune(text))
	if max <= 0 || len(u) <= max {
		return text
	}
	return string(utf16.Decode(u[:max-3])) + "..."
}

// Line is the one line a wrapper writes to the RMM's smallest field.
func (r RMM) Line(summary, token, label string) string {
	s := strings.TrimSpace(lineBreaks.ReplaceAllString(summary, " "))
	if r.TokenInLine && token != "" {
		s = "APPROVE " + token + " | " + s
	}
	if r.LabelInLine {
		s = "[" + label + "] " + s
	}
	return LimitText(s, r.LineMax)
}

// FieldValues is what a detect wrapper writes for one verdict: field role ->
// value (the twins of each adapter's Publish-E8Detect, for the fields that
// hold data of the verdict).
func (r RMM) FieldValues(status string, exitCode int, summary, token, json string) map[string]string {
	out := r.Detect[exitCode]
	line := r.Line(summary, token, out.Label)
	vals := map[string]string{}
	for _, f := range r.Fields {
		switch f.Role {
		case "summary":
			vals[f.Role] = line
		case "token":
			vals[f.Role] = LimitText(token, f.Max)
		case "status":
			vals[f.Role] = LimitText(out.Label, f.Max)
		case "json":
			vals[f.Role] = json
		}
	}
	return vals
}
