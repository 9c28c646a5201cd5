package postgres

import (
	"context"
	"fmt"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// LeaveFeedback stores a citizen's feedback.
func (db *DB) LeaveFeedback(ctx context.Context, f data.Feedback) (data.Feedback, error) {
	f, err := data.CheckFeedback(f)
	if err != nil {
		return f, err
	}
	f.CreatedAt = db.now().UTC()
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "INSERT INTO feedback (message, contact, page, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
			f.Message, f.Contact, f.Page, f.CreatedAt).Scan(&f.ID)
	})
	if err != nil {
		return f, fmt.Errorf("leave feedback: %w", err)
	}
	return f, nil
}

// FeedbackList returns the newest feedback first.
func (db *DB) FeedbackList(ctx context.Context, limit int) ([]data.Feedback, error) {
	rows, err := db.pool.Query(ctx, "SELECT id, message, contact, page, created_at FROM feedback ORDER BY id DESC LIMIT $1", limit)
	if err != nil {
		return nil, read("list feedback", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Feedback, error) {
		var f data.Feedback
		err := row.Scan(&f.ID, &f.Message, &f.Contact, &f.Page, &f.CreatedAt)
		f.CreatedAt = f.CreatedAt.UTC()
		return f, err
	})
	if err != nil {
		return nil, read("list feedback", err)
	}
	return out, nil
}
