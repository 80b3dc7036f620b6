package dispatch

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/switchboardpay/switchboard/protocol"
)

// openRegular opens path for reading without ever blocking in open(2) (a
// FIFO nobody writes would) and accepts it only if fstat says it is a
// regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, fi.Mode())
	}
	return f, nil
}

func notRegular(path string, m fs.FileMode) error {
	return protocol.PathRefused(path, protocol.PathNotRegular,
		fmt.Sprintf("%s is not a regular file (%s): export and import read and write regular files only", path, kind(m)))
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return m.Type().String()
}

// checkExportTarget decides whether data/export may write path: a new
// name always; an existing regular file only with overwrite, and only if
// its mode lets this user write it (judged by the mode bits, so that a
// daemon running as root does not replace a file made read-only).
func checkExportTarget(path string, overwrite bool) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
	}
	if !fi.Mode().IsRegular() {
		return notRegular(path, fi.Mode())
	}
	if !overwrite {
		return protocol.PathRefused(path, protocol.PathExists,
			fmt.Sprintf("%s exists: pass overwrite: true to replace it (the CLI: --overwrite), or choose another path", path))
	}
	if !modeWritable(fi) {
		return protocol.PathRefused(path, protocol.PathNotWritable,
			fmt.Sprintf("%s is read-only (mode %04o): it is not replaced even with overwrite; make it writable (chmod u+w) or choose another path", path, fi.Mode().Perm()))
	}
	return nil
}
