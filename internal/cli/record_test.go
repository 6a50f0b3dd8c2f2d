package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"entra8344/detect"
	"entra8344/fixtures"
	"entra8344/internal/replay"
	"entra8344/schema"
)

// TestRecordDirectoryThenReplay: recording a run whose "live" sources are a
// scenario (host, processes, directory) writes a folder whose replay gives
// the same verdict: what detect read of the directory, as LDIF, answers the
// same searches the same way.
func TestRecordDirectoryThenReplay(t *testing.T) {
	for _, name := range fixtures.Names() {
		fsys, _, err := fixtures.Scenario(name)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := replay.Load(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		if !sc.HasDirectory() {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rec")
			rec, err := replay.NewRecorder(dir, sc.Prober(), sc.Runner())
			if err != nil {
				t.Fatal(err)
			}
			env := detect.Env{Prober: rec.Prober(), Runner: rec.Runner(), Directory: rec.Directory(sc.Directory()), Now: func() time.Time { return sc.Now }}
			live := detect.Run(context.Background(), env, detect.DefaultOptions())
			live.ExitCode = DetectExitCode(live)
			doc, err := schema.Marshal(live)
			if err != nil {
				t.Fatal(err)
			}
			if err := rec.Finish(sc.Now, doc); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, _ := runCLI(t, "detect", "--replay", dir)
			if stderr != "" {
				t.Fatalf("replay: stderr %q", stderr)
			}
			// The approval token is the CLI's (signed with the replayed
			// scenario's key, and the recording has another name).
			replayed := normalize(t, []byte(stdout))
			replayed.Approval, replayed.CleanupApproval, replayed.Approvals = nil, nil, []schema.Approval{}
			if diff := cmp.Diff(normalize(t, doc), replayed); diff != "" {
				t.Errorf("replay of the recording differs (-recorded +replayed):\n%s", diff)
			}
		})
	}
}
