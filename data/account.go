package data

import (
	"fmt"
	"strings"
	"time"
)

// ActivationValidity is how long an activation code works.
const ActivationValidity = 7 * 24 * time.Hour

// ErrActivationCode is every failure of an activation code: unknown, used, expired, or its
// account disabled. They all say the same, so codes cannot be probed.
var ErrActivationCode = &Error{Code: EINVALID, Field: "code", Message: "this activation code is unknown, used or expired"}

// Role is what an account may do.
type Role string

// Roles.
const (
	RoleOperator Role = "operator" // the association running the portal
	RolePharmacy Role = "pharmacy" // one pharmacy, for its own entry only
)

// Account is an operator's or a pharmacy's login.
type Account struct {
	ID         int64
	Role       Role
	Login      string
	PharmacyID string // for RolePharmacy
	Activated  bool   // a password has been set
	DisabledAt *time.Time
	CreatedAt  time.Time
}

// Actor is who changes something and from where, for the audit log.
type Actor struct {
	Name      string // "token 12", "account 3 (rats-apotheke)", "cli"
	Source    string // IP address, or "cli"
	AccountID int64  // the account acting, 0 for none (the CLI, an activation code)
	TokenID   int64  // the API token acting, 0 for none; its last use is recorded with the change
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         int64
	At         time.Time
	Actor      string
	Source     string
	PharmacyID string
	Action     string
	Old, New   string
}

// NormalizeActivationCode is the form of an activation code that is stored (hashed) and
// throttled: case, dashes and spaces as people type them do not matter.
func NormalizeActivationCode(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}

// APIToken is an API token as its pharmacy and the operators see it; never its value.
type APIToken struct {
	ID           int64
	PharmacyID   string
	CreatedAt    time.Time
	CreatedBy    string     // login of the account that made it; "" when an operator or the CLI did
	LastUsedAt   *time.Time // its last write; nil when never used
	LastUsedFrom string     // the address of that write
	RevokedAt    *time.Time
}

// NormalizeLogin is the stored form of a login: case and surrounding spaces do not matter.
func NormalizeLogin(login string) string {
	return strings.TrimSpace(strings.ToLower(login))
}

// CheckNewAccount says what is wrong with the role and (normalised) login of a new account.
func CheckNewAccount(role Role, login string) error {
	if login == "" || len(login) > 100 {
		return &Error{Code: EINVALID, Field: "login", Message: "must be 1 to 100 characters"}
	}
	if role != RoleOperator && role != RolePharmacy {
		return &Error{Code: EINVALID, Field: "role", Message: "must be operator or pharmacy"}
	}
	return nil
}

// LoginTaken is the error for a login another account has.
func LoginTaken(login string) error {
	return &Error{Code: ECONFLICT, Field: "login", Message: fmt.Sprintf("login %q is taken", login)}
}
