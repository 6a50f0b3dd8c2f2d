package docs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Block is one runnable shell block of a document, with the excerpt of its
// output the document shows (none when Excerpt is nil).
type Block struct {
	File        string
	Line        int // of the opening fence
	Script      string
	Exit        int
	Excerpt     []string
	ExcerptLine int
}

var (
	runnableRE    = regexp.MustCompile(`^<!-- runnable(?: exit=(\d+))? -->$`)
	notRunnableRE = regexp.MustCompile(`^<!-- not runnable: .+ -->$`)
	outputRE      = regexp.MustCompile(`^<!-- output -->$`)
	markerRE      = regexp.MustCompile(`^<!-- (runnable|not runnable|output)\b`)
)

// shellInfo reports whether a fence's info string is a POSIX shell.
func shellInfo(info string) bool {
	f := strings.Fields(info)
	return len(f) > 0 && (f[0] == "sh" || f[0] == "bash" || f[0] == "shell")
}

// Parse returns the runnable blocks of a Markdown document. A marker must be
// followed by a fence (blank lines between are allowed); an output marker
// must follow a runnable block with nothing but blank lines between. With
// requireMarked, every shell fence must carry a runnable or not-runnable
// marker (the README: its shell blocks are what a reader runs first).
func Parse(file, text string, requireMarked bool) ([]Block, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var blocks []Block
	pending := "" // "runnable", "not", "output" or ""
	pendingExit := 0
	lastRunnable := -1 // index in blocks of a runnable block an output marker may follow
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case t == "":
			continue
		case markerRE.MatchString(t):
			if pending != "" {
				return nil, fmt.Errorf("%s:%d: a marker follows a marker without a fence between", file, i+1)
			}
			switch {
			case runnableRE.MatchString(t):
				pending = "runnable"
				pendingExit = 0
				if m := runnableRE.FindStringSubmatch(t); m[1] != "" {
					pendingExit, _ = strconv.Atoi(m[1])
				}
			case notRunnableRE.MatchString(t):
				pending = "not"
			case outputRE.MatchString(t):
				if lastRunnable < 0 {
					return nil, fmt.Errorf("%s:%d: an output marker that does not follow a runnable block", file, i+1)
				}
				pending = "output"
			default:
				return nil, fmt.Errorf("%s:%d: malformed marker %q (want <!-- runnable -->, <!-- runnable exit=N -->, <!-- not runnable: why -->, <!-- output -->)", file, i+1, t)
			}
			continue
		case strings.HasPrefix(t, "```"):
			indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
			info := strings.TrimPrefix(t, "```")
			open := i
			var body []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
				l := lines[i]
				if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
					l = l[indent:]
				}
				body = append(body, l)
			}
			if i == len(lines) {
				return nil, fmt.Errorf("%s:%d: a fence that is never closed", file, open+1)
			}
			switch pending {
			case "runnable":
				if !shellInfo(info) {
					return nil, fmt.Errorf("%s:%d: a runnable block must be a sh fence, not %q", file, open+1, info)
				}
				blocks = append(blocks, Block{File: file, Line: open + 1, Script: strings.Join(body, "\n"), Exit: pendingExit})
				lastRunnable = len(blocks) - 1
			case "output":
				blocks[lastRunnable].Excerpt = body
				blocks[lastRunnable].ExcerptLine = open + 1
				lastRunnable = -1
			case "not":
				lastRunnable = -1
			default:
				if requireMarked && shellInfo(info) {
					return nil, fmt.Errorf("%s:%d: a shell block marked neither <!-- runnable --> nor <!-- not runnable: why -->", file, open+1)
				}
				lastRunnable = -1
			}
			pending = ""
			continue
		}
		if pending != "" {
			return nil, fmt.Errorf("%s:%d: a marker not followed by a fence", file, i+1)
		}
		lastRunnable = -1
	}
	if pending != "" {
		return nil, fmt.Errorf("%s: a marker at the end with no fence after it", file)
	}
	return blocks, nil
}

var (
	tokenRE   = regexp.MustCompile(`e8a1[A-Za-z0-9_-]{56}`)
	journalRE = regexp.MustCompile(`\b\d{8}T\d{6}Z-[0-9a-f]{6}\b`)
	timeRE    = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b`)
)

// Normalize makes output comparable across runs: approval tokens, journal
// ids and RFC 3339 times (a replay session's clock moves with the wall
// clock) become placeholders, the test's sessions folder the default one,
// trailing blanks go.
func Normalize(s, sessions string) string {
	if sessions != "" {
		s = strings.ReplaceAll(s, sessions, "~/.cache/entra8344/replay")
	}
	s = tokenRE.ReplaceAllString(s, "<token>")
	s = journalRE.ReplaceAllString(s, "<journal>")
	s = timeRE.ReplaceAllString(s, "<time>")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}

// MatchExcerpt checks that every line of the excerpt is a line of out, in
// order (out's other lines may sit between). A line "..." stands for lines
// left out; a line ending in " ..." matches a line that starts with the
// text before it. Both sides are normalized alike.
func MatchExcerpt(out string, excerpt []string) error {
	have := strings.Split(Normalize(out, ""), "\n")
	j := 0
	for _, e := range excerpt {
		e = strings.TrimRight(Normalize(e, ""), " \t")
		if strings.TrimSpace(e) == "..." || strings.TrimSpace(e) == "" {
			continue
		}
		prefix, isPrefix := strings.CutSuffix(e, " ...")
		found := false
		for ; j < len(have); j++ {
			if have[j] == e || (isPrefix && strings.HasPrefix(have[j], prefix)) {
				found, j = true, j+1
				break
			}
		}
		if !found {
			return fmt.Errorf("excerpt line %q is not in the real output (in this order)", e)
		}
	}
	return nil
}

// Prepare turns a block into the script the test runs: the commands name
// the built exe (on PATH as entra8344) and the placeholders carry what the
// blocks before printed.
func Prepare(script, token, journal string) (string, error) {
	if strings.Contains(script, "<token>") {
		if token == "" {
			return "", fmt.Errorf("the block uses <token>, but no detect before it printed an approval token")
		}
		script = strings.ReplaceAll(script, "<token>", token)
	}
	if strings.Contains(script, "<journal>") {
		if journal == "" {
			return "", fmt.Errorf("the block uses <journal>, but no remediate before it printed a journal id")
		}
		script = strings.ReplaceAll(script, "<journal>", journal)
	}
	script = strings.ReplaceAll(script, "go run .", "entra8344")
	script = strings.ReplaceAll(script, "entra8344.exe", "entra8344")
	return script, nil
}

var (
	tokenLineRE   = regexp.MustCompile(`(?m)(?:^\s*Token:\s+|"token": ")(e8a1[A-Za-z0-9_-]{56})`)
	journalLineRE = regexp.MustCompile(`(?m)(?:^Journal:\s+|"id": ")(\d{8}T\d{6}Z-[0-9a-f]{6})`)
)

// HandOver returns the token and journal id the next blocks see after a
// block printed out: a detect's approval token, a remediate's journal id
// (a revert's own journal is not one to revert).
func HandOver(script, out, token, journal string) (string, string) {
	if strings.Contains(script, " detect") {
		if m := tokenLineRE.FindStringSubmatch(out); m != nil {
			token = m[1]
		}
	}
	if strings.Contains(script, " remediate") {
		if m := journalLineRE.FindStringSubmatch(out); m != nil {
			journal = m[1]
		}
	}
	return token, journal
}
