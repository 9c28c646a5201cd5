package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// Lease takes or renews the named lease for holder until ttl from now. Expiry is judged by
// the database server's clock, so portal machines whose clocks differ still agree.
func (db *DB) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var got string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= clock_timestamp()
			RETURNING holder`, name, holder, ttl.Microseconds()).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			got = ""
			return nil // another holder has it
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return got == holder, nil
}

// ReleaseLease gives the lease up if holder has it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
		return err
	})
}

// SaveTargetStatus records a target's state as its prober sees it.
func (db *DB) SaveTargetStatus(ctx context.Context, st data.TargetStatus) error {
	var since *time.Time
	if !st.Since.IsZero() {
		since = &st.Since
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO target_statuses (target, state, since, checked_at, message, p50_ms, p95_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (target) DO UPDATE SET state = excluded.state, since = excluded.since,
			checked_at = excluded.checked_at, message = excluded.message, p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms`,
			st.Target, st.State, since, st.CheckedAt, st.Message, st.P50MS, st.P95MS)
		return err
	})
}

// TargetStatuses returns the recorded state of every target.
func (db *DB) TargetStatuses(ctx context.Context) ([]data.TargetStatus, error) {
	rows, err := db.pool.Query(ctx, "SELECT target, state, since, checked_at, message, p50_ms, p95_ms FROM target_statuses ORDER BY target")
	if err != nil {
		return nil, read("read target states", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.TargetStatus, error) {
		var st data.TargetStatus
		var since *time.Time
		err := row.Scan(&st.Target, &st.State, &since, &st.CheckedAt, &st.Message, &st.P50MS, &st.P95MS)
		if since != nil {
			st.Since = since.UTC()
		}
		st.CheckedAt = st.CheckedAt.UTC()
		return st, err
	})
	if err != nil {
		return nil, read("read target states", err)
	}
	return out, nil
}
