package main

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/data/sqlite"
)

// openStore opens the store --db names: postgres://… (or postgresql://…) is PostgreSQL, a
// path (or sqlite:PATH) the embedded SQLite file. now is the clock (nil: time.Now).
func openStore(ctx context.Context, db string, now func() time.Time) (data.Store, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db, now)
	}
	return sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"), now)
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// storeName is --db as logs may show it: a PostgreSQL URL without its password.
func storeName(db string) string {
	if !isPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	u.User = url.User(u.User.Username())
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "redacted")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
