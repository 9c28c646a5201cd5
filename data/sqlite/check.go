package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// RecordChecks stores probe results and adds them to the hourly and daily roll-ups, in
// one transaction.
func (db *DB) RecordChecks(ctx context.Context, checks []data.Check) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		raw, err := tx.PrepareContext(ctx, "INSERT INTO checks_raw (target, at, state, latency_ms, status, error) VALUES (?, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer raw.Close()
		hourly, err := tx.PrepareContext(ctx, `INSERT INTO checks_hourly (target, hour, total, down, degraded, latency_sum_ms, latency_max_ms)
			VALUES (?, ?, 1, ?, ?, ?, ?) ON CONFLICT (target, hour) DO UPDATE SET total = total + 1, down = down + excluded.down,
			degraded = degraded + excluded.degraded, latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms,
			latency_max_ms = MAX(latency_max_ms, excluded.latency_max_ms)`)
		if err != nil {
			return err
		}
		defer hourly.Close()
		daily, err := tx.PrepareContext(ctx, `INSERT INTO checks_daily (target, day, total, down, degraded) VALUES (?, ?, 1, ?, ?)
			ON CONFLICT (target, day) DO UPDATE SET total = total + 1, down = down + excluded.down, degraded = degraded + excluded.degraded`)
		if err != nil {
			return err
		}
		defer daily.Close()
		for _, c := range checks {
			down, degraded, latency := c.Counts()
			if _, err := raw.ExecContext(ctx, c.Target, formatTime(c.At), c.State, c.LatencyMS, c.Status, c.Error); err != nil {
				return err
			}
			hour := data.CheckHour(c.At).Format(time.RFC3339)
			if _, err := hourly.ExecContext(ctx, c.Target, hour, down, degraded, latency, latency); err != nil {
				return err
			}
			if _, err := daily.ExecContext(ctx, c.Target, data.CheckDay(c.At), down, degraded); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d checks: %w", len(checks), err)
	}
	return nil
}

// PruneChecks deletes what is older than each table's retention.
func (db *DB) PruneChecks(ctx context.Context, now time.Time) error {
	raw, hour, day := data.CheckCutoffs(now)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql    string
			cutoff string
		}{
			{"DELETE FROM checks_raw WHERE at < ?", formatTime(raw)},
			{"DELETE FROM checks_hourly WHERE hour < ?", hour.Format(time.RFC3339)},
			{"DELETE FROM checks_daily WHERE day < ?", day},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.cutoff); err != nil {
				return fmt.Errorf("prune checks: %w", err)
			}
		}
		return nil
	})
}

// Uptime is the share of probes of target since the given time that did not find it down,
// from the hourly roll-up; ok is false without data.
func (db *DB) Uptime(ctx context.Context, target string, since time.Time) (uptime float64, ok bool, err error) {
	var total, down sql.NullInt64
	err = db.read.QueryRowContext(ctx, "SELECT SUM(total), SUM(down) FROM checks_hourly WHERE target = ? AND hour >= ?",
		target, since.UTC().Truncate(time.Hour).Format(time.RFC3339)).Scan(&total, &down)
	if err != nil {
		return 0, false, fmt.Errorf("uptime of %s: %w", target, err)
	}
	if !total.Valid || total.Int64 == 0 {
		return 0, false, nil
	}
	return float64(total.Int64-down.Int64) / float64(total.Int64), true, nil
}

// Days returns the daily roll-up of target from the given Berlin date on, oldest first.
func (db *DB) Days(ctx context.Context, target, from string) ([]data.DayStat, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT day, total, down, degraded FROM checks_daily WHERE target = ? AND day >= ? ORDER BY day", target, from)
	if err != nil {
		return nil, fmt.Errorf("days of %s: %w", target, err)
	}
	defer rows.Close()
	var out []data.DayStat
	for rows.Next() {
		var d data.DayStat
		if err := rows.Scan(&d.Day, &d.Total, &d.Down, &d.Degraded); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CheckTableSizes counts the rows of the history tables.
func (db *DB) CheckTableSizes(ctx context.Context) (raw, hourly, daily int, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM checks_raw), (SELECT COUNT(*) FROM checks_hourly),
		(SELECT COUNT(*) FROM checks_daily)`).Scan(&raw, &hourly, &daily)
	return raw, hourly, daily, err
}
