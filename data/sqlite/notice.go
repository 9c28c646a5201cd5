package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// DismissRecoveryNotice implements data.RecoveryNotices; an earlier at than the one kept
// changes nothing.
func (db *DB) DismissRecoveryNotice(ctx context.Context, accountID int64, at time.Time) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts WHERE id = ?", accountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &data.Error{Code: data.ENOTFOUND, Message: "no such account"}
		}
		var kept sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT dismissed_at FROM recovery_notices WHERE account_id = ?", accountID).Scan(&kept)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if t, err := parseTime(kept); err != nil || t != nil && !at.After(*t) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO recovery_notices (account_id, dismissed_at) VALUES (?, ?)
			ON CONFLICT (account_id) DO UPDATE SET dismissed_at = excluded.dismissed_at`, accountID, formatTime(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("dismiss the recovery notice of account %d: %w", accountID, err)
	}
	return nil
}

// RecoveryNoticeDismissed implements data.RecoveryNotices.
func (db *DB) RecoveryNoticeDismissed(ctx context.Context, accountID int64) (time.Time, error) {
	var kept sql.NullString
	err := db.read.QueryRowContext(ctx, "SELECT dismissed_at FROM recovery_notices WHERE account_id = ?", accountID).Scan(&kept)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	t, perr := parseTime(kept)
	if err == nil {
		err = perr
	}
	if err != nil || t == nil {
		return time.Time{}, fmt.Errorf("read the recovery notice of account %d: %w", accountID, err)
	}
	return *t, nil
}
