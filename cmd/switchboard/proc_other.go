//go:build !linux

package main

import (
	"errors"
	"os/exec"
	"time"
)

// dieWithParent is a no-op where the kernel cannot do it; the bench still
// stops the daemon on every way out it controls.
func dieWithParent(*exec.Cmd) {}

// procMemory needs /proc; elsewhere the bench reports no memory figure.
func procMemory(pid int, field string) (int64, error) {
	return 0, errors.New("process memory is read from /proc, which this system lacks")
}

// procCPU needs /proc; elsewhere the bench reports no CPU figure.
func procCPU(pid int) (time.Duration, error) {
	return 0, errors.New("process CPU time is read from /proc, which this system lacks")
}

// pidAlive cannot tell here; a daemon is taken to be alive and the dial
// says otherwise.
func pidAlive(pid int) bool { return pid > 0 }
