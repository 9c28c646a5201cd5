package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const metaGazetteerVersion = "gazetteer_version"

// MetaValue is the value of key in the meta table; "" when there is none.
func (db *DB) MetaValue(ctx context.Context, key string) (string, error) {
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

// SetMetaValue sets key to value.
func (db *DB) SetMetaValue(ctx context.Context, key, value string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error { return setMeta(ctx, tx, key, value) })
}

// AddMetaValue sets key to value unless it has one.
func (db *DB) AddMetaValue(ctx context.Context, key, value string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value)
		return err
	})
}

func setMeta(ctx context.Context, tx *sql.Tx, key, value string) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}
