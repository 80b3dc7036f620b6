//go:build !unix

package dispatch

import "os"

// modeWritable reports whether fi's owner may write it.
func modeWritable(fi os.FileInfo) bool { return fi.Mode().Perm()&0o200 != 0 }
