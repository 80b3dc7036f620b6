package stripe

import "syscall"

// mockSysProcAttr kills stripe-mock with the test binary, even when a
// timeout panic skips TestMain's clean-up.
func mockSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
