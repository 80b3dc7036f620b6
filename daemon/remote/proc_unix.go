//go:build unix

package remote

import (
	"os/exec"
	"syscall"
)

// setGroup makes the child the leader of a new process group, so that
// killGroup reaches whatever it started too.
func setGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
