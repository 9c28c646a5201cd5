package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// SaveImportPreview implements data.ImportPreviews.
func (db *DB) SaveImportPreview(ctx context.Context, p data.ImportPreview, now time.Time) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM import_previews WHERE expires_at <= ? OR operator_id = ?", formatTime(now), p.OperatorID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO import_previews (id, operator_id, kind, file, body, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			p.ID, p.OperatorID, p.Kind, p.File, p.Body, formatTime(p.Expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("save import preview: %w", err)
	}
	return nil
}

// TakeImportPreview implements data.ImportPreviews.
func (db *DB) TakeImportPreview(ctx context.Context, id string, operatorID int64, now time.Time) (data.ImportPreview, error) {
	p := data.ImportPreview{ID: id, OperatorID: operatorID}
	var expires string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM import_previews WHERE id = ? AND operator_id = ? AND expires_at > ?
			RETURNING kind, file, body, expires_at`, id, operatorID, formatTime(now)).Scan(&p.Kind, &p.File, &p.Body, &expires)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return p, data.Errorf(data.ENOTFOUND, "import preview %s not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("take import preview: %w", err)
	}
	if p.Expires, err = time.Parse(time.RFC3339Nano, expires); err != nil {
		return p, fmt.Errorf("stored time %q: %w", expires, err)
	}
	return p, nil
}
