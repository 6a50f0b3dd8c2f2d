//go:build !windows

package winhost

import (
	"os/exec"
	"syscall"
)

// groupTree is the child's own process group: the child becomes the group
// leader (Setpgid) and its descendants inherit the group unless they leave it
// on purpose, so kill(-pgid) reaches the tree the way TerminateJobObject
// does on Windows. This exists so the Linux tests exercise the same contract.
type groupTree struct{ pgid int }

func startTree(cmd *exec.Cmd) (processTree, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &groupTree{pgid: cmd.Process.Pid}, nil
}

func (t *groupTree) kill() {
	_ = syscall.Kill(-t.pgid, syscall.SIGKILL) // ESRCH: the group is already empty
}

// release kills what the child left in its group, like closing a
// KILL_ON_JOB_CLOSE job. The leader was reaped by Wait, but the kernel keeps
// the group id reserved while any member lives; only if the group is already
// empty could the id be reused, within the microseconds since Wait.
func (t *groupTree) release() { t.kill() }

func (t *groupTree) notes() []string { return nil }
