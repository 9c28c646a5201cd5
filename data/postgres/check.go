package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// RecordChecks stores probe results and adds them to the hourly and daily roll-ups, in
// one transaction (one round trip).
func (db *DB) RecordChecks(ctx context.Context, checks []data.Check) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, c := range checks {
			down, degraded, latency := c.Counts()
			b.Queue("INSERT INTO checks_raw (target, at, state, latency_ms, status, error) VALUES ($1, $2, $3, $4, $5, $6)",
				c.Target, c.At, c.State, c.LatencyMS, c.Status, c.Error)
			b.Queue(`INSERT INTO checks_hourly AS h (target, hour, total, down, degraded, latency_sum_ms, latency_max_ms)
				VALUES ($1, $2, 1, $3, $4, $5, $5) ON CONFLICT (target, hour) DO UPDATE SET total = h.total + 1,
				down = h.down + excluded.down, degraded = h.degraded + excluded.degraded,
				latency_sum_ms = h.latency_sum_ms + excluded.latency_sum_ms,
				latency_max_ms = GREATEST(h.latency_max_ms, excluded.latency_max_ms)`,
				c.Target, data.CheckHour(c.At), down, degraded, latency)
			b.Queue(`INSERT INTO checks_daily AS d (target, day, total, down, degraded) VALUES ($1, $2::date, 1, $3, $4)
				ON CONFLICT (target, day) DO UPDATE SET total = d.total + 1, down = d.down + excluded.down,
				degraded = d.degraded + excluded.degraded`,
				c.Target, data.CheckDay(c.At), down, degraded)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("record %d checks: %w", len(checks), err)
	}
	return nil
}

// PruneChecks deletes what is older than each table's retention.
func (db *DB) PruneChecks(ctx context.Context, now time.Time) error {
	raw, hour, day := data.CheckCutoffs(now)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue("DELETE FROM checks_raw WHERE at < $1", raw)
		b.Queue("DELETE FROM checks_hourly WHERE hour < $1", hour)
		b.Queue("DELETE FROM checks_daily WHERE day < $1::date", day)
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("prune checks: %w", err)
	}
	return nil
}

// Uptime is the share of probes of target since the given time that did not find it down,
// from the hourly roll-up; ok is false without data.
func (db *DB) Uptime(ctx context.Context, target string, since time.Time) (uptime float64, ok bool, err error) {
	var total, down int64
	err = db.pool.QueryRow(ctx, "SELECT COALESCE(SUM(total), 0)::bigint, COALESCE(SUM(down), 0)::bigint FROM checks_hourly WHERE target = $1 AND hour >= $2",
		target, data.CheckHour(since)).Scan(&total, &down)
	if err != nil {
		return 0, false, read("uptime of "+target, err)
	}
	if total == 0 {
		return 0, false, nil
	}
	return float64(total-down) / float64(total), true, nil
}

// Hours returns the hourly roll-up of target since the given time, oldest first.
func (db *DB) Hours(ctx context.Context, target string, since time.Time) ([]data.HourStat, error) {
	rows, err := db.pool.Query(ctx, `SELECT hour, total, down, degraded, latency_sum_ms, latency_max_ms FROM checks_hourly
		WHERE target = $1 AND hour >= $2 ORDER BY hour`, target, data.CheckHour(since))
	if err != nil {
		return nil, read("hours of "+target, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.HourStat, error) {
		var h data.HourStat
		var sum int64
		if err := row.Scan(&h.Hour, &h.Total, &h.Down, &h.Degraded, &sum, &h.LatencyMaxMS); err != nil {
			return h, err
		}
		h.Hour = h.Hour.UTC()
		if answered := h.Total - h.Down; answered > 0 {
			h.LatencyAvgMS = sum / int64(answered)
		}
		return h, nil
	})
	if err != nil {
		return nil, read("read hours of "+target, err)
	}
	return out, nil
}

// Days returns the daily roll-up of target from the given Berlin date on, oldest first.
func (db *DB) Days(ctx context.Context, target, from string) ([]data.DayStat, error) {
	rows, err := db.pool.Query(ctx, `SELECT to_char(day, 'YYYY-MM-DD'), total, down, degraded FROM checks_daily
		WHERE target = $1 AND day >= $2::date ORDER BY day`, target, from)
	if err != nil {
		return nil, read("days of "+target, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.DayStat, error) {
		var d data.DayStat
		err := row.Scan(&d.Day, &d.Total, &d.Down, &d.Degraded)
		return d, err
	})
	if err != nil {
		return nil, read("read days of "+target, err)
	}
	return out, nil
}

// CheckTableSizes counts the rows of the history tables.
func (db *DB) CheckTableSizes(ctx context.Context) (raw, hourly, daily int, err error) {
	err = db.pool.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM checks_raw), (SELECT COUNT(*) FROM checks_hourly),
		(SELECT COUNT(*) FROM checks_daily)`).Scan(&raw, &hourly, &daily)
	if err != nil {
		return 0, 0, 0, read("count history", err)
	}
	return raw, hourly, daily, nil
}
