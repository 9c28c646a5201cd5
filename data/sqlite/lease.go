package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Lease takes or renews the named lease for holder until ttl from now (the store's clock:
// SQLite's processes share one machine).
func (db *DB) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var got string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		err := tx.QueryRowContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
			RETURNING holder`, name, holder, formatTime(now.Add(ttl)), formatTime(now)).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
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
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
		return err
	})
}

// SaveTargetStatus records a target's state as its prober sees it.
func (db *DB) SaveTargetStatus(ctx context.Context, st data.TargetStatus) error {
	var since any
	if !st.Since.IsZero() {
		since = formatTime(st.Since)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO target_statuses (target, state, since, checked_at, message, p50_ms, p95_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target) DO UPDATE SET state = excluded.state, since = excluded.since,
			checked_at = excluded.checked_at, message = excluded.message, p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms`,
			st.Target, st.State, since, formatTime(st.CheckedAt), st.Message, st.P50MS, st.P95MS)
		return err
	})
}

// TargetStatuses returns the recorded state of every target.
func (db *DB) TargetStatuses(ctx context.Context) ([]data.TargetStatus, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT target, state, since, checked_at, message, p50_ms, p95_ms FROM target_statuses ORDER BY target")
	if err != nil {
		return nil, fmt.Errorf("read target states: %w", err)
	}
	defer rows.Close()
	var out []data.TargetStatus
	for rows.Next() {
		var st data.TargetStatus
		var since sql.NullString
		var checked string
		if err := rows.Scan(&st.Target, &st.State, &since, &checked, &st.Message, &st.P50MS, &st.P95MS); err != nil {
			return nil, fmt.Errorf("read target state: %w", err)
		}
		s, err := parseTime(since)
		if err != nil {
			return nil, err
		}
		if s != nil {
			st.Since = *s
		}
		if st.CheckedAt, err = time.Parse(time.RFC3339Nano, checked); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
