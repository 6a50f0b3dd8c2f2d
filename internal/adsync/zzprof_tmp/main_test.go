package prof

import (
	"os"
	"testing"

	"entra8344/internal/adsync"
)

func BenchmarkP(b *testing.B) {
	for b.Loop() {
		f, _ := os.Open("/tmp/cs/f100.xml")
		st, err := adsync.ParseExportErrors(f, func(adsync.ExportError) error { return nil })
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Bytes)
	}
}
