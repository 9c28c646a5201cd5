package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/views"
)

// statusRecord is what the status surfaces read from the store: history, incidents and
// maintenance. Gathering it takes a few queries, so it is kept as last known (see
// lastKnown) and read at most every statusTTL; the live states come from the monitor.
type statusRecord struct {
	Histories    []views.History // per external service, the national service first
	Incidents    []data.Incident
	Maintenances []data.Maintenance
}

const (
	statusTTL     = 10 * time.Second       // how old the record may be before it is read again
	statusTimeout = 500 * time.Millisecond // how long a reader waits for the store before using the last record
)

var uptimeWindows = []struct {
	Key, Label string
	Span       time.Duration
}{
	{"24h", "24 Stunden", 24 * time.Hour}, {"7d", "7 Tage", 7 * 24 * time.Hour},
	{"30d", "30 Tage", 30 * 24 * time.Hour}, {"90d", "90 Tage", 90 * 24 * time.Hour},
}

// loadStatusRecord reads the record from the store.
func (a *App) loadStatusRecord(ctx context.Context) (statusRecord, error) {
	var r statusRecord
	now := a.now()
	for _, s := range a.monitor.Statuses() {
		if s.Internal {
			continue
		}
		h, err := a.history(ctx, s.ID, s.Name, now)
		if err != nil {
			return r, err
		}
		r.Histories = append(r.Histories, h)
	}
	var err error
	if r.Incidents, err = a.store.Incidents(ctx, now.Add(-incidentWindow)); err != nil {
		return r, err
	}
	if r.Maintenances, err = a.store.Maintenances(ctx, now.Add(-24*time.Hour)); err != nil {
		return r, err
	}
	return r, nil
}

// history is one service's uptimes, its last 90 Berlin days and last 48 hours.
func (a *App) history(ctx context.Context, id, name string, now time.Time) (views.History, error) {
	h := views.History{ID: id, Name: name}
	for _, w := range uptimeWindows {
		u, ok, err := a.store.Uptime(ctx, id, now.Add(-w.Span))
		if err != nil {
			return h, err
		}
		entry := views.Uptime{Label: w.Label}
		if ok {
			rounded := math.Round(u*100000) / 1000 // percent, three decimals
			entry.Percent = &rounded
		}
		h.Uptime = append(h.Uptime, entry)
	}
	today := now.In(data.Berlin())
	first := time.Date(today.Year(), today.Month(), today.Day()-89, 0, 0, 0, 0, data.Berlin())
	days, err := a.store.Days(ctx, id, first.Format(time.DateOnly))
	if err != nil {
		return h, err
	}
	byDay := map[string]views.Day{}
	for _, d := range days {
		byDay[d.Day] = views.Day{Total: d.Total, Down: d.Down, Degraded: d.Degraded}
	}
	for i := range 90 {
		date := time.Date(first.Year(), first.Month(), first.Day()+i, 12, 0, 0, 0, data.Berlin())
		d := byDay[date.Format(time.DateOnly)]
		d.Date = date
		h.Days = append(h.Days, d)
	}
	start := now.Add(-47 * time.Hour).UTC().Truncate(time.Hour)
	hours, err := a.store.Hours(ctx, id, start)
	if err != nil {
		return h, err
	}
	byHour := map[time.Time]views.Hour{}
	for _, s := range hours {
		byHour[s.Hour] = views.Hour{Start: s.Hour, Total: s.Total, Down: s.Down, AvgMS: s.LatencyAvgMS, MaxMS: s.LatencyMaxMS}
	}
	for i := range 48 {
		at := start.Add(time.Duration(i) * time.Hour)
		hour := byHour[at]
		hour.Start = at
		h.Hours = append(h.Hours, hour)
	}
	return h, nil
}

// statusRecord returns the last known record, when it was read, and whether it is older
// than it should be because the store was slow.
func (a *App) statusRecord(ctx context.Context) (statusRecord, time.Time, bool, error) {
	r, at, err := a.status.get(ctx)
	if err != nil {
		return r, at, false, fmt.Errorf("status record: %w", err)
	}
	return r, at, a.now().Sub(at) > 2*statusTTL, nil
}

// refreshStatusRecord reads the record if it is due, so requests seldom wait for it.
func (a *App) refreshStatusRecord(ctx context.Context) {
	if _, _, err := a.status.get(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("status record", "err", err)
	}
}
