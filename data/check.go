package data

import "time"

// Check is one probe of a monitored target.
type Check struct {
	Target    string
	At        time.Time
	State     string // operational, degraded or down
	LatencyMS int64
	Status    int
	Error     string
}

// Retention of probe results.
const (
	RawCheckRetention    = 48 * time.Hour
	HourlyCheckRetention = 90 * 24 * time.Hour
	DailyCheckRetention  = 400 * 24 * time.Hour
)
