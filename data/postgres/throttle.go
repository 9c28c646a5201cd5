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

// ReserveAttempt implements data.Throttles. Each budget's row is locked (created first if
// new) for the transaction, in the order of the keys, so portals reserving at once on one
// budget count one after another and never deadlock.
func (db *DB) ReserveAttempt(ctx context.Context, budgets []data.Budget, now time.Time) (time.Duration, error) {
	budgets = byKey(budgets)
	var wait time.Duration
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		wait = 0
		counts := make([]data.Failures, len(budgets))
		for i, b := range budgets {
			f, err := lockFailures(ctx, tx, b.Key, now)
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
	budgets = byKey(budgets)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, b := range budgets {
			var f data.Failures
			var until *time.Time
			err := tx.QueryRow(ctx, "SELECT n, until, last FROM throttles WHERE key = $1 FOR UPDATE", b.Key).Scan(&f.N, &until, &f.Last)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if until != nil {
				f.Until = *until
			}
			settled, forget := f.Settled(b, success)
			if forget {
				_, err = tx.Exec(ctx, "DELETE FROM throttles WHERE key = $1", b.Key)
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
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM throttles WHERE last < $1", before)
		return err
	})
}

// byKey is budgets in the order of their keys: the order rows are locked in.
func byKey(budgets []data.Budget) []data.Budget {
	return slices.SortedFunc(slices.Values(budgets), func(a, b data.Budget) int { return strings.Compare(a.Key, b.Key) })
}

// lockFailures reads a budget's count and locks its row, made with no failures if new.
func lockFailures(ctx context.Context, tx pgx.Tx, key string, now time.Time) (data.Failures, error) {
	if _, err := tx.Exec(ctx, "INSERT INTO throttles (key, n, last) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING", key, now); err != nil {
		return data.Failures{}, err
	}
	var f data.Failures
	var until *time.Time
	if err := tx.QueryRow(ctx, "SELECT n, until, last FROM throttles WHERE key = $1 FOR UPDATE", key).Scan(&f.N, &until, &f.Last); err != nil {
		return f, err
	}
	if until != nil {
		f.Until = *until
	}
	return f, nil
}

func saveFailures(ctx context.Context, tx pgx.Tx, key string, f data.Failures) error {
	var until *time.Time
	if !f.Until.IsZero() {
		until = &f.Until
	}
	_, err := tx.Exec(ctx, "UPDATE throttles SET n = $2, until = $3, last = $4 WHERE key = $1", key, f.N, until, f.Last)
	return err
}
