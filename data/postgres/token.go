package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/jackc/pgx/v5"
)

// CreateAPIToken issues an API token for a pharmacy and returns it; only its hash is kept.
// The token belongs to the acting account (actor.AccountID) when there is one: it fails as
// soon as that account is disabled.
func (db *DB) CreateAPIToken(ctx context.Context, pharmacyID string, actor data.Actor) (id int64, token string, err error) {
	token = data.NewAPIToken()
	var account *int64
	if actor.AccountID != 0 {
		account = &actor.AccountID
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens (token_hash, pharmacy_id, created_at, account_id)
			SELECT $1, id, $2, $3 FROM pharmacies WHERE id = $4 RETURNING id`, data.HashSecret(token), now, account, pharmacyID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "pharmacy %s not found", pharmacyID)
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, pharmacyID, "token.create", "", fmt.Sprintf("token %d", id))
	})
	if err != nil {
		return 0, "", fmt.Errorf("create api token for %s: %w", pharmacyID, err)
	}
	return id, token, nil
}

// RevokeAPIToken revokes a pharmacy's token; a token of another pharmacy is not found.
func (db *DB) RevokeAPIToken(ctx context.Context, pharmacyID string, id int64, actor data.Actor) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		tag, err := tx.Exec(ctx, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND pharmacy_id = $3",
			now, id, pharmacyID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return data.Errorf(data.ENOTFOUND, "token %d not found", id)
		}
		return audit(ctx, tx, now, actor, pharmacyID, "token.revoke", "", fmt.Sprintf("token %d", id))
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	return nil
}

// PharmacyOfToken returns the pharmacy an unrevoked token belongs to, and the token's id. A
// token made by an account that is now disabled fails. Every failure is EUNAUTHORIZED
// without saying why.
func (db *DB) PharmacyOfToken(ctx context.Context, token string) (pharmacyID string, tokenID int64, err error) {
	err = db.pool.QueryRow(ctx, `SELECT t.pharmacy_id, t.id FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL`, data.HashSecret(token)).Scan(&pharmacyID, &tokenID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, data.Errorf(data.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return "", 0, read("look up token", err)
	}
	return pharmacyID, tokenID, nil
}

// APITokens lists every token of a pharmacy, revoked ones too, oldest first.
func (db *DB) APITokens(ctx context.Context, pharmacyID string) ([]data.APIToken, error) {
	rows, err := db.pool.Query(ctx, `SELECT t.id, t.pharmacy_id, t.created_at, COALESCE(a.login, ''), t.last_used_at,
		t.last_used_source, t.revoked_at FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id
		WHERE t.pharmacy_id = $1 ORDER BY t.id`, pharmacyID)
	if err != nil {
		return nil, read("list tokens of "+pharmacyID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.APIToken, error) {
		var t data.APIToken
		err := row.Scan(&t.ID, &t.PharmacyID, &t.CreatedAt, &t.CreatedBy, &t.LastUsedAt, &t.LastUsedFrom, &t.RevokedAt)
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = t.CreatedAt.UTC(), utc(t.LastUsedAt), utc(t.RevokedAt)
		return t, err
	})
	if err != nil {
		return nil, read("read tokens of "+pharmacyID, err)
	}
	return out, nil
}

// revokeTokensOf revokes the live API tokens an account made, each with an audit entry.
func revokeTokensOf(ctx context.Context, tx pgx.Tx, now time.Time, actor data.Actor, acc data.Account, why string) error {
	rows, err := tx.Query(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND account_id = $2 RETURNING id", now, acc.ID)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := audit(ctx, tx, now, actor, acc.PharmacyID, "token.revoke", "", fmt.Sprintf("token %d (%s: %s)", id, why, acc.Login)); err != nil {
			return err
		}
	}
	return nil
}
