package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// sessionTouchEvery is how stale a session's last use may be recorded: a write at most
// once a minute per session, not one per page.
const sessionTouchEvery = time.Minute

// CreateSession starts a session for an account and returns its id (for the cookie).
func (db *DB) CreateSession(ctx context.Context, accountID int64, source string, ttl time.Duration) (string, error) {
	id := data.NewSessionID()
	now := db.now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO sessions (id_hash, account_id, created_at, expires_at, source) VALUES ($1, $2, $3, $4, $5)",
			data.HashSecret(id), accountID, now, now.Add(ttl), source)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// SessionAccount returns the account of a live session of an enabled account: not past its
// lifetime and used within idle. It records the use; a failure to record it (a store that
// refuses writes) leaves the session as it was.
func (db *DB) SessionAccount(ctx context.Context, sessionID string, idle time.Duration) (data.Account, error) {
	now := db.now()
	var seen time.Time
	acc, err := scanAccount(db.pool.QueryRow(ctx, "SELECT "+accountColumns+`, COALESCE(s.last_seen_at, s.created_at)
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL`, data.HashSecret(sessionID), now), &seen)
	if errors.Is(err, pgx.ErrNoRows) {
		return data.Account{}, data.Errorf(data.EUNAUTHORIZED, "not logged in")
	}
	if err != nil {
		return data.Account{}, read("look up session", err)
	}
	if now.Sub(seen) >= idle {
		return data.Account{}, data.Errorf(data.EUNAUTHORIZED, "session ended after %s without use", idle)
	}
	if now.Sub(seen) >= sessionTouchEvery {
		if err := db.inTx(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", now, data.HashSecret(sessionID))
			return err
		}); err != nil && data.ErrorCode(err) != data.EUNAVAILABLE {
			return data.Account{}, fmt.Errorf("record use of session: %w", err)
		}
	}
	return acc, nil
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, sessionID string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = $1", data.HashSecret(sessionID))
		return err
	})
}

// DeleteSessions ends every session of an account ("log out everywhere").
func (db *DB) DeleteSessions(ctx context.Context, accountID int64) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1", accountID)
		return err
	})
}
