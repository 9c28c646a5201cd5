package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/apoportal/apoportal/data"
)

// AddReport stores a pharmacy's report. Counting (one pharmacy once per window) is the
// reader's job: every report is kept, for the history.
func (db *DB) AddReport(ctx context.Context, r data.Report, actor data.Actor) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(ctx, "INSERT INTO reports (pharmacy_id, kind, message, created_at, source) VALUES (?, ?, ?, ?, ?)",
			r.PharmacyID, string(r.Kind), r.Message, formatTime(now), actor.Source); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, r.PharmacyID, "report."+string(r.Kind), "", r.Message)
	})
	if err != nil {
		return fmt.Errorf("add report of %s: %w", r.PharmacyID, err)
	}
	return nil
}
