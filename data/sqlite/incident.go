package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// OpenAutomaticIncident opens an incident for target unless an automatic one is open.
func (db *DB) OpenAutomaticIncident(ctx context.Context, target, title, message string, at time.Time) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error { return openAutomaticIncident(ctx, tx, target, title, message, at) })
	if err != nil {
		return fmt.Errorf("open incident for %s: %w", target, err)
	}
	return nil
}

func openAutomaticIncident(ctx context.Context, tx *sql.Tx, target, title, message string, at time.Time) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM incidents WHERE target = ? AND automatic = 1 AND resolved_at IS NULL", target).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO incidents (target, title, state, automatic, started_at) VALUES (?, ?, ?, 1, ?)",
		target, title, data.IncidentInvestigating, formatTime(at))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO incident_updates (incident_id, at, state, message) VALUES (?, ?, ?, ?)",
		id, formatTime(at), data.IncidentInvestigating, message)
	return err
}

// ResolveAutomaticIncidents resolves target's open automatic incidents.
func (db *DB) ResolveAutomaticIncidents(ctx context.Context, target, message string, at time.Time) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error { return resolveAutomaticIncidents(ctx, tx, target, message, at) })
	if err != nil {
		return fmt.Errorf("resolve incidents of %s: %w", target, err)
	}
	return nil
}

func resolveAutomaticIncidents(ctx context.Context, tx *sql.Tx, target, message string, at time.Time) error {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM incidents WHERE target = ? AND automatic = 1 AND resolved_at IS NULL", target)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE incidents SET state = ?, resolved_at = ? WHERE id = ?", data.IncidentResolved, formatTime(at), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO incident_updates (incident_id, at, state, message) VALUES (?, ?, ?, ?)",
			id, formatTime(at), data.IncidentResolved, message); err != nil {
			return err
		}
	}
	return nil
}

// Incidents returns the incidents open now or started since the given time, newest first,
// with their timelines (oldest update first).
func (db *DB) Incidents(ctx context.Context, since time.Time) ([]data.Incident, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, target, title, state, automatic, started_at, resolved_at FROM incidents
		WHERE resolved_at IS NULL OR started_at >= ? ORDER BY started_at DESC, id DESC LIMIT 50`, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("query incidents: %w", err)
	}
	var out []data.Incident
	for rows.Next() {
		var in data.Incident
		var started string
		var resolved sql.NullString
		if err := rows.Scan(&in.ID, &in.Target, &in.Title, &in.State, &in.Automatic, &started, &resolved); err != nil {
			rows.Close()
			return nil, err
		}
		if in.StartedAt, err = time.Parse(time.RFC3339Nano, started); err != nil {
			rows.Close()
			return nil, err
		}
		if in.ResolvedAt, err = parseTime(resolved); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Updates, err = db.incidentUpdates(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) incidentUpdates(ctx context.Context, id int64) ([]data.IncidentUpdate, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT at, state, message FROM incident_updates WHERE incident_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("query incident updates: %w", err)
	}
	defer rows.Close()
	var out []data.IncidentUpdate
	for rows.Next() {
		var u data.IncidentUpdate
		var at string
		if err := rows.Scan(&at, &u.State, &u.Message); err != nil {
			return nil, err
		}
		if u.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return out, nil
}
