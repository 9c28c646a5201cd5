package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// Source is a store to copy from (data/sqlite is one): every row of every table, parents
// first, values as text or nil for NULL, with the column names this schema uses.
type Source interface {
	Export(ctx context.Context, row func(table string, columns []string, values []any) error) error
}

// TableCount is how many rows of a table were copied.
type TableCount struct {
	Table string
	Rows  int
}

// exported is a source's tables as read, in the order read.
type exported struct {
	order   []string
	columns map[string][]string
	rows    map[string][][]any
}

// Load copies every table of src into this store, which must be empty, in one transaction:
// all of it lands or nothing. Each value is converted by PostgreSQL from its text to the
// column's type; ids keep their values and the identities and the change sequence continue
// after the highest copied. The source is read whole first, so the transaction is not held
// open while it reads.
func (db *DB) Load(ctx context.Context, src Source) ([]TableCount, error) {
	in := exported{columns: map[string][]string{}, rows: map[string][][]any{}}
	if err := src.Export(ctx, func(table string, columns []string, values []any) error {
		if _, seen := in.columns[table]; !seen {
			in.order = append(in.order, table)
			in.columns[table] = columns
		}
		in.rows[table] = append(in.rows[table], values)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the source: %w", err)
	}
	var counts []TableCount
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// A registry with its history takes a while; no other writer should be waiting.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0"); err != nil {
			return err
		}
		tables, err := storeTables(ctx, tx)
		if err != nil {
			return err
		}
		if err := refuseFilled(ctx, tx, tables); err != nil {
			return err
		}
		for _, table := range in.order {
			n, err := loadTable(ctx, tx, table, in.columns[table], in.rows[table])
			if err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			counts = append(counts, TableCount{table, n})
		}
		return continueNumbering(ctx, tx, tables)
	})
	if err != nil {
		return nil, fmt.Errorf("load store: %w", unavailable(err))
	}
	return counts, nil
}

// storeTables are the tables of the store's schema but the engine's own.
func storeTables(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
		AND tablename NOT IN ('schema_migrations', 'change_seq') ORDER BY tablename`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// refuseFilled fails with ECONFLICT unless every table is empty and nothing was changed.
func refuseFilled(ctx context.Context, tx pgx.Tx, tables []string) error {
	var filled []string
	for _, table := range tables {
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			filled = append(filled, fmt.Sprintf("%s (%d rows)", table, n))
		}
	}
	var seq int64
	if err := tx.QueryRow(ctx, "SELECT seq FROM change_seq").Scan(&seq); err != nil {
		return err
	}
	if seq > 0 {
		filled = append(filled, fmt.Sprintf("the change sequence (at %d)", seq))
	}
	if len(filled) > 0 {
		return data.Errorf(data.ECONFLICT, "the target store is not empty: %s; nothing was copied", strings.Join(filled, ", "))
	}
	return nil
}

// loadTable copies one table: its rows into a temporary table of text columns, then into
// the table with each column cast to its type.
func loadTable(ctx context.Context, tx pgx.Tx, table string, columns []string, rows [][]any) (int, error) {
	types, err := columnTypes(ctx, tx, table)
	if err != nil {
		return 0, err
	}
	if len(types) == 0 {
		return 0, fmt.Errorf("the source has a table %s that this schema does not", table)
	}
	incoming := pgx.Identifier{"incoming_" + table}.Sanitize()
	var defs, casts, names []string
	for _, c := range columns {
		typ, ok := types[c]
		if !ok {
			return 0, fmt.Errorf("the source has a column %s that this schema does not", c)
		}
		col := pgx.Identifier{c}.Sanitize()
		defs = append(defs, col+" text")
		casts = append(casts, col+"::"+typ)
		names = append(names, col)
	}
	if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+incoming+" ("+strings.Join(defs, ", ")+") ON COMMIT DROP"); err != nil {
		return 0, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming_" + table}, columns, pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, "INSERT INTO "+pgx.Identifier{table}.Sanitize()+" ("+strings.Join(names, ", ")+") OVERRIDING SYSTEM VALUE SELECT "+
		strings.Join(casts, ", ")+" FROM "+incoming)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// columnTypes maps the columns of a table to their types as SQL names them.
func columnTypes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		types[name] = typ
	}
	return types, rows.Err()
}

// continueNumbering moves each identity past the highest copied id and the change sequence
// to the highest copied seq, so new rows and changes follow the copied ones.
func continueNumbering(ctx context.Context, tx pgx.Tx, tables []string) error {
	for _, table := range tables {
		var identity bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
			WHERE table_name = $1 AND column_name = 'id' AND is_identity = 'YES')`, table).Scan(&identity); err != nil {
			return err
		}
		if !identity {
			continue
		}
		t := pgx.Identifier{table}.Sanitize()
		if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT MAX(id) FROM "+t+"), 0) + 1, false)", table); err != nil {
			return fmt.Errorf("continue the ids of %s: %w", table, err)
		}
	}
	_, err := tx.Exec(ctx, "UPDATE change_seq SET seq = (SELECT COALESCE(MAX(seq), 0) FROM pharmacies)")
	return err
}
