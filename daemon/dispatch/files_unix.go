//go:build unix

package dispatch

import (
	"os"
	"slices"
	"syscall"
)

// modeWritable reports whether fi's permission bits grant this process's
// user write access: the owner's bit if it owns the file, the group's if
// it is in the file's group, else the others'.
func modeWritable(fi os.FileInfo) bool {
	perm := fi.Mode().Perm()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return perm&0o200 != 0
	}
	if int(st.Uid) == os.Geteuid() {
		return perm&0o200 != 0
	}
	groups, _ := os.Getgroups()
	if int(st.Gid) == os.Getegid() || slices.Contains(groups, int(st.Gid)) {
		return perm&0o020 != 0
	}
	return perm&0o002 != 0
}
