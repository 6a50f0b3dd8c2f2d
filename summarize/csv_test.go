package summarize

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCellNeutralisesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"Contoso":             "Contoso",
		"=1+1":                "'=1+1",
		"+cmd|' /C calc'!A0":  "'+cmd|' /C calc'!A0",
		"-2+3":                "'-2+3",
		"@SUM(A1)":            "'@SUM(A1)",
		"\t=1":                "'\t=1",
		"\r=1":                "'\r=1",
		"a=1":                 "a=1",
		"Müller, \"Q\"\nGmbH": "Müller, \"Q\"\nGmbH", // encoding/csv quotes it
		"'already quoted":     "'already quoted",
		"<script>x</script>":  "<script>x</script>", // not a spreadsheet danger; HTML escapes it
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// Hostile labels survive a CSV round trip exactly (apart from the
// neutralising apostrophe), one record per server whatever they hold.
func TestCSVHostileLabels(t *testing.T) {
	names := []string{`Müller & Söhne, "Quoted" GmbH`, "=HYPERLINK(\"http://x\",\"y\")", "Line\nbreak, Inc.", "-2+3", "@SUM(1)", "+1", "plain"}
	var docs [][]byte
	for i, n := range names {
		docs = append(docs, verdict(t, "healthy", n, "S"+itoa(i), "x.local", "2025-06-20T10:00:00Z"))
	}
	r := summarizeString(t, Options{}, ndjson(docs...))
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), strings.Join(csvHeader, ",")+"\r\n") {
		t.Errorf("header: %q", buf.String()[:80])
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(names)+1 {
		t.Fatalf("%d records for %d servers", len(recs)-1, len(names))
	}
	var got []string
	for _, rec := range recs[1:] {
		if len(rec) != len(csvHeader) {
			t.Fatalf("record of %d fields: %q", len(rec), rec)
		}
		got = append(got, rec[0])
	}
	want := []string{`Müller & Söhne, "Quoted" GmbH`, "'=HYPERLINK(\"http://x\",\"y\")", "Line\nbreak, Inc.", "'-2+3", "'@SUM(1)", "'+1", "plain"}
	if diff := cmp.Diff(want, got, cmpSorted); diff != "" {
		t.Errorf("clients (-want +got):\n%s", diff)
	}
	for _, rec := range recs[1:] {
		for i, c := range rec {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("column %s starts a formula: %q", csvHeader[i], c)
			}
		}
	}
}
