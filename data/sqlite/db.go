// Package sqlite is the SQLite store, apoportal's source of truth: one writer connection
// with immediate transactions, a pool of read-only connections, WAL, and migrations
// embedded in the binary and applied in order at open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
	sqlite3 "github.com/mattn/go-sqlite3"
	"golang.org/x/sys/unix"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ data.Store = (*DB)(nil)

// DB is an open store. Writes go through one connection, so they never race each other
// for the lock; reads use their own pool and see the last committed state.
type DB struct {
	data.MetaOn // the demo mark, search cursors and secrets, over the meta table
	path        string
	write       *sql.DB
	read        *sql.DB
	now         func() time.Time
	readOnly    *data.Error                // why every write is refused (a read-only volume); nil when writable
	refusal     atomic.Pointer[data.Error] // why the last write was refused; nil after one went through
}

// Open opens (and creates, if needed) the database at path and applies pending migrations.
// now is the clock for timestamps; nil means time.Now. When the file or its folder cannot
// be written (a volume mounted or remounted read-only), the store is opened read-only: reads
// are served, every write is refused with data.EUNAVAILABLE.
func Open(ctx context.Context, path string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	if !writable(path) {
		return openReadOnly(ctx, path, now)
	}
	// Pragmas go in the DSN so every pooled connection gets them. synchronous=FULL: an
	// acknowledged write survives a crash of the process and of the machine.
	common := "_busy_timeout=5000&_foreign_keys=on"
	w, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+common+"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	db := &DB{path: path, write: w, now: now}
	db.MetaOn.KV = db
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+common+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	db.read = r
	return db, nil
}

// writable reports whether the database file (or, before it exists, its folder) and the
// folder for its journal can be written. access(2) also answers for read-only mounts.
func writable(path string) bool {
	if err := unix.Access(filepath.Dir(path), unix.W_OK); err != nil {
		return false
	}
	err := unix.Access(path, unix.W_OK)
	return err == nil || errors.Is(err, fs.ErrNotExist)
}

// openReadOnly opens a database that cannot be written. SQLite cannot open a WAL database
// read-only without creating its shared-memory file, unless told the file is immutable,
// which it is while nobody can write it. Writes that reached only the WAL of a crashed
// process are then not seen; the refusal says so.
func openReadOnly(ctx context.Context, path string, now func() time.Time) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: the folder is read-only and holds no database: %w", path, err)
	}
	r, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_foreign_keys=on&mode=ro&immutable=1")
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	reason := "the database is read-only at the moment (its volume cannot be written); nothing was changed"
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		reason += fmt.Sprintf("; %d bytes of recent changes in its WAL are not shown until it can be written", wal.Size())
	}
	db := &DB{path: path, write: r, read: r, now: now, readOnly: &data.Error{Code: data.EUNAVAILABLE, Message: reason}}
	db.MetaOn.KV = db
	if err := db.checkMigrated(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	return db, nil
}

// checkMigrated fails unless every migration was applied: a read-only store cannot apply them.
func (db *DB) checkMigrated(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	for _, name := range names {
		var n int
		if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE name = ?", name).Scan(&n); err != nil {
			return fmt.Errorf("read applied migrations: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("migration %s is not applied and the database cannot be written", name)
		}
	}
	return nil
}

// Refusal says why writes are being refused: the volume is read-only, or the last write
// could not be made (busy past the timeout, disk full). Nil while writes go through.
func (db *DB) Refusal() error {
	if db.readOnly != nil {
		return db.readOnly
	}
	if r := db.refusal.Load(); r != nil {
		return r
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the store answers a read.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.applyMigration(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE name = ?", name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
		name, formatTime(db.now())); err != nil {
		return err
	}
	return tx.Commit()
}

// inTx runs fn in one write transaction and commits it when fn returns nil, and notes
// whether the store took it (Refusal).
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.readOnly != nil {
		return db.readOnly
	}
	err := db.tx(ctx, fn)
	var refused *data.Error
	switch {
	case err == nil:
		db.refusal.Store(nil)
	case errors.As(err, &refused) && refused.Code == data.EUNAVAILABLE:
		db.refusal.Store(refused)
	}
	return err
}

func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return unavailable(err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// unavailable turns SQLite's "busy" (another process holds the write lock past the busy
// timeout), "read-only" and "disk full" into data.EUNAVAILABLE: the transaction was rolled
// back, nothing changed, and the caller may retry. Other errors pass as they are.
func unavailable(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return &data.Error{Code: data.EUNAVAILABLE, Message: "the database is busy; nothing was changed, please retry"}
	case sqlite3.ErrReadonly:
		return &data.Error{Code: data.EUNAVAILABLE, Message: "the database is read-only at the moment; nothing was changed"}
	case sqlite3.ErrFull:
		return &data.Error{Code: data.EUNAVAILABLE, Message: "the database's disk is full; nothing was changed"}
	}
	return err
}

// readTx runs fn in a read-only transaction on the readers' pool.
func (db *DB) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return nil, fmt.Errorf("stored time %q: %w", s.String, err)
	}
	return &t, nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}
