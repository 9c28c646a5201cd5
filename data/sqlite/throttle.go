package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// ReserveAttempt implements data.Throttles, in one write transaction (SQLite's writers
// take turns, so concurrent reservations count one after another). An attempt that must
// wait is told so from a read first, without taking the writers' turn.
func (db *DB) ReserveAttempt(ctx context.Context, budgets []data.Budget, now time.Time) (time.Duration, error) {
	var wait time.Duration
	if err := db.readTx(ctx, func(tx *sql.Tx) (err error) {
		for _, b := range budgets {
			f, _, err := throttleRows(ctx, tx).Read(b.Key)
			if err != nil {
				return err
			}
			wait = max(wait, f.Until.Sub(now))
		}
		return nil
	}); err != nil || wait > 0 {
		return wait, err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		wait, err = throttleRows(ctx, tx).Reserve(budgets, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reserve attempt: %w", err)
	}
	return wait, nil
}

// SettleAttempt implements data.Throttles.
func (db *DB) SettleAttempt(ctx context.Context, budgets []data.Budget, success bool) error {
	if err := db.inTx(ctx, func(tx *sql.Tx) error { return throttleRows(ctx, tx).Settle(budgets, success) }); err != nil {
		return fmt.Errorf("settle attempt: %w", err)
	}
	return nil
}

// ForgetThrottles implements data.Throttles.
func (db *DB) ForgetThrottles(ctx context.Context, before time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM throttles WHERE last < ?", formatTime(before))
		return err
	})
}

func throttleRows(ctx context.Context, tx *sql.Tx) data.ThrottleRows {
	return data.ThrottleRows{
		Read: func(key string) (data.Failures, bool, error) {
			var f data.Failures
			var until sql.NullString
			var last string
			err := tx.QueryRowContext(ctx, "SELECT n, until, last FROM throttles WHERE key = ?", key).Scan(&f.N, &until, &last)
			if errors.Is(err, sql.ErrNoRows) {
				return f, false, nil
			}
			if err != nil {
				return f, false, err
			}
			u, err := parseTime(until)
			if err != nil {
				return f, false, err
			}
			if u != nil {
				f.Until = *u
			}
			if f.Last, err = time.Parse(time.RFC3339Nano, last); err != nil {
				return f, false, fmt.Errorf("stored time %q: %w", last, err)
			}
			return f, true, nil
		},
		Save: func(key string, f data.Failures) error {
			var until any
			if !f.Until.IsZero() {
				until = formatTime(f.Until)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO throttles (key, n, until, last) VALUES (?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET n = excluded.n, until = excluded.until, last = excluded.last`,
				key, f.N, until, formatTime(f.Last))
			return err
		},
		Forget: func(key string) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM throttles WHERE key = ?", key)
			return err
		},
	}
}
