// Package postgres is the PostgreSQL store, for deployments that outgrow one machine: the
// same contract as data/sqlite (data.Store), through pgx's pool, with migrations embedded in
// the binary and applied at start under an advisory lock, so processes starting at once
// migrate once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ data.Store = (*DB)(nil)

// Settings each connection gets unless the connection string sets them. A statement that
// runs longer than statementTimeout is cancelled (a lock held by a stuck writer must not
// hold every request); a transaction idle that long is ended by the server.
const (
	statementTimeout = "5s"
	lockTimeout      = "4s"
	idleInTxTimeout  = "30s"
	defaultMaxConns  = 16
	connectTimeout   = 5 * time.Second
	// writeAttempts bounds how often a write that lost a serialisation race or a deadlock is
	// run again before the caller gets EUNAVAILABLE.
	writeAttempts = 4
)

// DB is an open PostgreSQL store.
type DB struct {
	data.MetaOn // the demo mark, search cursors and secrets, over the meta table
	pool        *pgxpool.Pool
	now         func() time.Time
	refusal     atomic.Pointer[data.Error] // why the last write was refused; nil after one went through
}

// Open connects to the database dsn names (postgres://…, libpq's multi-host form included)
// and applies pending migrations. now is the clock for timestamps; nil means time.Now.
func Open(ctx context.Context, dsn string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// Not wrapped: the parser's message repeats the string, which may hold a password.
		return nil, errors.New("the postgres connection string cannot be read; see libpq's URI form (postgres://user@host:port/db?param=value)")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	for k, v := range map[string]string{"statement_timeout": statementTimeout, "lock_timeout": lockTimeout,
		"idle_in_transaction_session_timeout": idleInTxTimeout, "application_name": "apoportal", "timezone": "UTC"} {
		if _, set := params[k]; !set {
			params[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", describe(cfg), err)
	}
	db := &DB{pool: pool, now: now}
	db.MetaOn.KV = db
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate postgres %s: %w", describe(cfg), err)
	}
	return db, nil
}

// describe names the database for messages, without the password.
func describe(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// migrateLock is the advisory lock key under which migrations are applied ("apoportal").
const migrateLock = 0x61706f706f7274

// migrate applies the migrations not applied yet, each in its own transaction, holding a
// session advisory lock on one connection: a second process starting at once waits, then
// finds them applied. When none is pending it writes nothing, so a standby opens too.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if pending, err := db.pending(ctx, names); err != nil || !pending {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return unavailable(fmt.Errorf("connect: %w", err))
	}
	defer conn.Release()
	// Another process may hold the lock while it migrates, and a migration may take long:
	// neither is a timeout of a request.
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0; SET lock_timeout = 0"); err != nil {
		return fmt.Errorf("prepare for migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "RESET statement_timeout; RESET lock_timeout") // a broken connection is dropped
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("lock for migrations: %w", err)
	}
	defer func() {
		// A lost connection releases the lock with it.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLock)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, name := range names {
		if err := db.applyMigration(ctx, conn.Conn(), name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// pending reports whether any of the named migrations is not applied yet.
func (db *DB) pending(ctx context.Context, names []string) (bool, error) {
	var known bool
	if err := db.pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&known); err != nil {
		return false, unavailable(fmt.Errorf("read applied migrations: %w", err))
	}
	if !known {
		return true, nil
	}
	var applied int
	if err := db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE name = ANY($1)", names).Scan(&applied); err != nil {
		return false, unavailable(fmt.Errorf("read applied migrations: %w", err))
	}
	return applied < len(names), nil
}

func (db *DB) applyMigration(ctx context.Context, conn *pgx.Conn, name string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var applied bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", name).Scan(&applied); err != nil || applied {
			return err
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)", name, db.now())
		return err
	})
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the store answers a read. A server that refuses every write (a standby,
// or a database set read-only) is noted as the refusal, as SQLite notes a read-only volume, so the
// status page tells before the first write fails.
func (db *DB) Ping(ctx context.Context) error {
	var standby bool
	// A standby, or a primary an operator made read-only (default_transaction_read_only).
	if err := db.pool.QueryRow(ctx, "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'").Scan(&standby); err != nil {
		return fmt.Errorf("ping store: %w", unavailable(err))
	}
	if standby {
		db.refusal.Store(errStandby)
	} else {
		db.refusal.CompareAndSwap(errStandby, nil)
	}
	return nil
}

// errStandby is the refusal of a server that is a standby.
var errStandby = &data.Error{Code: data.EUNAVAILABLE, Message: "the database is read-only at the moment (a standby); nothing was changed"}

// Refusal says why writes are refused (the server is a standby, its disk is full, it cannot
// be reached); nil after a write went through.
func (db *DB) Refusal() error {
	if r := db.refusal.Load(); r != nil {
		return r
	}
	return nil
}

// inTx runs fn in one write transaction and commits it when fn returns nil. A serialisation
// failure or deadlock runs it again, a bounded number of times, so fn must set (not add to)
// what it returns. It notes whether the store took the write (Refusal).
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = db.tx(ctx, fn)
		if attempt == writeAttempts || !retryable(err) {
			break
		}
		select {
		case <-time.After(time.Duration(attempt*(5+rand.IntN(10))) * time.Millisecond):
		case <-ctx.Done():
		}
	}
	err = unavailable(err)
	var refused *data.Error
	switch {
	case err == nil:
		db.refusal.Store(nil)
	case errors.As(err, &refused) && refused.Code == data.EUNAVAILABLE:
		db.refusal.Store(refused)
	}
	return err
}

// tx runs fn in a transaction and commits it. A commit that fails for want of the
// connection has an unknown outcome: the server may have committed before the connection
// broke, so the caller is not told that nothing changed.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // after a commit it does nothing
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		var answered *pgconn.PgError // the server said no: it rolled back
		if !errors.As(err, &answered) {
			return data.ErrCommitUnknown
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports a serialisation failure or a deadlock: the transaction was rolled back
// and running it again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// unavailable turns what PostgreSQL (or the way to it) says when it cannot take a write or
// answer now into data.EUNAVAILABLE: the transaction did not commit, nothing changed, the
// caller may retry. Our own errors and other failures pass as they are.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var de *data.Error
	if errors.As(err, &de) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "25006":
			return errStandby
		case pe.Code == "22021" || pe.Code == "22P05":
			return &data.Error{Code: data.EINVALID, Message: "the text is not valid UTF-8 or holds a NUL byte"}
		}
		if msg := refusal(pe.Code); msg != "" {
			return &data.Error{Code: data.EUNAVAILABLE, Message: msg}
		}
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ne) || errors.As(err, &ce) || pgconn.Timeout(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return &data.Error{Code: data.EUNAVAILABLE, Message: "the database cannot be reached at the moment; nothing was changed, please retry"}
	}
	return err
}

// refusal is the user-facing reason for an error class that means "not now"; "" for others.
func refusal(code string) string {
	switch {
	case code == "53100":
		return "the database's disk is full; nothing was changed"
	case code == "40001", code == "40P01", code == "55P03":
		return "the database is busy; nothing was changed, please retry"
	case code == "57014", code == "25P03":
		return "the database took too long; nothing was changed, please retry"
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "57P"), code == "53300", code == "53200":
		return "the database cannot be reached at the moment; nothing was changed, please retry"
	}
	return ""
}

// storable reports whether PostgreSQL can hold the text at all (valid UTF-8, no NUL): what
// it cannot hold it has not stored, so a lookup of it finds nothing, as on SQLite.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// read wraps the error of a read with what was being read, as EUNAVAILABLE where the
// database could not answer.
func read(what string, err error) error {
	return fmt.Errorf("%s: %w", what, unavailable(err))
}

// utc returns t in UTC (pgx hands timestamptz back in the local zone).
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
