package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/password"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const accountColumns = `a.id, a.role, a.login, COALESCE(a.pharmacy_id, ''), a.password_hash IS NOT NULL, a.disabled_at, a.created_at`

// scanAccount reads accountColumns and then extra.
func scanAccount(row pgx.Row, extra ...any) (data.Account, error) {
	var a data.Account
	var role string
	if err := row.Scan(append([]any{&a.ID, &role, &a.Login, &a.PharmacyID, &a.Activated, &a.DisabledAt, &a.CreatedAt}, extra...)...); err != nil {
		return a, err
	}
	a.Role = data.Role(role)
	a.DisabledAt, a.CreatedAt = utc(a.DisabledAt), a.CreatedAt.UTC()
	return a, nil
}

// CreateAccount creates an account that is not yet activated and returns it with a
// one-time activation code. A pharmacy account names an existing pharmacy.
func (db *DB) CreateAccount(ctx context.Context, role data.Role, login, pharmacyID string, actor data.Actor) (data.Account, string, error) {
	login = data.NormalizeLogin(login)
	if err := data.CheckNewAccount(role, login); err != nil {
		return data.Account{}, "", err
	}
	now := db.now()
	acc := data.Account{Role: role, Login: login, CreatedAt: now}
	var pharmacy *string
	if role == data.RolePharmacy {
		acc.PharmacyID, pharmacy = pharmacyID, &pharmacyID
	}
	code := data.NewActivationCode()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if role == data.RolePharmacy {
			var known bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pharmacies WHERE id = $1)", pharmacyID).Scan(&known); err != nil {
				return err
			}
			if !known {
				return data.Errorf(data.ENOTFOUND, "pharmacy %s not found", pharmacyID)
			}
		}
		err := tx.QueryRow(ctx, "INSERT INTO accounts (role, login, pharmacy_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
			string(role), login, pharmacy, now).Scan(&acc.ID)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "accounts_login_key" {
			return data.LoginTaken(login)
		}
		if err != nil {
			return err
		}
		if err := addActivationCode(ctx, tx, acc.ID, code, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, acc.PharmacyID, "account.create", "", string(role)+" "+login)
	})
	if err != nil {
		return data.Account{}, "", fmt.Errorf("create account %s: %w", login, err)
	}
	return acc, code, nil
}

func addActivationCode(ctx context.Context, tx pgx.Tx, accountID int64, code string, now time.Time) error {
	_, err := tx.Exec(ctx, "INSERT INTO activation_codes (code_hash, account_id, expires_at) VALUES ($1, $2, $3)",
		data.HashSecret(data.NormalizeActivationCode(code)), accountID, now.Add(data.ActivationValidity))
	return err
}

// DisableAccount disables an account: it can no longer log in, its sessions end and the API
// tokens it made are revoked (each audited).
func (db *DB) DisableAccount(ctx context.Context, login string, actor data.Actor) error {
	login = data.NormalizeLogin(login)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		acc, err := scanAccount(tx.QueryRow(ctx, "UPDATE accounts a SET disabled_at = COALESCE(disabled_at, $1) WHERE login = $2 RETURNING "+accountColumns,
			now, login))
		if errors.Is(err, pgx.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "account %q not found", login)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1", acc.ID); err != nil {
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

// ActivateAccount sets the password of the account an activation code belongs to. The code
// works once and until it expires; every failure says the same, so codes cannot be probed.
// A new password that replaces one (a reset) ends every session of the account and revokes
// the API tokens it made. The code's row is locked, so two uses at once activate once.
func (db *DB) ActivateAccount(ctx context.Context, code, pw string, actor data.Actor) (acc data.Account, reset bool, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		hash := data.HashSecret(data.NormalizeActivationCode(code))
		var accountID int64
		err := tx.QueryRow(ctx, "SELECT account_id FROM activation_codes WHERE code_hash = $1", hash).Scan(&accountID)
		if errors.Is(err, pgx.ErrNoRows) {
			return data.ErrActivationCode
		}
		if err != nil {
			return err
		}
		// The account first, then its code, as ReissueActivationCode locks them: two uses of
		// one code wait for each other, and a use never deadlocks with a reissue.
		var pharmacyName string
		if acc, err = scanAccount(tx.QueryRow(ctx, "SELECT "+accountColumns+", COALESCE(p.name, '') FROM accounts a LEFT JOIN pharmacies p ON p.id = a.pharmacy_id WHERE a.id = $1 FOR UPDATE OF a",
			accountID), &pharmacyName); err != nil {
			return err
		}
		var expires time.Time
		var used *time.Time
		if err := tx.QueryRow(ctx, "SELECT expires_at, used_at FROM activation_codes WHERE code_hash = $1 FOR UPDATE", hash).
			Scan(&expires, &used); err != nil {
			return err
		}
		if used != nil || !now.Before(expires) {
			return data.ErrActivationCode
		}
		if acc.DisabledAt != nil {
			return data.ErrActivationCode
		}
		if err := password.Check(pw, acc.Login, pharmacyName); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE accounts SET password_hash = $1 WHERE id = $2", password.Hash(pw), acc.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE activation_codes SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL", now, acc.ID); err != nil {
			return err
		}
		reset = acc.Activated
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1", acc.ID); err != nil {
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		acc, err := scanAccount(tx.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE login = $1 FOR UPDATE", login))
		if errors.Is(err, pgx.ErrNoRows) {
			return data.Errorf(data.ENOTFOUND, "account %q not found", login)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE activation_codes SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL", now, acc.ID); err != nil {
			return err
		}
		if err := addActivationCode(ctx, tx, acc.ID, code, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, acc.PharmacyID, "account.reissue_code", "", acc.Login)
	})
	if err != nil {
		return "", fmt.Errorf("reissue activation code for %s: %w", login, err)
	}
	return code, nil
}

// Authenticate returns the account whose login and password match. Unknown logins, wrong
// passwords, disabled and unactivated accounts all fail alike (EUNAUTHORIZED).
func (db *DB) Authenticate(ctx context.Context, login, pw string) (data.Account, error) {
	var hash *string
	if !storable(login) {
		login = "" // no account has it: spend the time of a check all the same
	}
	acc, err := scanAccount(db.pool.QueryRow(ctx, "SELECT "+accountColumns+", a.password_hash FROM accounts a WHERE login = $1",
		data.NormalizeLogin(login)), &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return data.Account{}, read("look up account", err)
	}
	usable := err == nil && hash != nil && acc.DisabledAt == nil
	if !usable {
		hash = new(string)
	}
	if !password.Matches(*hash, usable, pw) {
		return data.Account{}, data.Errorf(data.EUNAUTHORIZED, "login or password wrong")
	}
	return acc, nil
}

// AccountsOfPharmacy lists the accounts of one pharmacy.
func (db *DB) AccountsOfPharmacy(ctx context.Context, pharmacyID string) ([]data.Account, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE pharmacy_id = $1 ORDER BY id", pharmacyID)
	if err != nil {
		return nil, read("list accounts of "+pharmacyID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (data.Account, error) { return scanAccount(row) })
	if err != nil {
		return nil, read("read accounts of "+pharmacyID, err)
	}
	return out, nil
}
