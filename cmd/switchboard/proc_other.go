//go:build !linux

package main

import (
	"errors"
	"os/exec"
)

// dieWithParent is a no-op where the kernel cannot do it; the bench still
// stops the daemon on every way out it controls.
func dieWithParent(*exec.Cmd) {}

// procMemory needs /proc; elsewhere the bench reports no memory figure.
func procMemory(pid int, field string) (int64, error) {
	return 0, errors.New("process memory is read from /proc, which this system lacks")
}
