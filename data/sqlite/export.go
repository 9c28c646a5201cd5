package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// exportTables are the tables a store consists of, parents before the tables that refer to
// them; schema_migrations is the engine's own.
var exportTables = []string{"pharmacies", "participations", "postcodes", "meta", "accounts", "activation_codes",
	"api_tokens", "audit_log", "sessions", "corrections", "reports", "checks_raw", "checks_hourly", "checks_daily",
	"incidents", "incident_updates", "maintenances", "target_statuses", "feedback", "recovery_notices",
	"subscriptions", "notification_events", "deliveries", "unsubscribe_links"}

// Export calls row for every row of every table of the store, parents before the tables
// that refer to them, in the order stored, with each value as its text (SQLite's: times
// RFC 3339, switches 0 or 1) or nil for NULL; the gazetteer's order is its column pos. It
// reads in one read transaction: one snapshot, while the portal may go on writing.
func (db *DB) Export(ctx context.Context, row func(table string, columns []string, values []any) error) error {
	return db.readTx(ctx, func(tx *sql.Tx) error {
		for _, table := range exportTables {
			if err := exportTable(ctx, tx, table, row); err != nil {
				return fmt.Errorf("export %s: %w", table, err)
			}
		}
		return nil
	})
}

func exportTable(ctx context.Context, tx *sql.Tx, table string, row func(table string, columns []string, values []any) error) error {
	query := "SELECT * FROM " + table + " ORDER BY rowid"
	if table == "postcodes" {
		query = "SELECT rowid AS pos, * FROM postcodes ORDER BY rowid"
	}
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	values := make([]any, len(columns))
	scan := make([]any, len(columns))
	for i := range scan {
		scan[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(scan...); err != nil {
			return err
		}
		text := make([]any, len(values))
		for i, v := range values {
			if text[i], err = asText(v); err != nil {
				return fmt.Errorf("%s: %w", columns[i], err)
			}
		}
		if err := row(table, columns, text); err != nil {
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
