package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const metaGazetteerVersion = "gazetteer_version"

// formatVersion is a version stamp from the clock, as the SQLite store writes it.
func formatVersion(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// MetaValue is the value of key in the meta table; "" when there is none.
func (db *DB) MetaValue(ctx context.Context, key string) (string, error) {
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

// SetMetaValue sets key to value.
func (db *DB) SetMetaValue(ctx context.Context, key, value string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error { return setMeta(ctx, tx, key, value) })
}

// AddMetaValue sets key to value unless it has one.
func (db *DB) AddMetaValue(ctx context.Context, key, value string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, value)
		return err
	})
}

func setMeta(ctx context.Context, tx pgx.Tx, key, value string) error {
	if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}
