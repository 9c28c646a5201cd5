package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/apoportal/apoportal/data"
)

// ReplacePostcodes replaces the whole gazetteer in one transaction.
func (db *DB) ReplacePostcodes(ctx context.Context, pcs []data.Postcode) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM postcodes"); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO postcodes (code, place, state, district, lat, lon, organisation)
			VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, pc := range pcs {
			if _, err := ins.ExecContext(ctx, pc.Code, pc.Place, pc.State, pc.District, pc.Lat, pc.Lon, pc.Organisation); err != nil {
				return fmt.Errorf("postcode %s: %w", pc.Code, err)
			}
		}
		return setMeta(ctx, tx, metaGazetteerVersion, formatTime(db.now()))
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
	rows, err := db.read.QueryContext(ctx, "SELECT code, place, state, district, lat, lon, organisation FROM postcodes ORDER BY rowid")
	if err != nil {
		return nil, "", fmt.Errorf("query postcodes: %w", err)
	}
	defer rows.Close()
	var pcs []data.Postcode
	for rows.Next() {
		var pc data.Postcode
		if err := rows.Scan(&pc.Code, &pc.Place, &pc.State, &pc.District, &pc.Lat, &pc.Lon, &pc.Organisation); err != nil {
			return nil, "", fmt.Errorf("read postcode: %w", err)
		}
		pcs = append(pcs, pc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("read postcodes: %w", err)
	}
	return pcs, version, nil
}

// GazetteerVersion changes whenever the gazetteer is replaced; "" when there is none.
func (db *DB) GazetteerVersion(ctx context.Context) (string, error) {
	return db.MetaValue(ctx, metaGazetteerVersion)
}
