// Package smalldisk mounts a real small tmpfs for tests of a full disk
// (the test machines run as root), skipping the test where mounting is
// not permitted.
package smalldisk

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Mount mounts a tmpfs of size (mount's syntax: "64m") on a new directory,
// unmounted at the end of the test, and returns its path.
func Mount(t testing.TB, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a small tmpfs is needed for a real full disk, and mounting one is not permitted here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}
