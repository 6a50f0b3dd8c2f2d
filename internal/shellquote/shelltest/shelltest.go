// Package shelltest reads printed command lines back the way the shells
// would, for tests: a PowerShell string tokenizer and a cmd.exe check with
// an MSVCRT (CommandLineToArgvW) argument splitter. It is independent of
// shellquote's writing code, so a test compares two implementations.
package shelltest

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	psSingle = "'\u2018\u2019\u201a\u201b"
	psDouble = "\"\u201c\u201d\u201e"
)

// PowerShell tokenizes the string expressions of a PowerShell line: single-
// quoted literals (ended by any of ' U+2018..U+201B unless doubled),
// double-quoted strings (refused when they hold $ or a backtick, which
// would expand), and the (”+'..'+[char]0xN+...) concatenations
// shellquote writes. It returns the line with each string expression
// replaced by <S>, and the strings' values in order. A line break outside
// a string, or an unterminated string, is an error.
func PowerShell(line string) (skeleton string, values []string, err error) {
	rs := []rune(line)
	var sk strings.Builder
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case strings.ContainsRune(psSingle, r):
			v, n, err := psLiteral(rs[i:])
			if err != nil {
				return "", nil, err
			}
			values, i = append(values, v), i+n
			sk.WriteString("<S>")
		case strings.ContainsRune(psDouble, r):
			j := i + 1
			for j < len(rs) && !strings.ContainsRune(psDouble, rs[j]) {
				if rs[j] == '$' || rs[j] == '`' {
					return "", nil, fmt.Errorf("a double-quoted string expands %q at %d", rs[j], j)
				}
				j++
			}
			if j == len(rs) {
				return "", nil, fmt.Errorf("unterminated double-quoted string")
			}
			values, i = append(values, string(rs[i+1:j])), j+1
			sk.WriteString("<S>")
		case strings.HasPrefix(string(rs[i:]), "(''+"):
			v, n, err := psConcat(rs[i:])
			if err != nil {
				return "", nil, err
			}
			values, i = append(values, v), i+n
			sk.WriteString("<S>")
		case r == '\r' || r == '\n' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return "", nil, fmt.Errorf("line break outside a string at %d", i)
		default:
			sk.WriteRune(r)
			i++
		}
	}
	return sk.String(), values, nil
}

// psLiteral reads one single-quoted literal as PowerShell's tokenizer
// does: a quote character followed by another quote character stands for
// the second one; otherwise it ends the string.
func psLiteral(rs []rune) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if strings.ContainsRune(psSingle, rs[i]) {
			if i+1 < len(rs) && strings.ContainsRune(psSingle, rs[i+1]) {
				b.WriteRune(rs[i+1])
				i++
				continue
			}
			return b.String(), i + 1, nil
		}
		b.WriteRune(rs[i])
	}
	return "", 0, fmt.Errorf("unterminated single-quoted string")
}

func psConcat(rs []rune) (string, int, error) {
	var b strings.Builder
	i := 1
	for {
		rest := string(rs[i:])
		switch {
		case len(rs) > i && strings.ContainsRune(psSingle, rs[i]):
			v, n, err := psLiteral(rs[i:])
			if err != nil {
				return "", 0, err
			}
			b.WriteString(v)
			i += n
		case strings.HasPrefix(rest, "[char]::ConvertFromUtf32(0x"), strings.HasPrefix(rest, "[char]0x"):
			call := strings.HasPrefix(rest, "[char]::")
			j := i + strings.Index(rest, "0x") + 2
			k := j
			for k < len(rs) && strings.ContainsRune("0123456789ABCDEFabcdef", rs[k]) {
				k++
			}
			n, err := strconv.ParseUint(string(rs[j:k]), 16, 32)
			if err != nil {
				return "", 0, fmt.Errorf("bad [char] code at %d", j)
			}
			if call {
				if k >= len(rs) || rs[k] != ')' {
					return "", 0, fmt.Errorf("bad ConvertFromUtf32 call")
				}
				k++
			} else if n > 0xFFFF {
				return "", 0, fmt.Errorf("[char] of a code point above U+FFFF")
			}
			b.WriteRune(rune(n))
			i = k
		default:
			return "", 0, fmt.Errorf("unexpected %q in a string expression", rest)
		}
		if i >= len(rs) {
			return "", 0, fmt.Errorf("unterminated string expression")
		}
		switch rs[i] {
		case '+':
			i++
		case ')':
			return b.String(), i + 1, nil
		default:
			return "", 0, fmt.Errorf("unexpected %q after a term", rs[i])
		}
	}
}

// Cmd checks a line as cmd.exe would read it and splits it as a program
// using the MSVCRT rules (dsacls) would. Refused: any % (expanded even
// inside quotes), any ! (expanded under delayed expansion), control
// characters, and & | < > ^ ( ) outside quotes. The double-quoted parts
// must also be safe if the line is pasted into PowerShell (no $, backtick
// or typographic double quote).
func Cmd(line string) ([]string, error) {
	quoted := false
	for i, r := range line {
		switch {
		case r == '%' || r == '!':
			return nil, fmt.Errorf("%q at %d expands in cmd.exe", r, i)
		case r < 0x20 || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029':
			return nil, fmt.Errorf("control character U+%04X at %d", r, i)
		case r == '"':
			quoted = !quoted
		case strings.ContainsRune("&|<>^()", r) && !quoted:
			return nil, fmt.Errorf("%q at %d is an operator outside quotes", r, i)
		case quoted && strings.ContainsRune("$`\u201c\u201d\u201e", r):
			return nil, fmt.Errorf("%q at %d would expand or end the string if pasted into PowerShell", r, i)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unbalanced double quotes")
	}
	return argv(line), nil
}

// argv is CommandLineToArgvW / the MSVCRT (2008 and later) rules: 2n
// backslashes before a quote give n and the quote toggles quoting, 2n+1
// give n and a literal quote; "" inside quotes is a literal quote;
// backslashes before anything else are literal.
func argv(line string) []string {
	var out []string
	rs := []rune(line)
	i := 0
	for {
		for i < len(rs) && (rs[i] == ' ' || rs[i] == '\t') {
			i++
		}
		if i == len(rs) {
			return out
		}
		var b strings.Builder
		quoted := false
		for ; i < len(rs); i++ {
			r := rs[i]
			if !quoted && (r == ' ' || r == '\t') {
				break
			}
			if r == '\\' {
				n := 0
				for i < len(rs) && rs[i] == '\\' {
					n++
					i++
				}
				if i < len(rs) && rs[i] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						b.WriteRune('"')
						continue
					}
				} else {
					b.WriteString(strings.Repeat(`\`, n))
					i--
					continue
				}
				r = rs[i]
			}
			if r == '"' {
				if quoted && i+1 < len(rs) && rs[i+1] == '"' {
					b.WriteRune('"')
					i++
					continue
				}
				quoted = !quoted
				continue
			}
			b.WriteRune(r)
		}
		out = append(out, b.String())
	}
}

// Hostile DNs: every quote character, $(), backtick, %VAR%, ^ & | ; < >,
// control and invisible characters, RFC 4514 escapes. cmd says whether
// the DN may go on a cmd.exe line at all.
var Hostile = []struct {
	Name, DN string
	Cmd      bool
}{
	{"plain", "CN=Bob Ops,OU=Admins,DC=contoso,DC=com", true},
	{"apostrophe", "CN=Sean O'Brien,OU=Staff,DC=contoso,DC=com", true},
	{"U+2018", "CN=O\u2018Brien,DC=contoso,DC=com", true},
	{"U+2019", "CN=O\u2019Brien,DC=contoso,DC=com", true},
	{"U+201A", "CN=O\u201aBrien,DC=contoso,DC=com", true},
	{"U+201B", "CN=O\u201bBrien,DC=contoso,DC=com", true},
	{"quote run", "CN=a''\u2019'\u201b,DC=c", true},
	{"ends in a quote", "CN=x'", true},
	{"quote then command", "CN=x'; Remove-ADUser -Identity Administrator; 'y,DC=c", true},
	{"U+2019 then command", "CN=x\u2019; calc; \u2019,DC=c", true},
	{"subexpression", "CN=$(calc.exe),OU=a,DC=c", false},
	{"variable", "CN=${env:COMPUTERNAME}$x,DC=c", false},
	{"backtick", "CN=a`nb`$(x),DC=c", false},
	{"percent var", "CN=%COMSPEC%,DC=c", false},
	{"percent alone", "CN=100%,DC=c", false},
	{"bang", "CN=Hi!PATH!,DC=c", false},
	{"cmd operators", "CN=R^&D | x \\; y \\<z\\> (a),OU=a&b,DC=c", true},
	{"double quote escaped", `CN=a\"b,DC=c`, false},
	{"double quote ends cmd quoting", `CN=a\" & calc & \",DC=c`, false},
	{"RFC 2253 quoted value", `CN="a,b",DC=c`, false},
	{"typographic double quotes", "CN=\u201ca\u201d\u201e,DC=c", false},
	{"escaped comma", `CN=Smith\, John,OU=Staff,DC=contoso,DC=com`, true},
	{"hex escapes", `CN=a\22b\2Cc\0Ad,DC=c`, true},
	{"escaped backslash", `CN=a\\b\\,DC=c`, true},
	{"escaped trailing space", `CN=a\ ,DC=c`, true},
	{"escaped plus and hash", `CN=\#a\+b\=c,DC=c`, true},
	{"trailing backslash", `CN=a\`, false},
	{"LF", "CN=a\nb,DC=c", false},
	{"CR LF then command", "CN=a\r\ncalc\r\n,DC=c", false},
	{"TAB", "CN=a\tb,DC=c", false},
	{"NUL", "CN=a\x00b,DC=c", false},
	{"ESC", "CN=a\x1b[2Jb,DC=c", false},
	{"DEL and C1", "CN=a\x7f\u0085\u009bb,DC=c", false},
	{"line and paragraph separators", "CN=a\u2028b\u2029c,DC=c", false},
	{"bidi override", "CN=a\u202eexe.txt,DC=c", false},
	{"zero width and BOM", "CN=a\u200b\ufeffb,DC=c", false},
	{"tag character", "CN=a\U000E0041b,DC=c", false},
	{"unicode letters", "CN=Jürgen Ærø 日本,DC=c", true},
	{"empty", "", true},
}
