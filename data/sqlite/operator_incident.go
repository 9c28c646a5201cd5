package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// OpenIncident opens an incident an operator reports, with its first update, and audits it.
func (db *DB) OpenIncident(ctx context.Context, p data.IncidentPost, actor data.Actor) (int64, error) {
	if err := p.Validate(true); err != nil {
		return 0, err
	}
	var id int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, "INSERT INTO incidents (target, title, state, automatic, started_at) VALUES (?, ?, ?, 0, ?)",
			p.Target, p.Title, p.State, formatTime(now))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO incident_updates (incident_id, at, state, message) VALUES (?, ?, ?, ?)",
			id, formatTime(now), p.State, p.Message); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "incident.open", "", fmt.Sprintf("#%d %s (%s)", id, p.Title, p.State))
	})
	if err != nil {
		return 0, fmt.Errorf("open incident: %w", err)
	}
	return id, nil
}

// UpdateIncident adds an update to an open incident; the state "resolved" resolves it.
func (db *DB) UpdateIncident(ctx context.Context, id int64, p data.IncidentPost, actor data.Actor) error {
	if err := p.Validate(false); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM incidents WHERE id = ?", id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "incident %d not found", id)
		}
		if err != nil {
			return err
		}
		if state == data.IncidentResolved {
			return data.Errorf(data.ECONFLICT, "incident %d is already resolved", id)
		}
		now := db.now()
		var resolved any
		if p.State == data.IncidentResolved {
			resolved = formatTime(now)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE incidents SET state = ?, resolved_at = ? WHERE id = ?", p.State, resolved, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO incident_updates (incident_id, at, state, message) VALUES (?, ?, ?, ?)",
			id, formatTime(now), p.State, p.Message); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "incident.update", fmt.Sprintf("#%d %s", id, state), fmt.Sprintf("#%d %s", id, p.State))
	})
	if err != nil {
		return fmt.Errorf("update incident %d: %w", id, err)
	}
	return nil
}

// ScheduleMaintenance announces planned work and audits it.
func (db *DB) ScheduleMaintenance(ctx context.Context, m data.Maintenance, actor data.Actor) (int64, error) {
	if err := m.Validate(db.now()); err != nil {
		return 0, err
	}
	var id int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO maintenances (target, title, message, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)",
			m.Target, m.Title, m.Message, formatTime(m.StartsAt), formatTime(m.EndsAt))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, data.Event{Target: m.Target, Topic: data.TopicMaintenance, Message: m.Announcement(),
			At: m.StartsAt, EndsAt: m.EndsAt, NotBefore: db.now()}); err != nil {
			return err
		}
		return audit(ctx, tx, db.now(), actor, "", "maintenance.schedule", "",
			fmt.Sprintf("#%d %s %s–%s", id, m.Title, formatTime(m.StartsAt), formatTime(m.EndsAt)))
	})
	if err != nil {
		return 0, fmt.Errorf("schedule maintenance: %w", err)
	}
	return id, nil
}

// CancelMaintenance withdraws an announcement that is not over yet.
func (db *DB) CancelMaintenance(ctx context.Context, id int64, actor data.Actor) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var m data.Maintenance
		var starts, ends string
		err := tx.QueryRowContext(ctx, `UPDATE maintenances SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL AND ends_at > ?
			RETURNING target, title, message, starts_at, ends_at`, formatTime(now), id, formatTime(now)).Scan(&m.Target, &m.Title, &m.Message, &starts, &ends)
		if errors.Is(err, sql.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "no maintenance %d that is still to come", id)
		}
		if err != nil {
			return err
		}
		if m.StartsAt, err = time.Parse(time.RFC3339Nano, starts); err != nil {
			return err
		}
		if m.EndsAt, err = time.Parse(time.RFC3339Nano, ends); err != nil {
			return err
		}
		// Its subscribers are told it is off (also those who came after the announcement).
		if err := addEvent(ctx, tx, data.Event{Target: m.Target, Topic: data.TopicMaintenance, Message: m.Announcement(),
			At: m.StartsAt, EndsAt: m.EndsAt, Cancelled: true, NotBefore: now}); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "maintenance.cancel", fmt.Sprintf("#%d", id), "")
	})
	if err != nil {
		return fmt.Errorf("cancel maintenance %d: %w", id, err)
	}
	return nil
}

// Maintenances returns the announcements not cancelled that end after since, soonest first.
func (db *DB) Maintenances(ctx context.Context, since time.Time) ([]data.Maintenance, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, target, title, message, starts_at, ends_at FROM maintenances
		WHERE cancelled_at IS NULL AND ends_at > ? ORDER BY starts_at, id LIMIT 50`, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("query maintenances: %w", err)
	}
	defer rows.Close()
	var out []data.Maintenance
	for rows.Next() {
		var m data.Maintenance
		var starts, ends string
		if err := rows.Scan(&m.ID, &m.Target, &m.Title, &m.Message, &starts, &ends); err != nil {
			return nil, fmt.Errorf("read maintenance: %w", err)
		}
		if m.StartsAt, err = time.Parse(time.RFC3339Nano, starts); err != nil {
			return nil, err
		}
		if m.EndsAt, err = time.Parse(time.RFC3339Nano, ends); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Hours returns the hourly roll-up of target since the given time, oldest first.
func (db *DB) Hours(ctx context.Context, target string, since time.Time) ([]data.HourStat, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT hour, total, down, degraded, latency_sum_ms, latency_max_ms FROM checks_hourly
		WHERE target = ? AND hour >= ? ORDER BY hour`, target, since.UTC().Truncate(time.Hour).Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("hours of %s: %w", target, err)
	}
	defer rows.Close()
	var out []data.HourStat
	for rows.Next() {
		var h data.HourStat
		var hour string
		var sum int64
		if err := rows.Scan(&hour, &h.Total, &h.Down, &h.Degraded, &sum, &h.LatencyMaxMS); err != nil {
			return nil, fmt.Errorf("read hour of %s: %w", target, err)
		}
		if h.Hour, err = time.Parse(time.RFC3339, hour); err != nil {
			return nil, err
		}
		if answered := h.Total - h.Down; answered > 0 {
			h.LatencyAvgMS = sum / int64(answered)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
