package store

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// punchHole gives the disk blocks of [off, off+n) back to the file system;
// the file's size and every other offset stay as they are.
func punchHole(f *os.File, off, n int64) error {
	return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
}

// diskBytes is what a file takes on disk, holes not counted.
func diskBytes(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}
