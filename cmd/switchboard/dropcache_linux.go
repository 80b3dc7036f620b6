package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCache writes path's dirty pages and drops it from the page cache
// (this one file, not the machine's: the bench runs beside others), so a
// read of it next comes from the disk.
func dropCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
