package docs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const root = "../.."

// readmeMaxBytes is the front page's budget (issue 14 §4): what it is, the
// two commands, the approval walkthrough, the exit codes and links; the
// depth is in docs/.
const readmeMaxBytes = 12 * 1024

// TestReadmeSize keeps README.md a front page.
func TestReadmeSize(t *testing.T) {
	st, err := os.Stat(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > readmeMaxBytes {
		t.Errorf("README.md is %d bytes, more than %d: move the depth into docs/", st.Size(), readmeMaxBytes)
	}
}

// documents are README.md and docs/*.md, in a fixed order.
func documents(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(docs)
	return append([]string{filepath.Join(root, "README.md")}, docs...)
}

// TestRunnableBlocks runs every block README.md and docs/*.md mark
// runnable, in order per document, on a fresh replay sessions folder per
// document, with the exe built once: each must exit as marked, print
// nothing on stderr, and print every line of the excerpt shown after it.
func TestRunnableBlocks(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is needed to run the documents' shell blocks: %v", err)
	}
	type doc struct {
		name   string
		blocks []Block
	}
	var all []doc
	total := 0
	for _, path := range documents(t) {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, path)
		blocks, err := Parse(name, string(text), name == "README.md")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, doc{name, blocks})
		total += len(blocks)
	}
	if len(all[0].blocks) < 8 {
		t.Fatalf("README.md has %d runnable blocks; its approval walkthrough alone has more", len(all[0].blocks))
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "entra8344"), "entra8344")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("%d runnable blocks in %d documents", total, len(all))
	for _, d := range all {
		if len(d.blocks) == 0 {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			sessions, work := t.TempDir(), t.TempDir()
			env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"ENTRA8344_REPLAY_SESSIONS=" + sessions}
			for _, kv := range os.Environ() {
				// The blocks' own environment only: no key, state
				// directory or token of the developer's shell.
				if !strings.HasPrefix(kv, "ENTRA8344_") && !strings.HasPrefix(kv, "PATH=") {
					env = append(env, kv)
				}
			}
			token, journal := "", ""
			for _, b := range d.blocks {
				script, err := Prepare(b.Script, token, journal)
				if err != nil {
					t.Fatalf("%s:%d: %v", b.File, b.Line, err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-o", "pipefail", "-c", script)
				cmd.Dir, cmd.Env = work, env
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err = cmd.Run()
				cancel()
				code := cmd.ProcessState.ExitCode()
				if err != nil && code < 0 {
					t.Fatalf("%s:%d: %v", b.File, b.Line, err)
				}
				out := stdout.String()
				if code != b.Exit {
					t.Errorf("%s:%d: exit %d, the document says %d\n%s\n%s", b.File, b.Line, code, b.Exit, script, firstLines(out, 5))
				}
				if stderr.Len() > 0 {
					t.Errorf("%s:%d: stderr is not empty: %s", b.File, b.Line, stderr.String())
				}
				if b.Excerpt != nil {
					if err := MatchExcerpt(Normalize(out, sessions), b.Excerpt); err != nil {
						t.Errorf("%s:%d: the output shown at line %d is stale: %v\nreal output:\n%s", b.File, b.Line, b.ExcerptLine, err, firstLines(Normalize(out, sessions), 40))
					}
				}
				token, journal = HandOver(b.Script, out, token, journal)
			}
		})
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}
