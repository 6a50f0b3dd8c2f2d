package summarize

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// got is a piece as the tests compare it: the document's text or "!" and
// the start of the reason, with its line.
func split(in string, max int) []string {
	sp := newSplitter(strings.NewReader(in), max)
	var out []string
	for {
		p, ok := sp.next()
		if !ok {
			return out
		}
		if p.reason != "" {
			out = append(out, fmt.Sprintf("%d !%s", p.line, firstWords(p.reason)))
		} else {
			out = append(out, fmt.Sprintf("%d %s", p.line, p.doc))
		}
	}
}

// firstWords keeps a reason's start: the tests pin the kind, not the prose.
func firstWords(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func TestSplitter(t *testing.T) {
	pretty := "{\n  \"a\": {\n    \"b\": \"x}{\\\"\"\n  }\n}\n"
	for _, tc := range []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"ndjson", `{"a":1}` + "\n" + `{"b":2}` + "\n", 0, []string{`1 {"a":1}`, `2 {"b":2}`}},
		{"no final newline", `{"a":1}` + "\n" + `{"b":2}`, 0, []string{`1 {"a":1}`, `2 {"b":2}`}},
		{"crlf and blank lines", "\r\n" + `{"a":1}` + "\r\n\r\n  \t\n" + `{"b":2}` + "\r\n", 0, []string{`2 {"a":1}`, `5 {"b":2}`}},
		{"pretty, brackets in strings", pretty, 0, []string{"1 " + strings.TrimSpace(pretty)}},
		{"pretty twice", pretty + pretty, 0, []string{"1 " + strings.TrimSpace(pretty), "6 " + strings.TrimSpace(pretty)}},
		{"pretty then ndjson", pretty + `{"c":3}` + "\n", 0, []string{"1 " + strings.TrimSpace(pretty), `6 {"c":3}`}},
		// A line cut inside a string: the next line is read on its own.
		{"truncated in a string", `{"a":"abc` + "\n" + `{"b":2}` + "\n", 0, []string{`1 !not valid JSON`, `2 {"b":2}`}},
		// Cut between values: the object stays open until the next line
		// starts a new one in column 0.
		{"truncated between values", `{"a":1,` + "\n" + `{"b":2}` + "\n", 0, []string{`1 !cut off`, `2 {"b":2}`}},
		{"truncated at the end", `{"b":2}` + "\n" + `{"a":{"x":1`, 0, []string{`1 {"b":2}`, `2 !cut off`}},
		{"garbage line", "hello world\n" + `{"b":2}` + "\n", 0, []string{`1 !not a verdict`, `2 {"b":2}`}},
		{"scalar line", "42\n\"str\"\nnull\n", 0, []string{`1 !not a verdict`, `2 !not a verdict`, `3 !not a verdict`}},
		{"closing brace alone", "}\n" + `{"b":2}` + "\n", 0, []string{`1 !not a verdict`, `2 {"b":2}`}},
		// Arrays are passed on whole (the reader rejects them with a reason
		// that says so), including unindented multi-line ones.
		{"array on one line", `[{"a":1},{"a":2}]` + "\n", 0, []string{`1 [{"a":1},{"a":2}]`}},
		{"array over lines", "[\n{\"a\":1},\n{\"a\":2}\n]\n" + `{"b":2}` + "\n", 0, []string{"1 [\n{\"a\":1},\n{\"a\":2}\n]", `5 {"b":2}`}},
		// Passed on as is; the reader's validation rejects them.
		{"two on a line", `{"a":1}{"b":2}` + "\n", 0, []string{`1 {"a":1}{"b":2}`}},
		{"damaged but balanced", `{"a":1,}` + "\n", 0, []string{`1 {"a":1,}`}},
		// Size limit: a long line is rejected, its neighbours are not.
		{"huge line", `{"a":1}` + "\n" + `{"big":"` + strings.Repeat("x", 100) + `"}` + "\n" + `{"b":2}` + "\n", 50,
			[]string{`1 {"a":1}`, `2 !larger than the 50-byte limit`, `3 {"b":2}`}},
		{"huge pretty document", "{\n \"big\": \"" + strings.Repeat("x", 100) + "\",\n \"n\": {\"m\": 1}\n}\n" + `{"b":2}` + "\n", 50,
			[]string{`1 !larger than the 50-byte limit`, `5 {"b":2}`}},
		{"huge and cut off", "{\"big\": [\"" + strings.Repeat("x", 100) + "\",\n", 50, []string{`1 !larger than the 50-byte limit, and cut off at the end of the input`}},
		{"empty", "", 0, nil},
		{"whitespace only", " \n\t\r\n", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 1 << 20
			}
			if diff := cmp.Diff(tc.want, split(tc.in, max)); diff != "" {
				t.Errorf("pieces (-want +got):\n%s", diff)
			}
		})
	}
}

// A line longer than the read buffer is assembled from chunks, and one over
// the limit is skipped chunk by chunk, without holding it.
func TestSplitterLongLines(t *testing.T) {
	long := `{"s":"` + strings.Repeat("y", 3*readBufSize) + `"}`
	in := long + "\n" + `{"b":2}` + "\n" + strings.Repeat("z", 3*readBufSize) + "\n" + `{"c":3}`
	got := split(in, 4*readBufSize)
	want := []string{"1 " + long, `2 {"b":2}`, `3 !not a verdict`, `4 {"c":3}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%.2000s", diff)
	}
	got = split(in, readBufSize)
	want[0] = "1 !larger than the 1048576-byte limit"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limit: (-want +got):\n%.2000s", diff)
	}
}

// The splitter never panics and always ends, whatever it is fed.
func FuzzSplitter(f *testing.F) {
	for _, s := range []string{"{\n\"a\":[1,{\"b\":\"}\\\"\"}]\n}\n{}", "[\n{\n", "\"\\", "}}]]\n{{", "{\"a\":\"\n{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sp := newSplitter(strings.NewReader(in), 64)
		n := 0
		for {
			p, ok := sp.next()
			if !ok {
				break
			}
			if p.reason == "" && (len(p.doc) == 0 || len(p.doc) > 64) {
				t.Fatalf("document of %d bytes", len(p.doc))
			}
			if p.line < 1 {
				t.Fatalf("line %d", p.line)
			}
			if n++; n > len(in)+1 {
				t.Fatalf("more pieces than bytes")
			}
		}
	})
}
