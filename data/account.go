package data

import (
	"strings"
	"time"
)

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
