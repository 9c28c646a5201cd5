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

// CheckHour is the hourly roll-up a probe at t counts in: the UTC hour it started in.
func CheckHour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// CheckDay is the daily roll-up a probe at t counts in: its Europe/Berlin calendar day.
func CheckDay(t time.Time) string { return t.In(Berlin()).Format(time.DateOnly) }

// CheckCutoffs are the oldest raw probe, hour and day each history table keeps at now.
func CheckCutoffs(now time.Time) (raw, hour time.Time, day string) {
	return now.Add(-RawCheckRetention), CheckHour(now.Add(-HourlyCheckRetention)), CheckDay(now.Add(-DailyCheckRetention))
}

// Counts reports whether the probe found its target down or degraded (for the roll-ups) and
// the response time it counts: only answers count, a timeout says nothing about speed.
func (c Check) Counts() (down, degraded int, latencyMS int64) {
	if c.State == "down" {
		return 1, 0, 0
	}
	if c.State == "degraded" {
		return 0, 1, c.LatencyMS
	}
	return 0, 0, c.LatencyMS
}
