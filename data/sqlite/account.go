package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// CreateAccount creates an account that is not yet activated and returns it with a
// one-time activation code. A pharmacy account names an existing pharmacy.
func (db *DB) CreateAccount(ctx context.Context, role data.Role, login, pharmacyID string, actor data.Actor) (data.Account, string, error) {
	login = data.NormalizeLogin(login)
	if err := data.CheckNewAccount(role, login); err != nil {
		return data.Account{}, "", err
	}
	now := db.now()
	acc := data.Account{Role: role, Login: login, CreatedAt: now}
	var pharmacy any
	if role == data.RolePharmacy {
		acc.PharmacyID, pharmacy = pharmacyID, pharmacyID
	}
	code := data.NewActivationCode()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if role == data.RolePharmacy {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM pharmacies WHERE id = ?", pharmacyID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return data.Errorf(data.ENOTFOUND, "pharmacy %s not found", pharmacyID)
			}
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO accounts (role, login, pharmacy_id, created_at) VALUES (?, ?, ?, ?)",
			string(role), login, pharmacy, formatTime(now))
		var se sqlite3.Error
		if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique {
			return data.LoginTaken(login)
		}
		if err != nil {
			return err
		}
		if acc.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO activation_codes (code_hash, account_id, expires_at) VALUES (?, ?, ?)",
			data.HashSecret(data.NormalizeActivationCode(code)), acc.ID, formatTime(now.Add(data.ActivationValidity))); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, acc.PharmacyID, "account.create", "", string(role)+" "+login)
	})
	if err != nil {
		return data.Account{}, "", fmt.Errorf("create account %s: %w", login, err)
	}
	return acc, code, nil
}

// DisableAccount disables an account: it can no longer log in, its sessions end and the API
// tokens it made are revoked (each audited).
func (db *DB) DisableAccount(ctx context.Context, login string, actor data.Actor) error {
	login = data.NormalizeLogin(login)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		acc, err := scanAccount(tx.QueryRowContext(ctx, "UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?) WHERE login = ? RETURNING "+accountColumns,
			formatTime(now), login))
		if errors.Is(err, sql.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "account %q not found", login)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE account_id = ?", acc.ID); err != nil {
			return err
		}
		if err := revokeTokensOf(ctx, tx, now, actor, acc, "account disabled"); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, acc.PharmacyID, "account.disable", "", login)
	})
	if err != nil {
		return fmt.Errorf("disable account %s: %w", login, err)
	}
	return nil
}

// CreateAPIToken issues an API token for a pharmacy and returns it; only its hash is kept.
// The token belongs to the acting account (actor.AccountID) when there is one: it fails as
// soon as that account is disabled.
func (db *DB) CreateAPIToken(ctx context.Context, pharmacyID string, actor data.Actor) (id int64, token string, err error) {
	token = data.NewAPIToken()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var account any
		if actor.AccountID != 0 {
			account = actor.AccountID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (token_hash, pharmacy_id, created_at, account_id)
			SELECT ?, id, ?, ? FROM pharmacies WHERE id = ?`, data.HashSecret(token), formatTime(now), account, pharmacyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return data.Errorf(data.ENOTFOUND, "pharmacy %s not found", pharmacyID)
		}
		if id, err = res.LastInsertId(); err != nil {
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
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND pharmacy_id = ?",
			formatTime(now), id, pharmacyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
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
	err = db.read.QueryRowContext(ctx, `SELECT t.pharmacy_id, t.id FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.disabled_at IS NULL`,
		data.HashSecret(token)).Scan(&pharmacyID, &tokenID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, data.Errorf(data.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return "", 0, fmt.Errorf("look up token: %w", err)
	}
	return pharmacyID, tokenID, nil
}

// AuditLog returns the newest entries, for one pharmacy or ("") all, newest first.
func (db *DB) AuditLog(ctx context.Context, pharmacyID string, limit int) ([]data.AuditEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, actor, source, COALESCE(pharmacy_id, ''), action, old, new FROM audit_log
		WHERE ? = '' OR pharmacy_id = ? ORDER BY id DESC LIMIT ?`, pharmacyID, pharmacyID, limit)
	if err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	defer rows.Close()
	var out []data.AuditEntry
	for rows.Next() {
		var e data.AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Source, &e.PharmacyID, &e.Action, &e.Old, &e.New); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("audit time %q: %w", at, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func audit(ctx context.Context, tx *sql.Tx, at time.Time, actor data.Actor, pharmacyID, action, old, new string) error {
	var pharmacy any
	if pharmacyID != "" {
		pharmacy = pharmacyID
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO audit_log (at, actor, source, pharmacy_id, action, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
		formatTime(at), actor.Name, actor.Source, pharmacy, action, old, new); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	if actor.TokenID != 0 {
		// The token's last use, in the transaction of the change it made.
		if _, err := tx.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = ?, last_used_source = ? WHERE id = ?",
			formatTime(at), actor.Source, actor.TokenID); err != nil {
			return fmt.Errorf("record use of token %d: %w", actor.TokenID, err)
		}
	}
	return nil
}

// APITokens lists every token of a pharmacy, revoked ones too, oldest first.
func (db *DB) APITokens(ctx context.Context, pharmacyID string) ([]data.APIToken, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.pharmacy_id, t.created_at, COALESCE(a.login, ''), t.last_used_at,
		t.last_used_source, t.revoked_at FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id
		WHERE t.pharmacy_id = ? ORDER BY t.id`, pharmacyID)
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", pharmacyID, err)
	}
	defer rows.Close()
	var out []data.APIToken
	for rows.Next() {
		var t data.APIToken
		var created string
		var used, revoked sql.NullString
		if err := rows.Scan(&t.ID, &t.PharmacyID, &created, &t.CreatedBy, &used, &t.LastUsedFrom, &revoked); err != nil {
			return nil, fmt.Errorf("read token: %w", err)
		}
		if t.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("token %d created %q: %w", t.ID, created, err)
		}
		if t.LastUsedAt, err = parseTime(used); err != nil {
			return nil, err
		}
		if t.RevokedAt, err = parseTime(revoked); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// revokeTokensOf revokes the live API tokens an account made, each with an audit entry.
func revokeTokensOf(ctx context.Context, tx *sql.Tx, now time.Time, actor data.Actor, acc data.Account, why string) error {
	rows, err := tx.QueryContext(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND account_id = ? RETURNING id",
		formatTime(now), acc.ID)
	if err != nil {
		return err
	}
	ids, err := scanIDs(rows)
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

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AccountsOfPharmacy lists the accounts of one pharmacy.
func (db *DB) AccountsOfPharmacy(ctx context.Context, pharmacyID string) ([]data.Account, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE pharmacy_id = ? ORDER BY id", pharmacyID)
	if err != nil {
		return nil, fmt.Errorf("list accounts of %s: %w", pharmacyID, err)
	}
	defer rows.Close()
	var out []data.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("read account: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
