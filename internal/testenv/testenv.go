// Package testenv finds what tests need from outside the repository: the shared data files
// beside the project and programs such as Chromium. When something is missing a test is
// skipped, unless APOPORTAL_REQUIRE_ALL=1 (set by `make test`), which turns the skip into a
// failure so CI can never pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireAll reports whether missing test dependencies are failures.
func RequireAll() bool { return os.Getenv("APOPORTAL_REQUIRE_ALL") == "1" }

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireAll() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// repoRoot is the folder of go.mod above the working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found above the working directory")
		}
		dir = parent
	}
}

// SharedData returns the path of a file in ../shared/data beside the repository
// (APOPORTAL_SHARED_DATA overrides the folder).
func SharedData(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv("APOPORTAL_SHARED_DATA"); dir != "" {
		return filepath.Join(dir, name)
	}
	p := filepath.Join(repoRoot(t), "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		missing(t, "shared data %s not found beside the repository: %v", name, err)
	}
	return p
}

// Chromium returns the path of the Chromium binary (APOPORTAL_CHROMIUM overrides).
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("APOPORTAL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "chromium not found (apt-get install chromium)")
	return ""
}

// Wrk is the path of the wrk load generator (Debian's package), or the test is skipped
// (failed under APOPORTAL_REQUIRE_ALL).
func Wrk(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("wrk")
	if err != nil {
		missing(t, "wrk not installed (apt-get install wrk)")
	}
	return p
}
