// Package static holds the portal's CSS, JavaScript and icons, and the browser libraries
// the build copies into vendor/, embedded into the binary and served under content-hashed
// URLs so browsers and CDNs may keep them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed app.css app.js favicon.svg vendor
var files embed.FS

// Asset is one static file.
type Asset struct {
	Body        []byte
	ContentType string
	ETag        string
	Immutable   bool // requested under its hashed URL
}

// Assets maps URLs to files: every file is served at /static/<name> and at its hashed
// URL /static/<name without extension>.<hash>.<extension>.
type Assets struct {
	byURL  map[string]Asset
	hashed map[string]string // name → hashed URL
}

// Load reads and hashes the embedded files.
func Load() (*Assets, error) {
	a := &Assets{byURL: map[string]Asset{}, hashed: map[string]string{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, "README.md") {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		hashedURL := "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext
		asset := Asset{Body: body, ContentType: ctype, ETag: `"` + hash + `"`}
		a.byURL["/static/"+name] = asset
		asset.Immutable = true
		a.byURL[hashedURL] = asset
		a.hashed[name] = hashedURL
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of a file, or "" when it is not embedded.
func (a *Assets) URL(name string) string { return a.hashed[name] }

// Lookup returns the file served at urlPath.
func (a *Assets) Lookup(urlPath string) (Asset, bool) {
	asset, ok := a.byURL[urlPath]
	return asset, ok
}
