package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/apoportal/apoportal/data"
)

const pharmacyColumns = `p.id, p.name, p.street, p.housenumber, p.postcode, p.city, p.state, p.lat, p.lon,
	p.phone, p.email, p.website, p.opening_hours, p.services, p.source,
	COALESCE(pa.participating, 0), COALESCE(pa.note, ''), pa.paused_until, pa.confirmed_at`

const pharmacyFrom = ` FROM pharmacies p LEFT JOIN participations pa ON pa.pharmacy_id = p.id`

// UpsertPharmacies inserts new pharmacies and updates the registry fields of known ones, in
// one transaction: either all of them are stored or none. A new pharmacy gets the
// participation it comes with; a known one keeps its own, whatever the file says.
func (db *DB) UpsertPharmacies(ctx context.Context, ps []data.Pharmacy) (data.ImportSummary, error) {
	return db.upsertPharmacies(ctx, ps, nil, "")
}

// ImportPharmacies is UpsertPharmacies with an audit log entry in the same transaction,
// for imports by people (operators, the command line).
func (db *DB) ImportPharmacies(ctx context.Context, ps []data.Pharmacy, actor data.Actor, what string) (data.ImportSummary, error) {
	return db.upsertPharmacies(ctx, ps, &actor, what)
}

func (db *DB) upsertPharmacies(ctx context.Context, ps []data.Pharmacy, actor *data.Actor, what string) (data.ImportSummary, error) {
	var sum data.ImportSummary
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		now := formatTime(db.now())
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO pharmacies
			(id, name, street, housenumber, postcode, city, state, lat, lon, phone, email, website,
			 opening_hours, services, source, seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, street = excluded.street,
			 housenumber = excluded.housenumber, postcode = excluded.postcode, city = excluded.city,
			 state = excluded.state, lat = excluded.lat, lon = excluded.lon, phone = excluded.phone,
			 email = excluded.email, website = excluded.website, opening_hours = excluded.opening_hours,
			 services = excluded.services, source = excluded.source, seq = excluded.seq,
			 updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("prepare upsert: %w", err)
		}
		defer upsert.Close()
		participate, err := tx.PrepareContext(ctx, `INSERT INTO participations
			(pharmacy_id, participating, note, paused_until, confirmed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pharmacy_id) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("prepare participation: %w", err)
		}
		defer participate.Close()
		for i := range ps {
			p := &ps[i]
			if _, err := upsert.ExecContext(ctx, p.ID, p.Name, p.Street, p.HouseNumber, p.Postcode, p.City, p.State,
				p.Lat, p.Lon, p.Phone, p.Email, p.Website, p.OpeningHours, data.JoinServices(p.Services), string(p.Source),
				seq, now, now); err != nil {
				return fmt.Errorf("store pharmacy %s: %w", p.ID, err)
			}
			pa := p.Participation
			res, err := participate.ExecContext(ctx, p.ID, pa.Participating, pa.Note, nullTime(pa.PausedUntil),
				nullTime(pa.ConfirmedAt), now)
			if err != nil {
				return fmt.Errorf("store participation of %s: %w", p.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				sum.Inserted++
			} else {
				sum.Updated++
			}
		}
		if actor == nil {
			return nil
		}
		return audit(ctx, tx, db.now(), *actor, "", "registry.import", "",
			fmt.Sprintf("%s: %d new, %d updated", what, sum.Inserted, sum.Updated))
	})
	if err != nil {
		return data.ImportSummary{}, fmt.Errorf("upsert pharmacies: %w", err)
	}
	return sum, nil
}

// ChangeParticipation sets a pharmacy's participation as its owner says it is now: one
// transaction that stores it, marks it confirmed now, moves the change sequence (so search
// engines follow) and writes the audit log (who, when, from where, old → new).
func (db *DB) ChangeParticipation(ctx context.Context, id string, pa data.Participation, actor data.Actor) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var old data.Participation
		var paused, confirmed sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(pa.participating, 0), COALESCE(pa.note, ''), pa.paused_until, pa.confirmed_at
			FROM pharmacies p LEFT JOIN participations pa ON pa.pharmacy_id = p.id WHERE p.id = ?`, id).
			Scan(&old.Participating, &old.Note, &paused, &confirmed)
		if errors.Is(err, sql.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "pharmacy %s not found", id)
		}
		if err != nil {
			return err
		}
		if old.PausedUntil, err = parseTime(paused); err != nil {
			return err
		}
		now := db.now()
		pa.ConfirmedAt = &now
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE pharmacies SET seq = ? WHERE id = ?", seq, id); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `INSERT INTO participations
			(pharmacy_id, participating, note, paused_until, confirmed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (pharmacy_id) DO UPDATE SET participating = excluded.participating, note = excluded.note,
			 paused_until = excluded.paused_until, confirmed_at = excluded.confirmed_at, updated_at = excluded.updated_at`,
			id, pa.Participating, pa.Note, nullTime(pa.PausedUntil), nullTime(pa.ConfirmedAt), formatTime(now)); err != nil {
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
	rows, err := db.read.QueryContext(ctx, "SELECT "+pharmacyColumns+pharmacyFrom+" WHERE p.id = ?", id)
	if err != nil {
		return data.Pharmacy{}, fmt.Errorf("query pharmacy %s: %w", id, err)
	}
	ps, err := scanPharmacies(rows)
	if err != nil {
		return data.Pharmacy{}, fmt.Errorf("read pharmacy %s: %w", id, err)
	}
	if len(ps) == 0 {
		return data.Pharmacy{}, data.Errorf(data.ENOTFOUND, "pharmacy %s not found", id)
	}
	return ps[0], nil
}

// PharmaciesChangedSince returns the pharmacies changed after sequence number seq, and the
// sequence number to ask from next time. Search engines use it to follow the store.
func (db *DB) PharmaciesChangedSince(ctx context.Context, seq int64) ([]data.Pharmacy, int64, error) {
	var last int64
	if err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM pharmacies").Scan(&last); err != nil {
		return nil, seq, fmt.Errorf("read change sequence: %w", err)
	}
	if last <= seq {
		return nil, seq, nil
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+pharmacyColumns+pharmacyFrom+" WHERE p.seq > ? AND p.seq <= ?", seq, last)
	if err != nil {
		return nil, seq, fmt.Errorf("query changed pharmacies: %w", err)
	}
	ps, err := scanPharmacies(rows)
	if err != nil {
		return nil, seq, fmt.Errorf("read changed pharmacies: %w", err)
	}
	return ps, last, nil
}

// CountPharmacies returns how many pharmacies the store holds.
func (db *DB) CountPharmacies(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM pharmacies").Scan(&n); err != nil {
		return 0, fmt.Errorf("count pharmacies: %w", err)
	}
	return n, nil
}

func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM pharmacies").Scan(&seq); err != nil {
		return 0, fmt.Errorf("next change sequence: %w", err)
	}
	return seq, nil
}

func scanPharmacies(rows *sql.Rows) ([]data.Pharmacy, error) {
	defer rows.Close()
	var ps []data.Pharmacy
	for rows.Next() {
		var p data.Pharmacy
		var services, source string
		var paused, confirmed sql.NullString
		if err := rows.Scan(&p.ID, &p.Name, &p.Street, &p.HouseNumber, &p.Postcode, &p.City, &p.State, &p.Lat, &p.Lon,
			&p.Phone, &p.Email, &p.Website, &p.OpeningHours, &services, &source,
			&p.Participation.Participating, &p.Participation.Note, &paused, &confirmed); err != nil {
			return nil, err
		}
		p.Services = data.SplitServices(services)
		p.Source = data.Source(source)
		var err error
		if p.Participation.PausedUntil, err = parseTime(paused); err != nil {
			return nil, err
		}
		if p.Participation.ConfirmedAt, err = parseTime(confirmed); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}
