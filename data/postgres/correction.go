package postgres

import (
	"context"
	"fmt"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// ReportCorrection stores a pharmacy's correction request, with an audit entry.
func (db *DB) ReportCorrection(ctx context.Context, pharmacyID string, accountID int64, message string, actor data.Actor) error {
	message, err := data.CheckCorrection(message)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		if _, err := tx.Exec(ctx, "INSERT INTO corrections (pharmacy_id, account_id, message, created_at) VALUES ($1, $2, $3, $4)",
			pharmacyID, accountID, message, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, pharmacyID, "correction.report", "", message)
	})
	if err != nil {
		return fmt.Errorf("report correction for %s: %w", pharmacyID, err)
	}
	return nil
}

// Corrections lists a pharmacy's open correction requests, newest first.
func (db *DB) Corrections(ctx context.Context, pharmacyID string) ([]data.Correction, error) {
	rows, err := db.pool.Query(ctx, "SELECT id, message, created_at FROM corrections WHERE pharmacy_id = $1 AND done_at IS NULL ORDER BY id DESC", pharmacyID)
	if err != nil {
		return nil, read("list corrections", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Correction, error) {
		var c data.Correction
		err := row.Scan(&c.ID, &c.Message, &c.CreatedAt)
		c.CreatedAt = c.CreatedAt.UTC()
		return c, err
	})
	if err != nil {
		return nil, read("read corrections", err)
	}
	return out, nil
}
