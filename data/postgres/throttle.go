package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// ReserveAttempt implements data.Throttles. Each budget's row is locked (made first if
// new) for the transaction, in the order of the keys, so portals reserving at once on one
// budget count one after another and never deadlock.
func (db *DB) ReserveAttempt(ctx context.Context, budgets []data.Budget, now time.Time) (time.Duration, error) {
	budgets = byKey(budgets)
	var wait time.Duration
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, b := range budgets {
			if _, err := tx.Exec(ctx, "INSERT INTO throttles (key, n, last) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING", b.Key, now); err != nil {
				return err
			}
		}
		var err error
		if wait, err = throttleRows(ctx, tx).Reserve(budgets, now); err == nil && wait > 0 {
			return errMustWait // nothing is kept of an attempt that must wait, not even new rows
		}
		return err
	})
	if err != nil && !errors.Is(err, errMustWait) {
		return 0, fmt.Errorf("reserve attempt: %w", err)
	}
	return wait, nil
}

// errMustWait rolls back a reservation that must wait.
var errMustWait = errors.New("the attempt must wait")

// SettleAttempt implements data.Throttles.
func (db *DB) SettleAttempt(ctx context.Context, budgets []data.Budget, success bool) error {
	budgets = byKey(budgets)
	if err := db.inTx(ctx, func(tx pgx.Tx) error { return throttleRows(ctx, tx).Settle(budgets, success) }); err != nil {
		return fmt.Errorf("settle attempt: %w", err)
	}
	return nil
}

// ForgetThrottles implements data.Throttles.
func (db *DB) ForgetThrottles(ctx context.Context, before time.Time) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM throttles WHERE last < $1", before)
		return err
	})
}

// byKey is budgets in the order of their keys: the order rows are locked in.
func byKey(budgets []data.Budget) []data.Budget {
	return slices.SortedFunc(slices.Values(budgets), func(a, b data.Budget) int { return strings.Compare(a.Key, b.Key) })
}

func throttleRows(ctx context.Context, tx pgx.Tx) data.ThrottleRows {
	return data.ThrottleRows{
		Read: func(key string) (data.Failures, bool, error) {
			var f data.Failures
			var until *time.Time
			err := tx.QueryRow(ctx, "SELECT n, until, last FROM throttles WHERE key = $1 FOR UPDATE", key).Scan(&f.N, &until, &f.Last)
			if errors.Is(err, pgx.ErrNoRows) {
				return f, false, nil
			}
			if until != nil {
				f.Until = *until
			}
			return f, err == nil, err
		},
		Save: func(key string, f data.Failures) error {
			var until *time.Time
			if !f.Until.IsZero() {
				until = &f.Until
			}
			_, err := tx.Exec(ctx, `INSERT INTO throttles (key, n, until, last) VALUES ($1, $2, $3, $4)
				ON CONFLICT (key) DO UPDATE SET n = excluded.n, until = excluded.until, last = excluded.last`, key, f.N, until, f.Last)
			return err
		},
		Forget: func(key string) error {
			_, err := tx.Exec(ctx, "DELETE FROM throttles WHERE key = $1", key)
			return err
		},
	}
}
