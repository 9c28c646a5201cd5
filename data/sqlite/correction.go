package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// ReportCorrection stores a pharmacy's correction request, with an audit entry.
func (db *DB) ReportCorrection(ctx context.Context, pharmacyID string, accountID int64, message string, actor data.Actor) error {
	message, err := data.CheckCorrection(message)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(ctx, "INSERT INTO corrections (pharmacy_id, account_id, message, created_at) VALUES (?, ?, ?, ?)",
			pharmacyID, accountID, message, formatTime(now)); err != nil {
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
	rows, err := db.read.QueryContext(ctx, "SELECT id, message, created_at FROM corrections WHERE pharmacy_id = ? AND done_at IS NULL ORDER BY id DESC", pharmacyID)
	if err != nil {
		return nil, fmt.Errorf("list corrections: %w", err)
	}
	defer rows.Close()
	var out []data.Correction
	for rows.Next() {
		var c data.Correction
		var at string
		if err := rows.Scan(&c.ID, &c.Message, &at); err != nil {
			return nil, fmt.Errorf("read correction: %w", err)
		}
		if c.CreatedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
