package sqlite

import (
	"context"
	"fmt"
	"strconv"
)

// exportTables are the tables a store consists of, parents before the tables that refer to
// them; schema_migrations is the engine's own.
var exportTables = []string{"pharmacies", "participations", "postcodes", "meta", "accounts", "activation_codes",
	"api_tokens", "audit_log", "sessions", "corrections", "reports", "checks_raw", "checks_hourly", "checks_daily",
	"incidents", "incident_updates", "maintenances"}

// ExportTables lists the tables ExportTable reads, in an order that keeps references valid.
func (db *DB) ExportTables() []string { return exportTables }

// ExportTable calls row for every row of the named table, in the order stored, with each
// value as its text (SQLite's: times RFC 3339, switches 0 or 1) or nil for NULL. The
// gazetteer's order is its column pos. Tables are read one by one: export a store that no
// process writes.
func (db *DB) ExportTable(ctx context.Context, table string, row func(columns []string, values []any) error) error {
	known := false
	for _, t := range exportTables {
		known = known || t == table
	}
	if !known {
		return fmt.Errorf("export: no table %q", table)
	}
	query := "SELECT * FROM " + table + " ORDER BY rowid"
	if table == "postcodes" {
		query = "SELECT rowid AS pos, * FROM postcodes ORDER BY rowid"
	}
	rows, err := db.read.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("export %s: %w", table, err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	values := make([]any, len(columns))
	for rows.Next() {
		scan := make([]any, len(columns))
		for i := range scan {
			scan[i] = &values[i]
		}
		if err := rows.Scan(scan...); err != nil {
			return fmt.Errorf("export %s: %w", table, err)
		}
		text := make([]any, len(values))
		for i, v := range values {
			if text[i], err = asText(v); err != nil {
				return fmt.Errorf("export %s.%s: %w", table, columns[i], err)
			}
		}
		if err := row(columns, text); err != nil {
			return err
		}
	}
	return rows.Err()
}

// asText is a stored value as text, exactly: floats keep every digit.
func asText(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}
