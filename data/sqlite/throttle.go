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
// take turns, so concurrent reservations count one after another).
func (db *DB) ReserveAttempt(ctx context.Context, budgets []data.Budget, now time.Time) (time.Duration, error) {
	var wait time.Duration
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		wait = 0
		counts := make([]data.Failures, len(budgets))
		for i, b := range budgets {
			f, err := failures(ctx, tx, b.Key)
			if err != nil {
				return err
			}
			counts[i] = f
			wait = max(wait, f.Until.Sub(now))
		}
		if wait > 0 {
			return nil
		}
		for i, b := range budgets {
			if err := saveFailures(ctx, tx, b.Key, counts[i].Reserved(b, now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reserve attempt: %w", err)
	}
	return wait, nil
}

// SettleAttempt implements data.Throttles.
func (db *DB) SettleAttempt(ctx context.Context, budgets []data.Budget, success bool) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, b := range budgets {
			f, err := failures(ctx, tx, b.Key)
			if err != nil {
				return err
			}
			if f.Last.IsZero() {
				continue // forgotten meanwhile
			}
			settled, forget := f.Settled(b, success)
			if forget {
				_, err = tx.ExecContext(ctx, "DELETE FROM throttles WHERE key = ?", b.Key)
			} else {
				err = saveFailures(ctx, tx, b.Key, settled)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
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

func failures(ctx context.Context, tx *sql.Tx, key string) (data.Failures, error) {
	var f data.Failures
	var until sql.NullString
	var last string
	err := tx.QueryRowContext(ctx, "SELECT n, until, last FROM throttles WHERE key = ?", key).Scan(&f.N, &until, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	u, err := parseTime(until)
	if err != nil {
		return f, err
	}
	if u != nil {
		f.Until = *u
	}
	if f.Last, err = time.Parse(time.RFC3339Nano, last); err != nil {
		return f, fmt.Errorf("stored time %q: %w", last, err)
	}
	return f, nil
}

func saveFailures(ctx context.Context, tx *sql.Tx, key string, f data.Failures) error {
	var until any
	if !f.Until.IsZero() {
		until = formatTime(f.Until)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO throttles (key, n, until, last) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET n = excluded.n, until = excluded.until, last = excluded.last`,
		key, f.N, until, formatTime(f.Last))
	return err
}
