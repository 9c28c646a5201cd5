package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// SaveImportPreview implements data.ImportPreviews.
func (db *DB) SaveImportPreview(ctx context.Context, p data.ImportPreview, now time.Time) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM import_previews WHERE expires_at <= $1 OR operator_id = $2", now, p.OperatorID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO import_previews (id, operator_id, kind, file, body, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
			p.ID, p.OperatorID, p.Kind, p.File, p.Body, p.Expires)
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `DELETE FROM import_previews WHERE id = $1 AND operator_id = $2 AND expires_at > $3
			RETURNING kind, file, body, expires_at`, id, operatorID, now).Scan(&p.Kind, &p.File, &p.Body, &p.Expires)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return p, data.Errorf(data.ENOTFOUND, "import preview %s not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("take import preview: %w", err)
	}
	p.Expires = p.Expires.UTC()
	return p, nil
}
