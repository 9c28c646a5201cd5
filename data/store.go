package data

import (
	"context"
	"time"
)

// Store is everything the portal keeps, as the server consumes it. Two engines implement
// it: data/sqlite (the embedded default, one file) and data/postgres (shared by several
// machines). Both pass the one contract suite in data/storetest.
//
// Every write is one transaction: it is acknowledged (nil) only once it committed, and a
// write the store cannot take now (busy, read-only, disk full, connection lost, timed out)
// fails with EUNAVAILABLE and changes nothing.
type Store interface {
	Registry
	Gazetteer
	Accounts
	Sessions
	Tokens
	Status
	Meta
	Leases
	Throttles
	ImportPreviews
	FeedbackBox
	RecoveryNotices
	Notifications
	// Ping checks that the store answers a read.
	Ping(ctx context.Context) error
	// Refusal says why writes are being refused (read-only, the last write could not be
	// made); nil while they go through.
	Refusal() error
	Close() error
}

// Registry is the pharmacies, their switches, the change sequence search engines follow and
// the audit log.
type Registry interface {
	// UpsertPharmacies inserts new pharmacies and updates the registry fields of known ones
	// in one transaction. A new pharmacy gets the participation it comes with; a known one
	// keeps its own, whatever the file says.
	UpsertPharmacies(ctx context.Context, ps []Pharmacy) (ImportSummary, error)
	// ImportPharmacies is UpsertPharmacies with an audit entry, for imports by people.
	ImportPharmacies(ctx context.Context, ps []Pharmacy, actor Actor, what string) (ImportSummary, error)
	// ChangeParticipation sets a pharmacy's switch as its owner says it is now, marks it
	// confirmed, moves the change sequence and audits old → new, in one transaction.
	ChangeParticipation(ctx context.Context, id string, pa Participation, actor Actor) error
	Pharmacy(ctx context.Context, id string) (Pharmacy, error)
	// PharmaciesChangedSince returns the pharmacies changed after sequence number seq and the
	// number to ask from next time. A follower that always passes the number it got never
	// misses a change, however many writers commit at once.
	PharmaciesChangedSince(ctx context.Context, seq int64) ([]Pharmacy, int64, error)
	CountPharmacies(ctx context.Context) (int, error)
	// ReportCorrection stores a pharmacy's request to correct its registry entry, audited.
	ReportCorrection(ctx context.Context, pharmacyID string, accountID int64, message string, actor Actor) error
	// Corrections lists a pharmacy's open correction requests, newest first.
	Corrections(ctx context.Context, pharmacyID string) ([]Correction, error)
	// AuditLog returns the newest entries for one pharmacy, or ("") all, newest first.
	AuditLog(ctx context.Context, pharmacyID string, limit int) ([]AuditEntry, error)
}

// Gazetteer is the postcode gazetteer.
type Gazetteer interface {
	// ReplacePostcodes replaces the whole gazetteer in one transaction.
	ReplacePostcodes(ctx context.Context, pcs []Postcode) error
	// Postcodes returns the gazetteer, in the order stored, and its version.
	Postcodes(ctx context.Context) ([]Postcode, string, error)
	// GazetteerVersion changes whenever the gazetteer is replaced; "" when there is none.
	GazetteerVersion(ctx context.Context) (string, error)
}

// Accounts are the logins of operators and pharmacies and their activation codes.
type Accounts interface {
	// CreateAccount creates an account that is not yet activated and returns it with a
	// one-time activation code.
	CreateAccount(ctx context.Context, role Role, login, pharmacyID string, actor Actor) (Account, string, error)
	// DisableAccount ends an account's logins, sessions and the tokens it made.
	DisableAccount(ctx context.Context, login string, actor Actor) error
	// ActivateAccount sets the password of the account a code belongs to; reset is true when
	// it replaced one (sessions ended, the account's tokens revoked). Every failure of the
	// code is ErrActivationCode.
	ActivateAccount(ctx context.Context, code, pw string, actor Actor) (acc Account, reset bool, err error)
	// ReissueActivationCode gives an account a new code; older unused ones stop working.
	ReissueActivationCode(ctx context.Context, login string, actor Actor) (string, error)
	// Authenticate returns the account whose login and password match; every failure is
	// EUNAUTHORIZED and costs the same time.
	Authenticate(ctx context.Context, login, pw string) (Account, error)
	AccountsOfPharmacy(ctx context.Context, pharmacyID string) ([]Account, error)
}

// Sessions are logins in progress; the caller holds the id, the store only its hash.
type Sessions interface {
	CreateSession(ctx context.Context, accountID int64, source string, ttl time.Duration) (string, error)
	// SessionAccount returns the account of a live session used within idle, and records the
	// use at most once a minute.
	SessionAccount(ctx context.Context, sessionID string, idle time.Duration) (Account, error)
	DeleteSession(ctx context.Context, sessionID string) error
	DeleteSessions(ctx context.Context, accountID int64) error
}

// Tokens are the pharmacies' API tokens; the store keeps only their hashes.
type Tokens interface {
	CreateAPIToken(ctx context.Context, pharmacyID string, actor Actor) (id int64, token string, err error)
	RevokeAPIToken(ctx context.Context, pharmacyID string, id int64, actor Actor) error
	// PharmacyOfToken returns the pharmacy of a live token and the token's id; every failure
	// is EUNAUTHORIZED without saying why.
	PharmacyOfToken(ctx context.Context, token string) (pharmacyID string, tokenID int64, err error)
	// APITokens lists every token of a pharmacy, revoked ones too, oldest first.
	APITokens(ctx context.Context, pharmacyID string) ([]APIToken, error)
}

// Status is what the status page is made of: probe history with roll-ups, incidents,
// maintenance and the pharmacies' reports.
type Status interface {
	// RecordChecks stores probe results and adds them to the hourly (UTC) and daily
	// (Europe/Berlin) roll-ups in one transaction.
	RecordChecks(ctx context.Context, checks []Check) error
	// PruneChecks deletes what is older than each table's retention.
	PruneChecks(ctx context.Context, now time.Time) error
	// Uptime is the share of probes of target since the given time that did not find it
	// down; ok is false without data.
	Uptime(ctx context.Context, target string, since time.Time) (uptime float64, ok bool, err error)
	// Hours returns the hourly roll-up of target since the given time, oldest first.
	Hours(ctx context.Context, target string, since time.Time) ([]HourStat, error)
	// Days returns the daily roll-up of target from the given Berlin date on, oldest first.
	Days(ctx context.Context, target, from string) ([]DayStat, error)
	// CheckTableSizes counts the rows of the history tables.
	CheckTableSizes(ctx context.Context) (raw, hourly, daily int, err error)

	// OpenAutomaticIncident opens an incident for target unless an automatic one is open.
	OpenAutomaticIncident(ctx context.Context, target, title, message string, at time.Time) error
	// ResolveAutomaticIncidents resolves target's open automatic incidents.
	ResolveAutomaticIncidents(ctx context.Context, target, message string, at time.Time) error
	// OpenIncident opens an incident an operator reports, audited.
	OpenIncident(ctx context.Context, p IncidentPost, actor Actor) (int64, error)
	// UpdateIncident adds an update to an open incident; "resolved" resolves it.
	UpdateIncident(ctx context.Context, id int64, p IncidentPost, actor Actor) error
	// Incidents returns those open now or started since the given time, newest first.
	Incidents(ctx context.Context, since time.Time) ([]Incident, error)
	// ScheduleMaintenance announces a maintenance and, in the same transaction, writes its
	// announcement to the subscribers of TopicMaintenance (the outbox).
	ScheduleMaintenance(ctx context.Context, m Maintenance, actor Actor) (int64, error)
	// CancelMaintenance withdraws an announcement that is not over yet.
	CancelMaintenance(ctx context.Context, id int64, actor Actor) error
	// Maintenances returns the announcements not cancelled that end after since.
	Maintenances(ctx context.Context, since time.Time) ([]Maintenance, error)

	// SaveTargetStatus records a monitored target's state as its prober sees it, so every
	// process of the portal shows the same.
	SaveTargetStatus(ctx context.Context, st TargetStatus) error
	// TargetStatuses returns the recorded state of every target.
	TargetStatuses(ctx context.Context) ([]TargetStatus, error)

	// AddReport stores a pharmacy's report, audited.
	AddReport(ctx context.Context, r Report, actor Actor) error
	// ReportingPharmacies counts the distinct pharmacies that reported kind since t.
	ReportingPharmacies(ctx context.Context, kind ReportKind, since time.Time) (int, error)
}

// Leases let work that must happen once across the portal's processes (probing the national
// service, pruning) run in one of them at a time.
type Leases interface {
	// Lease takes the named lease for holder, or renews it, until ttl from now; it is
	// holder's (true) unless another holder has it and it has not expired. Expiry is judged by
	// the store's clock, the same for every machine.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up, if holder has it, so another may take it at once.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Meta is what the store knows about itself: the demo mark, the search engines' cursors and
// the secrets every process of the portal shares.
type Meta interface {
	MarkDemo(ctx context.Context) error
	IsDemo(ctx context.Context) (bool, error)
	// SearchCursor is the change sequence number up to which the named engine has confirmed
	// the store's changes; 0 when it has none.
	SearchCursor(ctx context.Context, engine string) (int64, error)
	SetSearchCursor(ctx context.Context, engine string, seq int64) error
	// Secret returns the named random secret (32 bytes, made on first use), the same for
	// every process on the store; never shown or logged.
	Secret(ctx context.Context, name string) ([]byte, error)
}

// ImportSummary counts what an import changed.
type ImportSummary struct {
	Inserted int
	Updated  int
}

// Correction is a pharmacy's report that its registry entry is wrong.
type Correction struct {
	ID        int64
	Message   string
	CreatedAt time.Time
}

// DayStat is one day of a target's history.
type DayStat struct {
	Day                   string // Europe/Berlin date
	Total, Down, Degraded int
}

// HourStat is one hour of a target's history.
type HourStat struct {
	Hour                  time.Time // UTC start
	Total, Down, Degraded int
	LatencyAvgMS          int64 // over the probes that got an answer; 0 without any
	LatencyMaxMS          int64
}

// TargetStatus is a monitored target's state as the process probing it last recorded it.
type TargetStatus struct {
	Target    string
	State     string // operational, degraded, down or unknown
	Since     time.Time
	CheckedAt time.Time // the last probe
	Message   string
	P50MS     int64
	P95MS     int64
}
