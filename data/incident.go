package data

import "time"

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
