package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// OpenAutomaticIncident opens an incident for target unless an automatic one is open.
func (db *DB) OpenAutomaticIncident(ctx context.Context, target, title, message string, at time.Time) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error { return openAutomaticIncident(ctx, tx, target, title, message, at) })
	if err != nil {
		return fmt.Errorf("open incident for %s: %w", target, err)
	}
	return nil
}

func openAutomaticIncident(ctx context.Context, tx pgx.Tx, target, title, message string, at time.Time) error {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO incidents (target, title, state, automatic, started_at) VALUES ($1, $2, $3, true, $4)
		ON CONFLICT (target) WHERE automatic AND resolved_at IS NULL DO NOTHING RETURNING id`,
		target, title, data.IncidentInvestigating, at).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // one is open
	}
	if err != nil {
		return err
	}
	return addUpdate(ctx, tx, id, at, data.IncidentInvestigating, message)
}

func addUpdate(ctx context.Context, tx pgx.Tx, incident int64, at time.Time, state, message string) error {
	_, err := tx.Exec(ctx, "INSERT INTO incident_updates (incident_id, at, state, message) VALUES ($1, $2, $3, $4)",
		incident, at, state, message)
	return err
}

// ResolveAutomaticIncidents resolves target's open automatic incidents.
func (db *DB) ResolveAutomaticIncidents(ctx context.Context, target, message string, at time.Time) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error { return resolveAutomaticIncidents(ctx, tx, target, message, at) })
	if err != nil {
		return fmt.Errorf("resolve incidents of %s: %w", target, err)
	}
	return nil
}

func resolveAutomaticIncidents(ctx context.Context, tx pgx.Tx, target, message string, at time.Time) error {
	rows, err := tx.Query(ctx, `UPDATE incidents SET state = $1, resolved_at = $2
		WHERE target = $3 AND automatic AND resolved_at IS NULL RETURNING id`, data.IncidentResolved, at, target)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := addUpdate(ctx, tx, id, at, data.IncidentResolved, message); err != nil {
			return err
		}
	}
	return nil
}

// OpenIncident opens an incident an operator reports, with its first update, and audits it.
func (db *DB) OpenIncident(ctx context.Context, p data.IncidentPost, actor data.Actor) (int64, error) {
	if err := p.Validate(true); err != nil {
		return 0, err
	}
	var id int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		if err := tx.QueryRow(ctx, "INSERT INTO incidents (target, title, state, automatic, started_at) VALUES ($1, $2, $3, false, $4) RETURNING id",
			p.Target, p.Title, p.State, now).Scan(&id); err != nil {
			return err
		}
		if err := addUpdate(ctx, tx, id, now, p.State, p.Message); err != nil {
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, "SELECT state FROM incidents WHERE id = $1 FOR UPDATE", id).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "incident %d not found", id)
		}
		if err != nil {
			return err
		}
		if state == data.IncidentResolved {
			return data.Errorf(data.ECONFLICT, "incident %d is already resolved", id)
		}
		now := db.now()
		var resolved *time.Time
		if p.State == data.IncidentResolved {
			resolved = &now
		}
		if _, err := tx.Exec(ctx, "UPDATE incidents SET state = $1, resolved_at = $2 WHERE id = $3", p.State, resolved, id); err != nil {
			return err
		}
		if err := addUpdate(ctx, tx, id, now, p.State, p.Message); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "incident.update", fmt.Sprintf("#%d %s", id, state), fmt.Sprintf("#%d %s", id, p.State))
	})
	if err != nil {
		return fmt.Errorf("update incident %d: %w", id, err)
	}
	return nil
}

// Incidents returns the incidents open now or started since the given time, newest first,
// with their timelines (oldest update first).
func (db *DB) Incidents(ctx context.Context, since time.Time) ([]data.Incident, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, target, title, state, automatic, started_at, resolved_at FROM incidents
		WHERE resolved_at IS NULL OR started_at >= $1 ORDER BY started_at DESC, id DESC LIMIT 50`, since)
	if err != nil {
		return nil, read("query incidents", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Incident, error) {
		var in data.Incident
		err := row.Scan(&in.ID, &in.Target, &in.Title, &in.State, &in.Automatic, &in.StartedAt, &in.ResolvedAt)
		in.StartedAt, in.ResolvedAt = in.StartedAt.UTC(), utc(in.ResolvedAt)
		return in, err
	})
	if err != nil {
		return nil, read("read incidents", err)
	}
	for i := range out {
		if out[i].Updates, err = db.incidentUpdates(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) incidentUpdates(ctx context.Context, id int64) ([]data.IncidentUpdate, error) {
	rows, err := db.pool.Query(ctx, "SELECT at, state, message FROM incident_updates WHERE incident_id = $1 ORDER BY id", id)
	if err != nil {
		return nil, read("query incident updates", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.IncidentUpdate, error) {
		var u data.IncidentUpdate
		err := row.Scan(&u.At, &u.State, &u.Message)
		u.At = u.At.UTC()
		return u, err
	})
	if err != nil {
		return nil, read("read incident updates", err)
	}
	return out, nil
}

// ScheduleMaintenance announces planned work and audits it.
func (db *DB) ScheduleMaintenance(ctx context.Context, m data.Maintenance, actor data.Actor) (int64, error) {
	if err := m.Validate(db.now()); err != nil {
		return 0, err
	}
	var id int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO maintenances (target, title, message, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			m.Target, m.Title, m.Message, m.StartsAt, m.EndsAt).Scan(&id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, data.Event{Target: m.Target, Topic: data.TopicMaintenance, Message: m.Announcement(),
			At: m.StartsAt, EndsAt: m.EndsAt, NotBefore: db.now()}); err != nil {
			return err
		}
		return audit(ctx, tx, db.now(), actor, "", "maintenance.schedule", "",
			fmt.Sprintf("#%d %s %s–%s", id, m.Title, formatVersion(m.StartsAt), formatVersion(m.EndsAt)))
	})
	if err != nil {
		return 0, fmt.Errorf("schedule maintenance: %w", err)
	}
	return id, nil
}

// CancelMaintenance withdraws an announcement that is not over yet.
func (db *DB) CancelMaintenance(ctx context.Context, id int64, actor data.Actor) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		var m data.Maintenance
		err := tx.QueryRow(ctx, `UPDATE maintenances SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL AND ends_at > $1
			RETURNING target, title, message, starts_at, ends_at`, now, id).Scan(&m.Target, &m.Title, &m.Message, &m.StartsAt, &m.EndsAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "no maintenance %d that is still to come", id)
		}
		if err != nil {
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
	rows, err := db.pool.Query(ctx, `SELECT id, target, title, message, starts_at, ends_at FROM maintenances
		WHERE cancelled_at IS NULL AND ends_at > $1 ORDER BY starts_at, id LIMIT 50`, since)
	if err != nil {
		return nil, read("query maintenances", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Maintenance, error) {
		var m data.Maintenance
		err := row.Scan(&m.ID, &m.Target, &m.Title, &m.Message, &m.StartsAt, &m.EndsAt)
		m.StartsAt, m.EndsAt = m.StartsAt.UTC(), m.EndsAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, read("read maintenances", err)
	}
	return out, nil
}
