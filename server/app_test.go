package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apoportal/apoportal/internal/fixture"
)

// A Monday morning: the portal's launch.
var launch = time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)

var (
	sharedOnce sync.Once
	sharedDB   string
)

// sharedDBCopy returns a fresh copy of a database holding the shared registry; the
// registry is imported once per test binary.
func sharedDBCopy(t *testing.T) string {
	t.Helper()
	return sharedDBCopyIn(t, t.TempDir())
}

// sharedDBCopyIn is sharedDBCopy into the folder dir.
func sharedDBCopyIn(t testing.TB, dir string) string {
	t.Helper()
	sharedOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "apoportal-server-test")
		if err != nil {
			t.Fatal(err)
		}
		sharedDB = fixture.SharedDBFile(t, tmp)
	})
	if sharedDB == "" {
		t.Fatal("shared database was not built")
	}
	body, err := os.ReadFile(sharedDB)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "apoportal.db")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMain(m *testing.M) {
	if os.Getenv("APOPORTAL_TEST_CHILD") == "serve" {
		serveAsChild() // the test binary as the portal, for tests of whole processes
	}
	code := m.Run()
	pgServer.Stop()
	if sharedDB != "" {
		os.RemoveAll(filepath.Dir(sharedDB))
	}
	os.Exit(code)
}

// testApp opens the portal on db with the clock at now.
func testApp(t *testing.T, db string, now func() time.Time) (*App, *lockedBuilder) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DB = db
	return openTestApp(t, cfg, now)
}

// testAppWith opens the portal with cfg.
func testAppWith(t *testing.T, cfg Config) (*App, *lockedBuilder) {
	t.Helper()
	return openTestApp(t, cfg, nil)
}

// lockedBuilder collects log lines written from many goroutines.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func openTestApp(t testing.TB, cfg Config, now func() time.Time) (*App, *lockedBuilder) {
	t.Helper()
	logs := &lockedBuilder{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := OpenApp(context.Background(), cfg, log, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app, logs
}

// serveApp serves app on a loopback port until the test ends and returns its base URL.
func serveApp(t testing.TB, app *App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(rec.Body).Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
