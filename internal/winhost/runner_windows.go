package winhost

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// jobTree holds the child in a Job Object with KILL_ON_JOB_CLOSE: every
// process the child starts is in the job too, so TerminateJobObject kills
// the whole tree (PowerShell and anything it spawned), and closing the handle
// kills whatever is left even if this process dies first.
type jobTree struct {
	job  windows.Handle // 0 when the child could not be put in a job
	proc *exec.Cmd
	note string
}

// assignToJob is a variable so the tests can make the assignment fail and
// exercise the fallback.
var assignToJob = windows.AssignProcessToJobObject

func startTree(cmd *exec.Cmd) (processTree, error) {
	t := &jobTree{proc: cmd}
	job, jobErr := newKillOnCloseJob()
	if jobErr != nil {
		t.note = fmt.Sprintf("no Job Object (%v): on timeout only %s itself is killed, not processes it started", jobErr, cmd.Path)
	}

	// Suspended, so the child cannot start a grandchild before it is in the
	// job; assigning after a normal Start races with fast children.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NO_WINDOW,
	}
	if err := cmd.Start(); err != nil {
		if job != 0 {
			windows.CloseHandle(job)
		}
		return nil, err
	}

	var assignErr, resumeErr error
	herr := cmd.Process.WithHandle(func(h uintptr) {
		if job != 0 {
			if assignErr = assignToJob(job, windows.Handle(h)); assignErr == nil {
				t.job = job
			}
		}
		resumeErr = ntResumeProcess(windows.Handle(h))
	})
	if herr == nil && resumeErr == nil && assignErr != nil {
		// Before Windows 8 a process already in a job (as some RMM agents
		// run their scripts) cannot join another one.
		t.note = fmt.Sprintf("could not put %s in a Job Object (%v): on timeout only it is killed, not processes it started", cmd.Path, assignErr)
	}
	if t.job == 0 && job != 0 {
		windows.CloseHandle(job)
	}
	if herr != nil || resumeErr != nil {
		// A child left suspended would never exit: kill it and report.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.release()
		return nil, fmt.Errorf("resume suspended process: %w", errors.Join(herr, resumeErr))
	}
	return t, nil
}

func newKillOnCloseJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("CreateJobObject: %w", err)
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("SetInformationJobObject(KILL_ON_JOB_CLOSE): %w", err)
	}
	return job, nil
}

func (t *jobTree) kill() {
	if t.job != 0 {
		_ = windows.TerminateJobObject(t.job, 1)
	}
	// Also the child directly: covers the no-job fallback, harmless otherwise.
	_ = t.proc.Process.Kill()
}

// release closes the job; KILL_ON_JOB_CLOSE kills whatever the child left
// running, so no process outlives Run.
func (t *jobTree) release() {
	if t.job != 0 {
		windows.CloseHandle(t.job)
		t.job = 0
	}
}

func (t *jobTree) notes() []string {
	if t.note == "" {
		return nil
	}
	return []string{t.note}
}
