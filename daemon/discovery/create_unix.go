//go:build unix

package discovery

import (
	"os"
	"syscall"
)

// createNew creates path, which must not exist (not even as a dangling
// symlink), for writing, mode 0600.
func createNew(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
}

// owner returns the uid owning fi.
func owner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
