package data

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Incident states, in the order an incident usually goes through them.
const (
	IncidentInvestigating = "investigating"
	IncidentIdentified    = "identified"
	IncidentMonitoring    = "monitoring"
	IncidentResolved      = "resolved"
)

// Incident is a disruption of a monitored service, with its timeline.
type Incident struct {
	ID         int64
	Target     string
	Title      string
	State      string
	Automatic  bool
	StartedAt  time.Time
	ResolvedAt *time.Time
	Updates    []IncidentUpdate
}

// IncidentUpdate is one entry of an incident's timeline.
type IncidentUpdate struct {
	At      time.Time
	State   string
	Message string
}

// IncidentPost is what an operator posts: a new incident, or an update of one.
type IncidentPost struct {
	Target  string // what is affected: a monitored target's id
	Title   string // only for a new incident
	State   string
	Message string
}

// Validate checks a post; a new incident needs a title and cannot start resolved.
func (p IncidentPost) Validate(isNew bool) error {
	switch {
	case isNew && (strings.TrimSpace(p.Title) == "" || utf8.RuneCountInString(p.Title) > 120):
		return &Error{Code: EINVALID, Field: "title", Message: "a title of 1 to 120 characters is required"}
	case isNew && p.Target == "":
		return &Error{Code: EINVALID, Field: "target", Message: "say which service is affected"}
	case !slices.Contains([]string{IncidentInvestigating, IncidentIdentified, IncidentMonitoring, IncidentResolved}, p.State),
		isNew && p.State == IncidentResolved:
		return &Error{Code: EINVALID, Field: "state", Message: fmt.Sprintf("%q is not a state an incident can be in here", p.State)}
	case strings.TrimSpace(p.Message) == "" || utf8.RuneCountInString(p.Message) > 2000:
		return &Error{Code: EINVALID, Field: "message", Message: "a message of 1 to 2000 characters is required"}
	}
	return checkTitleAndMessage(p.Title, p.Message)
}

// checkTitleAndMessage holds what the public reads on the status page and in the feed to
// the rules of every text people write: no control or bidirectional characters.
func checkTitleAndMessage(title, message string) error {
	if err := CheckLine("title", title, 120); err != nil {
		return err
	}
	return CheckText("message", message, 2000)
}

// Maintenance is announced planned work on a service.
type Maintenance struct {
	ID               int64
	Target           string
	Title, Message   string
	StartsAt, EndsAt time.Time
}

// Announcement is what its subscribers are told of a maintenance: the title, and the text
// on a line of its own when there is one.
func (m Maintenance) Announcement() string {
	if m.Message == "" {
		return m.Title
	}
	return m.Title + "\n" + m.Message
}

// Maintenance states, from the clock.
const (
	MaintenanceScheduled  = "scheduled"
	MaintenanceInProgress = "in_progress"
	MaintenanceCompleted  = "completed"
)

// State of the maintenance at now.
func (m Maintenance) State(now time.Time) string {
	switch {
	case now.Before(m.StartsAt):
		return MaintenanceScheduled
	case now.Before(m.EndsAt):
		return MaintenanceInProgress
	}
	return MaintenanceCompleted
}

// Validate checks an announcement made at now: it must end after it starts, not lie in
// the past, and last at most a week.
func (m Maintenance) Validate(now time.Time) error {
	switch {
	case m.Target == "":
		return &Error{Code: EINVALID, Field: "target", Message: "say which service is affected"}
	case strings.TrimSpace(m.Title) == "" || utf8.RuneCountInString(m.Title) > 120:
		return &Error{Code: EINVALID, Field: "title", Message: "a title of 1 to 120 characters is required"}
	case utf8.RuneCountInString(m.Message) > 2000:
		return &Error{Code: EINVALID, Field: "message", Message: "at most 2000 characters"}
	case m.StartsAt.IsZero():
		return &Error{Code: EINVALID, Field: "starts_at", Message: "a start is required"}
	case !m.EndsAt.After(m.StartsAt):
		return &Error{Code: EINVALID, Field: "ends_at", Message: "the end must come after the start"}
	case !m.EndsAt.After(now):
		return &Error{Code: EINVALID, Field: "ends_at", Message: "the maintenance would already be over"}
	case m.EndsAt.Sub(m.StartsAt) > 7*24*time.Hour:
		return &Error{Code: EINVALID, Field: "ends_at", Message: "a maintenance lasts at most 7 days"}
	}
	return checkTitleAndMessage(m.Title, m.Message)
}
