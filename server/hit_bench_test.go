package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/apoportal/apoportal/data/sqlite"
	"github.com/apoportal/apoportal/internal/fixture"
)

// hitWriter is a ResponseWriter that keeps nothing, reused across requests, so what a
// benchmark counts is the portal's own work and allocations.
type hitWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *hitWriter) Header() http.Header         { return w.h }
func (w *hitWriter) WriteHeader(status int)      { w.status = status }
func (w *hitWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *hitWriter) reset()                      { clear(w.h); w.status, w.n = 0, 0 }

// BenchmarkCacheHit serves the hot search page from the response cache through the real
// handler, as `serve` is configured by default (access log at info, to a writer that
// discards): with gzip (browsers), without (curl, scripts), and a revalidation (304).
// make bench keeps a CPU profile of it.
func BenchmarkCacheHit(b *testing.B) {
	db := filepath.Join(b.TempDir(), "hit.db")
	store, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		b.Fatal(err)
	}
	ps, pcs := fixture.SharedRegistry(b)
	fixture.Fill(b, store, ps, pcs)
	store.Close()
	cfg := DefaultConfig()
	cfg.DB = db
	app, err := OpenApp(context.Background(), cfg, newLogger(io.Discard, "info"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	h := app.Handler()
	warm := httptest.NewRequest(http.MethodGet, "/suche?q=10115", nil)
	warm.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, warm)
	etag := rec.Header().Get("ETag")
	for _, run := range []struct {
		name, encoding, ifNoneMatch string
		want                        int
	}{{"gzip", "gzip", "", http.StatusOK}, {"identity", "", "", http.StatusOK}, {"revalidated", "gzip", etag, http.StatusNotModified}} {
		b.Run(run.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/suche?q=10115", nil)
			req.RemoteAddr = "192.0.2.1:40000"
			if run.encoding != "" {
				req.Header.Set("Accept-Encoding", run.encoding)
			}
			if run.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", run.ifNoneMatch)
			}
			w := &hitWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, req)
			}
			if got := max(w.status, http.StatusOK); got != run.want || w.h.Get("X-Cache") != "hit" {
				b.Fatalf("answered %d, X-Cache %q", got, w.h.Get("X-Cache"))
			}
			b.ReportMetric(float64(w.n), "bytes/answer")
		})
	}
}
