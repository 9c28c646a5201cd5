package legal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An operator's Markdown becomes HTML without its raw HTML or dangerous links; a page
// without a file is not provided; the examples show only with demo and no folder.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	md := "## Angaben gemäß § 5 DDG\n\nAmt <script>alert(1)</script> für [Gesundheit](https://example.org) " +
		"und [mehr](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
	if err := os.WriteFile(filepath.Join(dir, "impressum.md"), []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	texts, err := Load(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	imp := texts.Of(Impressum)
	if !imp.Provided || imp.Example || !strings.Contains(imp.HTML, "<h2>Angaben gemäß § 5 DDG</h2>") || !strings.Contains(imp.HTML, `href="https://example.org"`) {
		t.Fatalf("impressum: %+v", imp)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror", "<img"} {
		if strings.Contains(imp.HTML, bad) {
			t.Errorf("the page keeps %q: %s", bad, imp.HTML)
		}
	}
	if p := texts.Of(Privacy); p.Provided || p.HTML != "" {
		t.Errorf("a missing file is provided: %+v", p)
	}
	demo, err := Load("", true)
	if err != nil || !demo.Of(Accessibility).Example || !demo.Of(Accessibility).Provided {
		t.Fatalf("demo examples: %v %+v", err, demo.Of(Accessibility))
	}
	if none, _ := Load("", false); none.Of(Impressum).Provided {
		t.Error("an example without demo")
	}
	os.WriteFile(filepath.Join(dir, "datenschutz.md"), []byte("Daten\xff"), 0o600)
	if _, err := Load(dir, false); err == nil || !strings.Contains(err.Error(), "datenschutz.md: not UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}
