package postgres

import (
	"context"
	"fmt"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// ReplacePostcodes replaces the whole gazetteer in one transaction.
func (db *DB) ReplacePostcodes(ctx context.Context, pcs []data.Postcode) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// One replacement at a time: a second one's DELETE would not see the first's rows.
		if _, err := tx.Exec(ctx, "LOCK TABLE postcodes IN EXCLUSIVE MODE"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM postcodes"); err != nil {
			return err
		}
		rows := make([][]any, len(pcs))
		for i, pc := range pcs {
			rows[i] = []any{i, pc.Code, pc.Place, pc.State, pc.District, pc.Lat, pc.Lon, pc.Organisation}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"postcodes"},
			[]string{"pos", "code", "place", "state", "district", "lat", "lon", "organisation"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy postcodes: %w", err)
		}
		return setMeta(ctx, tx, metaGazetteerVersion, formatVersion(db.now()))
	})
	if err != nil {
		return fmt.Errorf("replace postcodes: %w", err)
	}
	return nil
}

// Postcodes returns the whole gazetteer and its version (changed by every replacement).
func (db *DB) Postcodes(ctx context.Context) ([]data.Postcode, string, error) {
	version, err := db.MetaValue(ctx, metaGazetteerVersion)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.pool.Query(ctx, "SELECT code, place, state, district, lat, lon, organisation FROM postcodes ORDER BY pos")
	if err != nil {
		return nil, "", read("query postcodes", err)
	}
	pcs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Postcode, error) {
		var pc data.Postcode
		err := row.Scan(&pc.Code, &pc.Place, &pc.State, &pc.District, &pc.Lat, &pc.Lon, &pc.Organisation)
		return pc, err
	})
	if err != nil {
		return nil, "", read("read postcodes", err)
	}
	return pcs, version, nil
}

// GazetteerVersion changes whenever the gazetteer is replaced; "" when there is none.
func (db *DB) GazetteerVersion(ctx context.Context) (string, error) {
	return db.MetaValue(ctx, metaGazetteerVersion)
}
