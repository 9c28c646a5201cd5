package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/apoportal/apoportal/data"
)

const (
	metaDemo             = "demo"
	metaGazetteerVersion = "gazetteer_version"
)

// MarkDemo records that the database holds the generated demo registry, so every page can
// say so.
func (db *DB) MarkDemo(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error { return setMeta(ctx, tx, metaDemo, "1") })
}

// IsDemo reports whether the database holds the demo registry.
func (db *DB) IsDemo(ctx context.Context) (bool, error) {
	v, err := db.meta(ctx, metaDemo)
	return v == "1", err
}

func (db *DB) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

func setMeta(ctx context.Context, tx *sql.Tx, key, value string) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// SearchCursor returns the change sequence number up to which the named search engine has
// confirmed the store's changes; 0 when it has none. Together with the pharmacies' seq
// column it is a durable outbox: changes stay in the store until the engine confirms them.
func (db *DB) SearchCursor(ctx context.Context, engine string) (int64, error) {
	v, err := db.meta(ctx, "search_cursor:"+engine)
	if err != nil || v == "" {
		return 0, err
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("search cursor of %s: %q: %w", engine, v, err)
	}
	return seq, nil
}

// SetSearchCursor records that the named engine holds every change up to seq.
func (db *DB) SetSearchCursor(ctx context.Context, engine string, seq int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		return setMeta(ctx, tx, "search_cursor:"+engine, strconv.FormatInt(seq, 10))
	})
}

// Secret returns the named random secret of this database (32 bytes, made on first use), the
// same for every process on the store: the key that signs device cookies, for one. It is kept
// in the database, never shown or logged.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	key := "secret:" + name
	v, err := db.meta(ctx, key)
	if err != nil {
		return nil, err
	}
	if v == "" {
		fresh := data.NewSecret()
		if err := db.inTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, fresh)
			return err
		}); err != nil {
			return nil, fmt.Errorf("make secret %s: %w", name, err)
		}
		if v, err = db.meta(ctx, key); err != nil {
			return nil, err
		}
	}
	return data.DecodeSecret(name, v)
}
