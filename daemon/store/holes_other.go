//go:build !linux

package store

import (
	"errors"
	"os"
)

// punchHole is Linux's alone here: elsewhere superseded records keep their
// space until their session is closed.
func punchHole(*os.File, int64, int64) error { return errors.ErrUnsupported }

func diskBytes(fi os.FileInfo) int64 { return fi.Size() }
