package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// AddReport stores a pharmacy's report. Counting (one pharmacy once per window) is the
// reader's job: every report is kept, for the history.
func (db *DB) AddReport(ctx context.Context, r data.Report, actor data.Actor) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		if _, err := tx.Exec(ctx, "INSERT INTO reports (pharmacy_id, kind, message, created_at, source) VALUES ($1, $2, $3, $4, $5)",
			r.PharmacyID, string(r.Kind), r.Message, now, actor.Source); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, r.PharmacyID, "report."+string(r.Kind), "", r.Message)
	})
	if err != nil {
		return fmt.Errorf("add report of %s: %w", r.PharmacyID, err)
	}
	return nil
}

// ReportingPharmacies counts the distinct pharmacies that reported kind since t: one
// pharmacy counts once however often it reports.
func (db *DB) ReportingPharmacies(ctx context.Context, kind data.ReportKind, since time.Time) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT COUNT(DISTINCT pharmacy_id) FROM reports WHERE kind = $1 AND created_at >= $2",
		string(kind), since).Scan(&n); err != nil {
		return 0, read("count reports", err)
	}
	return n, nil
}
