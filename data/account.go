package data

import "time"

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
	Name   string // "token 12", "account 3 (rats-apotheke)", "cli"
	Source string // IP address, or "cli"
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
