package testenv

import (
	"fmt"
	"syscall"
	"testing"
)

// SmallFilesystem mounts a tmpfs of size bytes on a fresh folder for as long as the test
// runs, for tests of a full or read-only disk. Mounting needs root (CAP_SYS_ADMIN); without
// it the test is skipped, or fails under APOPORTAL_REQUIRE_ALL.
func SmallFilesystem(t testing.TB, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		missing(t, "cannot mount a small filesystem (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// ReadOnly remounts a folder from SmallFilesystem read-only. Nothing may hold a file on it
// open for writing.
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
}
