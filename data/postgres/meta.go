package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

const (
	metaDemo             = "demo"
	metaGazetteerVersion = "gazetteer_version"
)

// formatVersion is a version stamp from the clock, as the SQLite store writes it.
func formatVersion(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// MarkDemo records that the database holds the generated demo registry.
func (db *DB) MarkDemo(ctx context.Context) error {
	return db.inTx(ctx, func(tx pgx.Tx) error { return setMeta(ctx, tx, metaDemo, "1") })
}

// IsDemo reports whether the database holds the demo registry.
func (db *DB) IsDemo(ctx context.Context) (bool, error) {
	v, err := db.meta(ctx, metaDemo)
	return v == "1", err
}

func (db *DB) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", read("read meta "+key, err)
	}
	return v, nil
}

func setMeta(ctx context.Context, tx pgx.Tx, key, value string) error {
	if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// SearchCursor returns the change sequence number up to which the named search engine has
// confirmed the store's changes; 0 when it has none.
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
	return db.inTx(ctx, func(tx pgx.Tx) error {
		return setMeta(ctx, tx, "search_cursor:"+engine, strconv.FormatInt(seq, 10))
	})
}

// Secret returns the named random secret of this database (made on first use by whichever
// process asks first), the same for every process on the store.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	key := "secret:" + name
	v, err := db.meta(ctx, key)
	if err != nil {
		return nil, err
	}
	if v == "" {
		if err := db.inTx(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, data.NewSecret())
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
