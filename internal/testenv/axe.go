package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// AxeCore returns the source of axe-core (npm, pinned in package.json), which browser tests
// inject into pages to check them against the WCAG rules.
func AxeCore(t testing.TB) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing(t, "axe-core not installed (make assets installs it from npm): %v", err)
		return ""
	}
	return string(src)
}
