package winhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultMaxOutput is what Run keeps of stdout and of stderr when
// Command.MaxOutput is 0. The collector's JSON and a csexport file of a large
// tenant stay far below it; the cap exists so that a runaway child cannot
// exhaust the memory of the server we are diagnosing.
const DefaultMaxOutput int64 = 64 << 20

// defaultWaitDelay bounds how long Run waits for stdout/stderr to close
// after the child exited (or was killed): a grandchild that inherited the
// pipes must not hang Run. What is still running then is killed.
const defaultWaitDelay = 2 * time.Second

// liveRunner runs real processes. The platform file supplies startTree: a
// Job Object on Windows, a process group elsewhere; everything else
// (validation, capture, timeout, exit code) is here, once.
type liveRunner struct {
	waitDelay time.Duration
	machine   machineEnv // where the children's PSModulePath comes from
}

// NewRunner returns the runner that starts real processes.
//
// Contract (both platforms):
//   - Path must be absolute; PATH is never searched.
//   - The child gets the inherited environment without the approval's
//     variables, with the machine's PSModulePath (from the registry, or none)
//     instead of the inherited one, plus Command.Env; stdin from
//     Command.Stdin (empty when nil), no console window on Windows.
//   - A non-zero exit code is not an error: it is in Result.ExitCode.
//   - Run returns an error only when the command could not be started, or
//     was killed: *TimeoutError (errors.Is ErrTimeout) when Command.Timeout or
//     the context deadline passed, an error wrapping context.Canceled when the
//     context was cancelled. The Result then still holds the output captured
//     so far, Duration, and ExitCode -1.
//   - The whole process tree is killed on timeout, and whatever the child
//     left running is killed when Run returns.
//   - Result.Notes reports weaker guarantees, e.g. when Windows refused to
//     put the child in a Job Object and only the child itself can be killed.
func NewRunner() Runner { return &liveRunner{waitDelay: defaultWaitDelay, machine: registryEnv{}} }

// processTree is the platform's handle on a started child and everything it
// starts.
type processTree interface {
	// kill kills the child and its descendants now. It may be called while
	// Wait is running and must be safe to call more than once.
	kill()
	// release runs after Wait: it kills what the child left behind and frees
	// the OS handles.
	release()
	// notes are weaker-guarantee warnings that belong in Result.Notes.
	notes() []string
}

func (r *liveRunner) Run(ctx context.Context, c Command) (Result, error) {
	if err := validateCommand(c); err != nil {
		return Result{}, err
	}
	limit := c.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	stdout, stderr := &cappedBuffer{max: limit}, &cappedBuffer{max: limit}

	cmd := exec.Command(c.Path, c.Args...)
	machine := r.machine
	if machine == nil {
		machine = registryEnv{}
	}
	modulePath, mpErr := machinePSModulePath(machine)
	cmd.Env = append(childEnv(os.Environ(), modulePath), c.Env...)
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = r.waitDelay

	parentDeadline, hasParentDeadline := ctx.Deadline()
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("run %s: not started: %w", c.Path, err)
	}

	start := time.Now()
	tree, err := startTree(cmd)
	if err != nil {
		return Result{}, fmt.Errorf("start %s: %w", c.Path, err)
	}
	res := Result{Notes: tree.notes()}
	if mpErr != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("%v: %s got no PSModulePath and builds its default", mpErr, filepath.Base(c.Path)))
	}

	// The watcher is the only caller of kill while Wait runs; it is joined
	// before release so that no kill can touch freed handles.
	var killed atomic.Bool
	exited, watcherDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-ctx.Done():
			killed.Store(true)
			tree.kill()
		case <-exited:
		}
	}()
	werr := cmd.Wait()
	close(exited)
	<-watcherDone
	tree.release()

	res.Duration = time.Since(start)
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	res.Truncated = stdout.truncated || stderr.truncated
	res.ExitCode = -1
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}

	if killed.Load() {
		res.ExitCode = -1
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Report the limit that fired: ours, or the caller's earlier deadline.
			after := c.Timeout
			if hasParentDeadline && (after <= 0 || parentDeadline.Before(start.Add(after))) {
				after = parentDeadline.Sub(start).Round(time.Millisecond)
			}
			return res, &TimeoutError{Path: c.Path, Timeout: after}
		}
		return res, fmt.Errorf("run %s: %w; its process tree was killed", c.Path, ctx.Err())
	}
	var exitErr *exec.ExitError
	switch {
	case werr == nil, errors.As(werr, &exitErr):
	case errors.Is(werr, exec.ErrWaitDelay):
		res.Notes = append(res.Notes, fmt.Sprintf(
			"a process started by %s kept its output open after it exited; it was killed after %s",
			filepath.Base(c.Path), r.waitDelay))
	default:
		return res, fmt.Errorf("wait for %s: %w", c.Path, werr)
	}
	return res, nil
}

// validateCommand refuses what would make the run ambiguous or unsafe
// before anything starts.
func validateCommand(c Command) error {
	if c.Path == "" {
		return errors.New("run: empty command path")
	}
	// filepath.IsAbs is per target OS: on Windows it wants a drive or UNC
	// path, so "\Windows\x.exe" (relative to the current drive) is refused too.
	if !filepath.IsAbs(c.Path) {
		return fmt.Errorf("run %q: path is not absolute; pass the full path of the program (the runner never searches PATH or the current directory)", c.Path)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("run %s: negative timeout %s", c.Path, c.Timeout)
	}
	for _, kv := range c.Env {
		if i := strings.IndexByte(kv, '='); i <= 0 {
			return fmt.Errorf("run %s: environment entry %q is not KEY=VALUE", c.Path, kv)
		}
		if strings.IndexByte(kv, 0) >= 0 {
			return fmt.Errorf("run %s: environment entry %q contains a NUL byte", c.Path, kv)
		}
	}
	return nil
}

// cappedBuffer keeps the first max bytes written to it and counts the rest
// as truncated. Write never fails, so the child is not killed by a broken
// pipe when it writes more than we keep. Each buffer has exactly one writer
// (the os/exec copy goroutine) and is read only after Wait, so no lock.
type cappedBuffer struct {
	buf       bytes.Buffer
	max       int64
	truncated bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.max - int64(b.buf.Len())
	if int64(len(p)) > room {
		b.truncated = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	b.buf.Write(p)
	return len(p), nil
}

// Bytes returns the kept output; nil when nothing was written, so an empty
// stream reads the same as in a recorded scenario.
func (b *cappedBuffer) Bytes() []byte {
	if b.buf.Len() == 0 {
		return nil
	}
	return b.buf.Bytes()
}

// secretEnv are the approval's variables: a child process (PowerShell,
// csexport.exe, and whatever modules they load) never needs them, and a
// key or token it could read could approve a plan.
var secretEnv = []string{"ENTRA8344_APPROVAL_KEY", "ENTRA8344_APPROVAL_TOKEN", "ENTRA8344_APPROVAL_PLAN"}
