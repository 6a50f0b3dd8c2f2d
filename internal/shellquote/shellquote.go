// Package shellquote writes strings that come from the directory (DNs,
// account, domain and server names: chosen by whoever may name an object)
// into the command lines entra8344 prints for a person to paste. One
// function per shell, and every printed line uses them.
package shellquote

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// psQuotes are the characters that end a PowerShell single-quoted string:
// the apostrophe and U+2018..U+201B. Inside the string each is escaped by
// doubling it.
const psQuotes = "'\u2018\u2019\u201a\u201b"

// PowerShell returns a PowerShell expression whose value is exactly s, valid
// as a command argument and inside an expression. It is a single-quoted
// literal, in which nothing expands; characters that are not printable
// (controls, CR and LF among them, format and separator characters other
// than space) are written as [char] code points joined by +, so the line
// stays one line and shows what the string holds. A double-quoted string
// is never used: it would expand $(...) and backticks.
func PowerShell(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("it is not valid UTF-8")
	}
	var parts []string
	var lit strings.Builder
	open := false
	flush := func() {
		if open {
			parts = append(parts, "'"+lit.String()+"'")
			lit.Reset()
			open = false
		}
	}
	for _, r := range s {
		if printable(r) {
			open = true
			if strings.ContainsRune(psQuotes, r) {
				lit.WriteRune(r)
			}
			lit.WriteRune(r)
			continue
		}
		flush()
		if r > 0xFFFF {
			parts = append(parts, fmt.Sprintf("[char]::ConvertFromUtf32(0x%X)", r))
		} else {
			parts = append(parts, fmt.Sprintf("[char]0x%X", r))
		}
	}
	flush()
	switch len(parts) {
	case 0:
		return "''", nil
	case 1:
		if strings.HasPrefix(parts[0], "'") {
			return parts[0], nil
		}
	}
	// A leading '' makes + concatenate strings, not add [char] numbers.
	return "(''+" + strings.Join(parts, "+") + ")", nil
}

// Cmd returns s as one double-quoted argument on a cmd.exe line, for a
// program that splits its command line by the MSVCRT rules (dsacls).
// Inside the quotes cmd.exe takes & | < > ^ ( ) ; literally, and MSVCRT
// keeps backslashes that precede no quote. What cannot be carried is
// refused, and the caller prints another form: " (ends the quoting), %
// (cmd.exe expands %VAR% even inside quotes), ! (expands under delayed
// expansion, as in a batch file), characters that are not printable (CR and
// LF end the line), a trailing backslash (it would escape the closing
// quote), and $ ` U+201C..U+201E, which PowerShell expands or ends a string
// at: a person may paste the line into PowerShell, and it must name the
// same object there.
func Cmd(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("it is not valid UTF-8")
	}
	for _, r := range s {
		why := ""
		switch {
		case r == '"' || r == '\u201c' || r == '\u201d' || r == '\u201e':
			why = "a double quote, which ends the quoting"
		case r == '%':
			why = "a percent sign, which cmd.exe expands (%VAR%)"
		case r == '!':
			why = "an exclamation mark, which cmd.exe expands under delayed expansion"
		case r == '$' || r == '`':
			why = "a $ or backtick, which PowerShell expands inside double quotes"
		case !printable(r):
			why = "a control or invisible character, which can end or hide part of the line"
		}
		if why != "" {
			return "", fmt.Errorf("it contains U+%04X, %s", r, why)
		}
	}
	if strings.HasSuffix(s, `\`) {
		return "", fmt.Errorf("it ends with a backslash, which would escape the closing quote")
	}
	return `"` + s + `"`, nil
}

// printable is what may appear as itself on a printed line: letters,
// marks, numbers, punctuation, symbols and the ASCII space.
func printable(r rune) bool { return unicode.IsPrint(r) }
