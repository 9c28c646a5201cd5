package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStatusPage renders /status with 90 days of hourly history and an auth endpoint:
// "cached" as most requests are served (the record is at most 10 s old), "reload" with
// the record read from SQLite for every request.
func BenchmarkStatusPage(b *testing.B) {
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL = filepath.Join(b.TempDir(), "status.db"), "http://127.0.0.1:1/"
	app, err := OpenApp(context.Background(), cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	if err := app.store.RecordChecks(context.Background(), ninetyDays(time.Now())); err != nil {
		b.Fatal(err)
	}
	h := app.Handler()
	for _, reload := range []bool{false, true} {
		name := "cached"
		if reload {
			name = "reload"
		}
		b.Run(name, func(b *testing.B) {
			var size int
			for b.Loop() {
				if reload {
					app.status.Forget()
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status", nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
