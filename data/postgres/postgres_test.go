package postgres

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/storetest"
	"github.com/apoportal/apoportal/internal/testenv"
)

// server is the PostgreSQL server of this test binary, started on first use.
var server = &testenv.Postgres{}

func TestMain(m *testing.M) {
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

// mustOpen opens a store on a fresh database, closed when the test ends.
func mustOpen(t testing.TB, now func() time.Time) *DB {
	t.Helper()
	db, err := Open(context.Background(), server.Database(t), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The store contract, on PostgreSQL.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now func() time.Time) data.Store { return mustOpen(t, now) })
}
