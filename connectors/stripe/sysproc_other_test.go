//go:build !linux

package stripe

import "syscall"

func mockSysProcAttr() *syscall.SysProcAttr { return nil }
