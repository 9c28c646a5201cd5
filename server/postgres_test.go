package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
)

// pgServer is the PostgreSQL server of this test binary, started on first use and stopped by
// TestMain.
var pgServer = &testenv.Postgres{}

// sharedPostgres returns the URL of a fresh PostgreSQL database holding the shared registry
// (a copy of a template filled once per test binary).
func sharedPostgres(t *testing.T) string {
	t.Helper()
	return sharedPostgresOn(t, pgServer)
}

// sharedPostgresOn is sharedPostgres on a server of the test's own.
func sharedPostgresOn(t *testing.T, server *testenv.Postgres) string {
	t.Helper()
	server.Template(t, "shared", func(url string) {
		db, err := postgres.Open(context.Background(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ps, pcs := fixture.SharedRegistry(t)
		fixture.Fill(t, db, ps, pcs)
	})
	return server.Copy(t, "shared")
}

// onEachStore runs a test of the search, participation or status path on a copy of the
// shared registry in each engine: SQLite (a file) and PostgreSQL.
func onEachStore(t *testing.T, test func(t *testing.T, shared func(*testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sharedDBCopy) })
	t.Run("postgres", func(t *testing.T) { test(t, sharedPostgres) })
}

// onEachEmptyStore runs a test on an empty store of each engine.
func onEachEmptyStore(t *testing.T, test func(t *testing.T, empty func(*testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "apoportal.db") })
	})
	t.Run("postgres", func(t *testing.T) { test(t, func(t *testing.T) string { return pgServer.Database(t) }) })
}

// A PostgreSQL that refuses writes (as a standby does) means what a read-only SQLite volume
// means: searches and pages go on, a switch is 503 with Retry-After and changes nothing, and
// the store is degraded on /api/v1/status.
func TestStatus_PostgresRefusingWritesIsDegraded(t *testing.T) {
	db := sharedPostgres(t)
	cfg := DefaultConfig()
	cfg.DB, cfg.ProbeInterval = db, 50*time.Millisecond
	app, _ := openTestApp(t, cfg, nil)
	_, tok := token(t, app, pharmacyA)
	app.Close()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	pgServer.Exec(t, "postgres", "ALTER DATABASE "+strings.TrimPrefix(u.Path, "/")+" SET default_transaction_read_only = on")
	app, _ = openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	if res, err := http.Get(base + "/api/v1/pharmacies?q=01069&certificates=true"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("search on a read-only store: %v %v", res, err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", strings.NewReader(`{"participating": false, "note": "zu"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("switch on a read-only store: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if p, err := app.store.Pharmacy(context.Background(), pharmacyA); err != nil || p.Participation.Note == "zu" {
		t.Fatalf("the refused switch changed the store: %+v %v", p.Participation, err)
	}
	if !eventuallyContains(t, base+"/api/v1/status", `{"id":"store","name":"Datenbank","state":"degraded"}`) {
		res, _ := http.Get(base + "/api/v1/status")
		t.Fatalf("the store is not degraded on /api/v1/status: %s", readAll(t, res.Body))
	}
}

// While PostgreSQL does not answer (a failover, a restart), citizens' pages of a pharmacy
// still answer, from the embedded engine's copy: the page and the API, uncached until then.
func TestPharmacyPages_AnswerWhileTheStoreIsDown(t *testing.T) {
	pg := &testenv.Postgres{}
	t.Cleanup(pg.Stop)
	cfg := DefaultConfig()
	cfg.DB = sharedPostgresOn(t, pg)
	app, _ := openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	pg.Halt(t)
	t.Cleanup(func() { pg.Resume(t) }) // the test's databases are dropped after
	for _, path := range []string{"/apotheke/" + pharmacyA, "/api/v1/pharmacies/" + pharmacyA} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Neue-Apotheke im Zentrum") {
			t.Fatalf("%s with the store down: %d\n%s", path, res.StatusCode, body)
		}
	}
	if res, err := http.Get(base + "/apotheke/000000000"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("an unknown pharmacy with the store down: %v %v (the store alone can say it is not there)", res.StatusCode, err)
	}
}
