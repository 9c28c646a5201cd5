package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/data/sqlite"
)

// migrateStoreCommand copies a SQLite store into an empty PostgreSQL one, all tables in one
// transaction, and says what it copied. It reads one snapshot of the file; writes a portal
// makes after it are not copied, so stop the portal first.
func migrateStoreCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var from, to string
	f := newEnvFlags("migrate-store", stderr, getenv)
	f.string(&from, "from", "APOPORTAL_MIGRATE_FROM", "the SQLite file to copy (or sqlite:FILE)")
	f.string(&to, "to", "APOPORTAL_MIGRATE_TO", "the empty PostgreSQL store, postgres://… (prefer the variable: flags show in ps)")
	if err := f.parse(args); err != nil {
		return err
	}
	if from == "" || isPostgres(from) || !isPostgres(to) || f.fs.NArg() != 0 {
		return usageError{"usage: apoportal migrate-store --from FILE --to postgres://…"}
	}
	path := strings.TrimPrefix(from, "sqlite:")
	info, err := os.Stat(path) // sqlite.Open would make a new, empty store of a mistyped name
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a file", path)
	}
	if err != nil {
		return fmt.Errorf("migrate-store --from: %w", err)
	}
	start := time.Now()
	src, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to, nil)
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := dst.Load(ctx, src)
	if err != nil {
		return err
	}
	total := 0
	for _, c := range counts {
		fmt.Fprintf(stdout, "%-18s %8d rows\n", c.Table, c.Rows)
		total += c.Rows
	}
	fmt.Fprintf(stdout, "copied %d rows of %d tables from %s to %s in %s\n", total, len(counts), from, storeName(to),
		time.Since(start).Round(time.Millisecond))
	return nil
}
