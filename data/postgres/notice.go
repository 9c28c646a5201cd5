package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// DismissRecoveryNotice implements data.RecoveryNotices; an earlier at than the one kept
// changes nothing.
func (db *DB) DismissRecoveryNotice(ctx context.Context, accountID int64, at time.Time) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)", accountID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return &data.Error{Code: data.ENOTFOUND, Message: "no such account"}
		}
		_, err := tx.Exec(ctx, `INSERT INTO recovery_notices (account_id, dismissed_at) VALUES ($1, $2)
			ON CONFLICT (account_id) DO UPDATE SET dismissed_at = GREATEST(recovery_notices.dismissed_at, excluded.dismissed_at)`,
			accountID, at.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("dismiss the recovery notice of account %d: %w", accountID, err)
	}
	return nil
}

// RecoveryNoticeDismissed implements data.RecoveryNotices.
func (db *DB) RecoveryNoticeDismissed(ctx context.Context, accountID int64) (time.Time, error) {
	var at time.Time
	err := db.pool.QueryRow(ctx, "SELECT dismissed_at FROM recovery_notices WHERE account_id = $1", accountID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, read(fmt.Sprintf("read the recovery notice of account %d", accountID), err)
	}
	return at.UTC(), nil
}
