// Package legal holds the operator's legal pages — Impressum, Datenschutzerklärung,
// Erklärung zur Barrierefreiheit — written as Markdown files in a folder the operator
// configures (--legal-dir), rendered once at start with goldmark: raw HTML in them is left
// out and links to javascript: and other dangerous schemes are dropped, so a text cannot
// put a script on a public page.
package legal

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/yuin/goldmark"
)

// Page is one legal page.
type Page string

// The legal pages, named as their files (impressum.md, …) and paths (/impressum, …).
const (
	Impressum     Page = "impressum"
	Privacy       Page = "datenschutz"
	Accessibility Page = "barrierefreiheit"
)

// Pages are every legal page.
var Pages = []Page{Impressum, Privacy, Accessibility}

const maxFile = 256 << 10

// Text is a page's text as HTML, and whether the operator provided it or it is an example.
type Text struct {
	HTML     string
	Provided bool
	Example  bool // --demo without a folder: an example, to be marked as such
}

// Texts are the legal pages' texts.
type Texts struct{ pages map[Page]Text }

//go:embed examples/*.md
var examples embed.FS

// Load reads the pages from dir (which must exist); a page without a file is not provided. With no dir, the
// pages are not provided, or with demo the examples are shown as such.
func Load(dir string, demo bool) (*Texts, error) {
	t := &Texts{pages: map[Page]Text{}}
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("legal pages: %s is not a folder (%v)", dir, err)
		}
	}
	for _, p := range Pages {
		var src []byte
		var err error
		example := false
		switch {
		case dir != "":
			src, err = os.ReadFile(filepath.Join(dir, string(p)+".md"))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
		case demo:
			src, err = examples.ReadFile("examples/" + string(p) + ".md")
			example = true
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("legal page %s: %w", p, err)
		}
		html, err := render(src)
		if err != nil {
			return nil, fmt.Errorf("legal page %s.md: %w", p, err)
		}
		t.pages[p] = Text{HTML: html, Provided: true, Example: example}
	}
	return t, nil
}

func render(src []byte) (string, error) {
	if len(src) > maxFile {
		return "", fmt.Errorf("longer than %d KB", maxFile>>10)
	}
	if !utf8.Valid(src) {
		return "", fmt.Errorf("not UTF-8 text")
	}
	var out bytes.Buffer
	if err := goldmark.Convert(src, &out); err != nil { // no raw HTML, no dangerous links: goldmark's defaults
		return "", err
	}
	return out.String(), nil
}

// Of returns page p's text.
func (t *Texts) Of(p Page) Text { return t.pages[p] }
