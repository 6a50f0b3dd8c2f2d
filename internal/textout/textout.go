// Package textout holds what every console (--format text) renderer shares:
// the one function that makes a host-supplied string safe to print on a
// terminal, and the counting of nouns. Connector names, DNs, account names
// and messages come from the directory and the sync engine, which anyone
// who may name an object controls: printed raw, an escape sequence could
// rewrite the technician's screen and a bidi override could make one DN
// read as another.
package textout

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character a terminal would act on, or that
// would change how the line reads, written as a visible escape: C0 controls
// and DEL as \n \r \t or \xHH, C1 controls, the line and paragraph
// separators U+2028/U+2029 and the bidi controls (U+061C, U+200E/U+200F,
// U+202A–U+202E, U+2066–U+2069) as \uHHHH, and each byte that is not valid
// UTF-8 as \xHH (always 80..FF, so it cannot be mistaken for a control).
//
// A backslash is written \\ when what follows it could read as an escape
// (x, u, n, r, t, a backslash, or an escaped character), so every escape in
// the output means exactly one character of the input; elsewhere it stays
// single, so CONTOSO\MSOL_1 and CN=Smith\, John print as they are typed.
func Escape(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\`)
			if escapeStart(s[i+n:]) {
				b.WriteString(`\`)
			}
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escapeStart: rest, printed after a backslash, would make it read as the
// start of an escape.
func escapeStart(rest string) bool {
	if rest == "" {
		return false
	}
	r, n := utf8.DecodeRuneInString(rest)
	switch {
	case r == utf8.RuneError && n <= 1:
		return true
	case strings.ContainsRune(`xunrt\`, r):
		return true
	}
	return r < 0x20 || r == 0x7f || unsafe(r)
}

// unsafe: the non-ASCII characters Escape writes as \uHHHH.
func unsafe(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// clean: nothing in s needs escaping (the common case, without allocating).
func clean(s string) bool {
	for _, r := range s {
		if r == '\\' || r < 0x20 || r == 0x7f || r == utf8.RuneError || unsafe(r) {
			return false
		}
	}
	return true
}

// Unsafe returns the first character (or invalid byte) of s that Escape
// would have escaped, other than the backslash, and whether there is one:
// for tests that check a whole rendered document (newlines between lines
// are the caller's to allow).
func Unsafe(s string) (string, bool) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || r < 0x20 || r == 0x7f || unsafe(r) {
			return fmt.Sprintf("%q at byte %d", s[i:i+n], i), true
		}
		i += n
	}
	return "", false
}

// Count is n and the noun, in the singular for one: "1 object", "2 objects".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Command returns a command line for a person to paste: as it is when it
// holds nothing Escape would escape (its backslashes are part of the
// command: \\server, DOMAIN\user), otherwise escaped and marked so that
// nobody pastes it. The lines entra8344 builds quote every name through
// shellquote, which never lets a control character through; this is the
// last guard, not the quoting.
func Command(s string) string {
	if _, bad := Unsafe(s); !bad {
		return s
	}
	return "(not shown as a command: it holds control characters) " + Escape(s)
}
