package main

import (
	"context"
	"path/filepath"
	"testing"

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
