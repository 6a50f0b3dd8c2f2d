package summarize

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"entra8344/summarize/fleetgen"
)

// benchFleet is generated once per process: ENTRA8344_BENCH_VERDICTS
// verdicts (default 100,000, about 540 MB) as one NDJSON stream in memory.
var benchFleet = sync.OnceValues(func() ([]byte, error) {
	n := 100000
	if s := os.Getenv("ENTRA8344_BENCH_VERDICTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			return nil, err
		}
	}
	g, err := fleetgen.New(fleetgen.Options{Verdicts: n, Now: testNow})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = g.WriteNDJSON(&buf)
	return buf.Bytes(), err
})

// BenchmarkSummarize reads the whole fleet (split, validate, parse, newest
// per host) and renders each output. Reported: verdicts/s and MB/s of
// input (SetBytes).
//
//	go test -run '^$' -bench Summarize -benchtime 3x ./summarize/
func BenchmarkSummarize(b *testing.B) {
	fleet, err := benchFleet()
	if err != nil {
		b.Fatal(err)
	}
	verdicts := bytes.Count(fleet, []byte("\n"))
	for _, format := range []string{"json", "csv", "html"} {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(int64(len(fleet)))
			start := time.Now()
			for b.Loop() {
				s := New(Options{Now: testNow, StaleAfter: 7 * 24 * time.Hour, Limit: 1000})
				s.AddStream("bench", bytes.NewReader(fleet))
				r := s.Result()
				switch format {
				case "json":
					err = r.WriteJSON(io.Discard)
				case "csv":
					err = r.WriteCSV(io.Discard)
				case "html":
					err = r.WriteHTML(io.Discard, "bench")
				}
				if err != nil {
					b.Fatal(err)
				}
				if r.Summary.Inputs.Verdicts != verdicts {
					b.Fatalf("%d verdicts read of %d", r.Summary.Inputs.Verdicts, verdicts)
				}
			}
			b.ReportMetric(float64(verdicts)*float64(b.N)/time.Since(start).Seconds(), "verdicts/s")
		})
	}
}
