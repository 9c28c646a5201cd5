package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/password"
)

const accountColumns = `id, role, login, COALESCE(pharmacy_id, ''), password_hash IS NOT NULL, disabled_at, created_at`

func scanAccount(row interface{ Scan(...any) error }) (data.Account, error) {
	var a data.Account
	var role, created string
	var disabled sql.NullString
	if err := row.Scan(&a.ID, &role, &a.Login, &a.PharmacyID, &a.Activated, &disabled, &created); err != nil {
		return a, err
	}
	a.Role = data.Role(role)
	var err error
	if a.DisabledAt, err = parseTime(disabled); err != nil {
		return a, err
	}
	t, err := time.Parse(time.RFC3339Nano, created)
	a.CreatedAt = t
	return a, err
}

// ActivateAccount sets the password of the account an activation code belongs to. The code
// works once and until it expires; every failure says the same, so codes cannot be probed.
// A new password that replaces one (a reset, reset is true) ends every session of the account
// and revokes the API tokens it made: whoever had the old password keeps nothing of it.
func (db *DB) ActivateAccount(ctx context.Context, code, pw string, actor data.Actor) (acc data.Account, reset bool, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var accountID int64
		var expires string
		var used sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT account_id, expires_at, used_at FROM activation_codes WHERE code_hash = ?",
			data.HashSecret(data.NormalizeActivationCode(code))).Scan(&accountID, &expires, &used)
		invalidCode := data.ErrActivationCode
		if errors.Is(err, sql.ErrNoRows) {
			return invalidCode
		}
		if err != nil {
			return err
		}
		if exp, err := time.Parse(time.RFC3339Nano, expires); err != nil || used.Valid || !now.Before(exp) {
			return invalidCode
		}
		if acc, err = scanAccount(tx.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id = ?", accountID)); err != nil {
			return err
		}
		if acc.DisabledAt != nil {
			return invalidCode
		}
		var pharmacyName string
		if acc.PharmacyID != "" {
			if err := tx.QueryRowContext(ctx, "SELECT name FROM pharmacies WHERE id = ?", acc.PharmacyID).Scan(&pharmacyName); err != nil {
				return err
			}
		}
		if err := password.Check(pw, acc.Login, pharmacyName); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET password_hash = ? WHERE id = ?", password.Hash(pw), acc.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE activation_codes SET used_at = ? WHERE account_id = ? AND used_at IS NULL",
			formatTime(now), acc.ID); err != nil {
			return err
		}
		reset = acc.Activated
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE account_id = ?", acc.ID); err != nil {
			return err
		}
		if err := revokeTokensOf(ctx, tx, now, actor, acc, "password reset"); err != nil {
			return err
		}
		acc.Activated = true
		action := "account.activate"
		if reset {
			action = "account.reset_password"
		}
		return audit(ctx, tx, now, actor, acc.PharmacyID, action, "", acc.Login)
	})
	if err != nil {
		return data.Account{}, false, fmt.Errorf("activate account: %w", err)
	}
	return acc, reset, nil
}

// ReissueActivationCode gives an account a new activation code (its password is reset when
// it is used); older unused codes stop working.
func (db *DB) ReissueActivationCode(ctx context.Context, login string, actor data.Actor) (string, error) {
	login = data.NormalizeLogin(login)
	code := data.NewActivationCode()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		acc, err := scanAccount(tx.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE login = ?", login))
		if errors.Is(err, sql.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "account %q not found", login)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE activation_codes SET used_at = ? WHERE account_id = ? AND used_at IS NULL",
			formatTime(now), acc.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO activation_codes (code_hash, account_id, expires_at) VALUES (?, ?, ?)",
			data.HashSecret(data.NormalizeActivationCode(code)), acc.ID, formatTime(now.Add(data.ActivationValidity))); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, acc.PharmacyID, "account.reissue_code", "", acc.Login)
	})
	if err != nil {
		return "", fmt.Errorf("reissue activation code for %s: %w", login, err)
	}
	return code, nil
}

// Authenticate returns the account whose login and password match. Unknown logins,
// wrong passwords, disabled and unactivated accounts all fail alike (EUNAUTHORIZED).
func (db *DB) Authenticate(ctx context.Context, login, pw string) (data.Account, error) {
	login = data.NormalizeLogin(login)
	var hash sql.NullString
	row := db.read.QueryRowContext(ctx, "SELECT "+accountColumns+", password_hash FROM accounts WHERE login = ?", login)
	var acc data.Account
	var role, created string
	var disabled sql.NullString
	err := row.Scan(&acc.ID, &role, &acc.Login, &acc.PharmacyID, &acc.Activated, &disabled, &created, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return data.Account{}, fmt.Errorf("look up account: %w", err)
	}
	if !password.Matches(hash.String, err == nil && hash.Valid && !disabled.Valid, pw) {
		return data.Account{}, data.Errorf(data.EUNAUTHORIZED, "login or password wrong")
	}
	acc.Role = data.Role(role)
	acc.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return acc, nil
}

// CreateSession starts a session for an account and returns its id (for the cookie).
func (db *DB) CreateSession(ctx context.Context, accountID int64, source string, ttl time.Duration) (string, error) {
	id := data.NewSessionID()
	now := db.now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO sessions (id_hash, account_id, created_at, expires_at, source) VALUES (?, ?, ?, ?, ?)",
			data.HashSecret(id), accountID, formatTime(now), formatTime(now.Add(ttl)), source)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// sessionTouchEvery is how stale a session's last use may be recorded: a write at most
// once a minute per session, not one per page.
const sessionTouchEvery = time.Minute

// SessionAccount returns the account of a live session of an enabled account: not past its
// lifetime and used within idle. It records the use; a failure to record it (a store that
// refuses writes) leaves the session as it was.
func (db *DB) SessionAccount(ctx context.Context, sessionID string, idle time.Duration) (data.Account, error) {
	now := db.now()
	var lastSeen string
	row := db.read.QueryRowContext(ctx, `SELECT a.id, a.role, a.login, COALESCE(a.pharmacy_id, ''),
		a.password_hash IS NOT NULL, a.disabled_at, a.created_at, COALESCE(s.last_seen_at, s.created_at)
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND a.disabled_at IS NULL`, data.HashSecret(sessionID), formatTime(now))
	acc, err := scanAccount(scanWith{row, &lastSeen})
	if errors.Is(err, sql.ErrNoRows) {
		return data.Account{}, data.Errorf(data.EUNAUTHORIZED, "not logged in")
	}
	if err != nil {
		return data.Account{}, fmt.Errorf("look up session: %w", err)
	}
	seen, err := time.Parse(time.RFC3339Nano, lastSeen)
	if err != nil {
		return data.Account{}, fmt.Errorf("session last seen %q: %w", lastSeen, err)
	}
	if now.Sub(seen) >= idle {
		return data.Account{}, data.Errorf(data.EUNAUTHORIZED, "session ended after %s without use", idle)
	}
	if now.Sub(seen) >= sessionTouchEvery {
		if err := db.inTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", formatTime(now), data.HashSecret(sessionID))
			return err
		}); err != nil && data.ErrorCode(err) != data.EUNAVAILABLE {
			// A store refusing writes (inTx notes it for the status page) still lets people read.
			return data.Account{}, fmt.Errorf("record use of session: %w", err)
		}
	}
	return acc, nil
}

// scanWith scans a row whose first columns are an account's and whose last is one more value.
type scanWith struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (s scanWith) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, sessionID string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", data.HashSecret(sessionID))
		return err
	})
}

// DeleteSessions ends every session of an account ("log out everywhere").
func (db *DB) DeleteSessions(ctx context.Context, accountID int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE account_id = ?", accountID)
		return err
	})
}
