package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
)

// LeaveFeedback stores a citizen's feedback.
func (db *DB) LeaveFeedback(ctx context.Context, f data.Feedback) (data.Feedback, error) {
	f, err := data.CheckFeedback(f)
	if err != nil {
		return f, err
	}
	f.CreatedAt = db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO feedback (message, contact, page, created_at) VALUES (?, ?, ?, ?)",
			f.Message, f.Contact, f.Page, formatTime(f.CreatedAt))
		if err != nil {
			return err
		}
		f.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return f, fmt.Errorf("leave feedback: %w", err)
	}
	return f, nil
}

// FeedbackList returns the newest feedback first.
func (db *DB) FeedbackList(ctx context.Context, limit int) ([]data.Feedback, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT id, message, contact, page, created_at FROM feedback ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	defer rows.Close()
	var out []data.Feedback
	for rows.Next() {
		var f data.Feedback
		var at string
		if err := rows.Scan(&f.ID, &f.Message, &f.Contact, &f.Page, &at); err != nil {
			return nil, fmt.Errorf("read feedback: %w", err)
		}
		if f.CreatedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("read feedback %d: %w", f.ID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
