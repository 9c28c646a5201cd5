package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

const pharmacyColumns = `p.id, p.name, p.street, p.housenumber, p.postcode, p.city, p.state, p.lat, p.lon,
	p.phone, p.email, p.website, p.opening_hours, p.services, p.source,
	COALESCE(pa.participating, false), COALESCE(pa.note, ''), pa.paused_until, pa.confirmed_at, p.seq`

const pharmacyFrom = ` FROM pharmacies p LEFT JOIN participations pa ON pa.pharmacy_id = p.id`

// UpsertPharmacies inserts new pharmacies and updates the registry fields of known ones, in
// one transaction. A new pharmacy gets the participation it comes with; a known one keeps
// its own, whatever the file says.
func (db *DB) UpsertPharmacies(ctx context.Context, ps []data.Pharmacy) (data.ImportSummary, error) {
	return db.upsertPharmacies(ctx, ps, nil, "")
}

// ImportPharmacies is UpsertPharmacies with an audit log entry in the same transaction.
func (db *DB) ImportPharmacies(ctx context.Context, ps []data.Pharmacy, actor data.Actor, what string) (data.ImportSummary, error) {
	return db.upsertPharmacies(ctx, ps, &actor, what)
}

// upsertPharmacies copies the pharmacies into a temporary table and merges them from there:
// two statements for the whole registry instead of two per pharmacy.
func (db *DB) upsertPharmacies(ctx context.Context, ps []data.Pharmacy, actor *data.Actor, what string) (data.ImportSummary, error) {
	ps = lastOfEach(ps)
	var sum data.ImportSummary
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		now := db.now()
		// A registry is merged in two statements that take seconds for a large one; the
		// request's deadline (or none, on the command line) bounds it instead.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = '2min'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE incoming (LIKE pharmacies INCLUDING DEFAULTS,
			participating boolean NOT NULL, note text NOT NULL, paused_until timestamptz, confirmed_at timestamptz) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("make import table: %w", err)
		}
		rows := make([][]any, len(ps))
		for i := range ps {
			p := &ps[i]
			pa := p.Participation
			rows[i] = []any{p.ID, p.Name, p.Street, p.HouseNumber, p.Postcode, p.City, p.State, p.Lat, p.Lon,
				p.Phone, p.Email, p.Website, p.OpeningHours, data.JoinServices(p.Services), string(p.Source), seq, now, now,
				pa.Participating, pa.Note, pa.PausedUntil, pa.ConfirmedAt}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming"}, []string{"id", "name", "street", "housenumber",
			"postcode", "city", "state", "lat", "lon", "phone", "email", "website", "opening_hours", "services", "source",
			"seq", "created_at", "updated_at", "participating", "note", "paused_until", "confirmed_at"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy pharmacies: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pharmacies (id, name, street, housenumber, postcode, city, state, lat, lon,
			 phone, email, website, opening_hours, services, source, seq, created_at, updated_at)
			SELECT id, name, street, housenumber, postcode, city, state, lat, lon, phone, email, website,
			 opening_hours, services, source, seq, created_at, updated_at FROM incoming
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, street = excluded.street,
			 housenumber = excluded.housenumber, postcode = excluded.postcode, city = excluded.city,
			 state = excluded.state, lat = excluded.lat, lon = excluded.lon, phone = excluded.phone,
			 email = excluded.email, website = excluded.website, opening_hours = excluded.opening_hours,
			 services = excluded.services, source = excluded.source, seq = excluded.seq,
			 updated_at = excluded.updated_at`); err != nil {
			return fmt.Errorf("store pharmacies: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO participations (pharmacy_id, participating, note, paused_until, confirmed_at, updated_at)
			SELECT id, participating, note, paused_until, confirmed_at, updated_at FROM incoming
			ON CONFLICT (pharmacy_id) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("store participations: %w", err)
		}
		sum = data.ImportSummary{Inserted: int(tag.RowsAffected())}
		sum.Updated = len(ps) - sum.Inserted
		if actor == nil {
			return nil
		}
		return audit(ctx, tx, now, *actor, "", "registry.import", "",
			fmt.Sprintf("%s: %d new, %d updated", what, sum.Inserted, sum.Updated))
	})
	if err != nil {
		return data.ImportSummary{}, fmt.Errorf("upsert pharmacies: %w", err)
	}
	return sum, nil
}

// lastOfEach keeps the last entry of each id, in the order of first appearance: a file that
// names a pharmacy twice means its last line, as when the lines are applied one by one.
func lastOfEach(ps []data.Pharmacy) []data.Pharmacy {
	at := make(map[string]int, len(ps))
	out := make([]data.Pharmacy, 0, len(ps))
	for _, p := range ps {
		if i, seen := at[p.ID]; seen {
			out[i] = p
			continue
		}
		at[p.ID] = len(out)
		out = append(out, p)
	}
	return out
}

// ChangeParticipation sets a pharmacy's participation as its owner says it is now: one
// transaction that stores it, marks it confirmed now, moves the change sequence (so search
// engines follow) and writes the audit log (who, when, from where, old → new). The old state
// is read by a statement that starts after the change sequence's lock is taken, so it sees
// every earlier switch: concurrent switches of one pharmacy leave a trail that replays to the
// stored state. (A row lock on the pharmacy alone would not do: under READ COMMITTED the
// joined participation would still be read as of before the wait.)
func (db *DB) ChangeParticipation(ctx context.Context, id string, pa data.Participation, actor data.Actor) error {
	if !storable(id) {
		return data.Errorf(data.ENOTFOUND, "pharmacy %q not found", id)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		var old data.Participation
		err = tx.QueryRow(ctx, `SELECT COALESCE(pa.participating, false), COALESCE(pa.note, ''), pa.paused_until
			FROM pharmacies p LEFT JOIN participations pa ON pa.pharmacy_id = p.id WHERE p.id = $1 FOR NO KEY UPDATE OF p`, id).
			Scan(&old.Participating, &old.Note, &old.PausedUntil)
		if errors.Is(err, pgx.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "pharmacy %s not found", id)
		}
		if err != nil {
			return err
		}
		now := db.now()
		pa.ConfirmedAt = &now
		if _, err := tx.Exec(ctx, "UPDATE pharmacies SET seq = $1 WHERE id = $2", seq, id); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO participations
			(pharmacy_id, participating, note, paused_until, confirmed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (pharmacy_id) DO UPDATE SET participating = excluded.participating, note = excluded.note,
			 paused_until = excluded.paused_until, confirmed_at = excluded.confirmed_at, updated_at = excluded.updated_at`,
			id, pa.Participating, pa.Note, pa.PausedUntil, pa.ConfirmedAt, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, id, "participation.change", old.Audited(), pa.Audited())
	})
	if err != nil {
		return fmt.Errorf("change participation of %s: %w", id, err)
	}
	return nil
}

// Pharmacy returns the pharmacy with the given id.
func (db *DB) Pharmacy(ctx context.Context, id string) (data.Pharmacy, error) {
	if !storable(id) {
		return data.Pharmacy{}, data.Errorf(data.ENOTFOUND, "pharmacy %q not found", id)
	}
	ps, _, err := db.pharmacies(ctx, "SELECT "+pharmacyColumns+pharmacyFrom+" WHERE p.id = $1", id)
	if err != nil {
		return data.Pharmacy{}, read("read pharmacy "+id, err)
	}
	if len(ps) == 0 {
		return data.Pharmacy{}, data.Errorf(data.ENOTFOUND, "pharmacy %s not found", id)
	}
	return ps[0], nil
}

// PharmaciesChangedSince returns the pharmacies changed after sequence number seq and the
// number to ask from next time: the highest it returned. Writers take their numbers under
// the change sequence's row lock and commit in that order, so what one statement sees is
// every change up to some number and none after it.
func (db *DB) PharmaciesChangedSince(ctx context.Context, seq int64) ([]data.Pharmacy, int64, error) {
	ps, last, err := db.pharmacies(ctx, "SELECT "+pharmacyColumns+pharmacyFrom+" WHERE p.seq > $1", seq)
	if err != nil {
		return nil, seq, read("read changed pharmacies", err)
	}
	return ps, max(last, seq), nil
}

// CountPharmacies returns how many pharmacies the store holds.
func (db *DB) CountPharmacies(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM pharmacies").Scan(&n); err != nil {
		return 0, read("count pharmacies", err)
	}
	return n, nil
}

// nextSeq moves the change sequence and holds its row lock until the transaction ends.
func nextSeq(ctx context.Context, tx pgx.Tx) (int64, error) {
	var seq int64
	if err := tx.QueryRow(ctx, "UPDATE change_seq SET seq = seq + 1 RETURNING seq").Scan(&seq); err != nil {
		return 0, fmt.Errorf("next change sequence: %w", err)
	}
	return seq, nil
}

// pharmacies runs a query of pharmacyColumns and returns the rows and their highest seq.
func (db *DB) pharmacies(ctx context.Context, query string, args ...any) ([]data.Pharmacy, int64, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var ps []data.Pharmacy
	var last int64
	for rows.Next() {
		var p data.Pharmacy
		var services, source string
		var seq int64
		pa := &p.Participation
		if err := rows.Scan(&p.ID, &p.Name, &p.Street, &p.HouseNumber, &p.Postcode, &p.City, &p.State, &p.Lat, &p.Lon,
			&p.Phone, &p.Email, &p.Website, &p.OpeningHours, &services, &source,
			&pa.Participating, &pa.Note, &pa.PausedUntil, &pa.ConfirmedAt, &seq); err != nil {
			return nil, 0, err
		}
		p.Services = data.SplitServices(services)
		p.Source = data.Source(source)
		pa.PausedUntil, pa.ConfirmedAt = utc(pa.PausedUntil), utc(pa.ConfirmedAt)
		last = max(last, seq)
		ps = append(ps, p)
	}
	return ps, last, rows.Err()
}

// audit writes one audit entry and, when a token acts, the token's last use, in the
// transaction of the change.
func audit(ctx context.Context, tx pgx.Tx, at time.Time, actor data.Actor, pharmacyID, action, old, new string) error {
	var pharmacy *string
	if pharmacyID != "" {
		pharmacy = &pharmacyID
	}
	if _, err := tx.Exec(ctx, "INSERT INTO audit_log (at, actor, source, pharmacy_id, action, old, new) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		at, actor.Name, actor.Source, pharmacy, action, old, new); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	if actor.TokenID != 0 {
		if _, err := tx.Exec(ctx, "UPDATE api_tokens SET last_used_at = $1, last_used_source = $2 WHERE id = $3",
			at, actor.Source, actor.TokenID); err != nil {
			return fmt.Errorf("record use of token %d: %w", actor.TokenID, err)
		}
	}
	return nil
}

// AuditLog returns the newest entries, for one pharmacy or ("") all, newest first.
func (db *DB) AuditLog(ctx context.Context, pharmacyID string, limit int) ([]data.AuditEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, at, actor, source, COALESCE(pharmacy_id, ''), action, old, new FROM audit_log
		WHERE $1 = '' OR pharmacy_id = $1 ORDER BY id DESC LIMIT $2`, pharmacyID, limit)
	if err != nil {
		return nil, read("query audit log", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.AuditEntry, error) {
		var e data.AuditEntry
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Source, &e.PharmacyID, &e.Action, &e.Old, &e.New)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, read("read audit log", err)
	}
	return out, nil
}
