package textout

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "CN=Jane Admin,OU=Admins,DC=contoso,DC=com", "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"},
		{"non-ASCII letters stay", "Zoë Ångström-Łukasz, Администраторы", "Zoë Ångström-Łukasz, Администраторы"},
		{"newline", "prod\nline2", `prod\nline2`},
		{"CR and tab", "a\rb\tc", `a\rb\tc`},
		{"escape sequence", "\x1b[2J\x1b]0;owned\x07", `\x1b[2J\x1b]0;owned\x07`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1 controls", "a\u0085b\u009bc", `a\u0085b\u009bc`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"bidi overrides and isolates", "\u202egpj.exe\u202c \u2066x\u2069 \u200f", `\u202egpj.exe\u202c \u2066x\u2069 \u200f`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"a backslash before what could read as an escape is doubled", `CONTOSO\MSOL_1 \x1b \u202e \\ \n`, `CONTOSO\MSOL_1 \\x1b \\u202e \\\ \\n`},
		{"a backslash before an escaped character is doubled", "a\\\x1b", `a\\\x1b`},
		{"DN escapes stay readable", `CN=Smith\, John \"JJ\",OU=Admins`, `CN=Smith\, John \"JJ\",OU=Admins`},
		{"trailing backslash", `C:\`, `C:\`},
		{"U+FFFD itself is a character", "a\uFFFDb", "a\uFFFDb"},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Escape(c.in)
			if got != c.want {
				t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
			}
			if bad, ok := Unsafe(got); ok {
				t.Errorf("Escape(%q) still holds %s", c.in, bad)
			}
		})
	}
}

// TestEscapeIsInjective: Escape is undone exactly by unescape, for every
// string of a tricky alphabet, so a technician can always tell what the
// input held (a real backslash-x from an escaped control).
func TestEscapeIsInjective(t *testing.T) {
	pieces := []string{`\`, "x", "u", "n", "t", "r", "1b", "202e", "a", "\x1b", "\n", "\u202e", "\xff", "\xc3", "\u0085", "é", " ", "\\\\"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for j := rng.Intn(8); j >= 0; j-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		in := b.String()
		out := Escape(in)
		if back := unescape(t, out); back != in {
			t.Fatalf("Escape(%q) = %q reads back as %q", in, out, back)
		}
		if bad, ok := Unsafe(out); ok {
			t.Fatalf("Escape(%q) still holds %s", in, bad)
		}
	}
}

// unescape reads Escape's output back: \\ is one backslash, \n \r \t \xHH
// \uHHHH one character or byte, and a backslash before anything else is
// itself.
func unescape(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '\\':
			b.WriteByte('\\')
			i++
		case 'n', 'r', 't':
			b.WriteByte(map[byte]byte{'n': '\n', 'r': '\r', 't': '\t'}[s[i+1]])
			i++
		case 'x', 'u':
			width := map[byte]int{'x': 2, 'u': 4}[s[i+1]]
			v, err := strconv.ParseUint(s[i+2:i+2+width], 16, 32)
			if err != nil {
				t.Fatalf("bad escape in %q at %d", s, i)
			}
			if s[i+1] == 'x' {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
			i += 1 + width
		default:
			b.WriteByte('\\')
		}
	}
	return b.String()
}

func TestUnsafe(t *testing.T) {
	if _, ok := Unsafe("ok line, CONTOSO\\MSOL"); ok {
		t.Error("a clean line reported unsafe")
	}
	for _, s := range []string{"a\nb", "\x1b", "\u202e", "\xff", "\u2028", "\u0085"} {
		if _, ok := Unsafe(s); !ok {
			t.Errorf("Unsafe(%q) found nothing", s)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 objects", 1: "1 object", 2: "2 objects", 11: "11 objects"} {
		if got := Count(n, "object"); got != want {
			t.Errorf("Count(%d) = %q", n, got)
		}
	}
	if !strings.HasPrefix(Count(1, "export error"), "1 export error") {
		t.Error("noun phrase")
	}
}

func TestCommand(t *testing.T) {
	line := `dsacls "\\dc01.contoso.com\CN=AdminSDHolder,CN=System,DC=contoso,DC=com" /G "CONTOSO\MSOL_1:WP;msDS-KeyCredentialLink"`
	if got := Command(line); got != line {
		t.Errorf("a clean command line changed: %q", got)
	}
	got := Command("dsacls \"\\\\dc01\\CN=x\x1b[2J\"")
	if !strings.HasPrefix(got, "(not shown as a command") || !strings.Contains(got, `\x1b[2J`) {
		t.Errorf("a command line with a control character: %q", got)
	}
	if _, bad := Unsafe(got); bad {
		t.Errorf("still unsafe: %q", got)
	}
}
