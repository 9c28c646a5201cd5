package status

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
)

// Record is what the status surfaces read from the store: history, incidents and
// maintenance. Gathering it takes a few queries, so it is kept as last known and read at
// most every RecordTTL; the live states come from the monitor.
type Record struct {
	Histories    []views.History // per external service, the national service first
	Incidents    []data.Incident
	Maintenances []data.Maintenance
}

var uptimeWindows = []struct {
	Key, Label string
	Span       time.Duration
}{
	{"24h", i18n.Key("24 Stunden"), 24 * time.Hour}, {"7d", i18n.Key("7 Tage"), 7 * 24 * time.Hour},
	{"30d", i18n.Key("30 Tage"), 30 * 24 * time.Hour}, {"90d", i18n.Key("90 Tage"), 90 * 24 * time.Hour},
}

// Record returns the last known record, when it was read, and whether it is older than it
// should be because the store was slow. It fails only when it was never read.
func (s *Service) Record(ctx context.Context) (r Record, at time.Time, stale bool, err error) {
	r, at, err = s.record.get(ctx)
	if err != nil {
		return r, at, false, fmt.Errorf("status record: %w", err)
	}
	return r, at, s.now().Sub(at) > 2*RecordTTL, nil
}

// Refresh reads the record if it is due, so requests seldom wait for it.
func (s *Service) Refresh(ctx context.Context) {
	if _, _, err := s.record.get(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("status record", "err", err)
	}
}

// Forget makes the next reader read the record again, after a change people must see at
// once (an operator's incident update).
func (s *Service) Forget() { s.record.forget() }

// NationalUptime is the national service's uptime per window ("24h", "7d", "30d", "90d");
// nil where there is no data.
func (r Record) NationalUptime() map[string]*float64 {
	out := map[string]*float64{}
	for _, w := range uptimeWindows {
		out[w.Key] = nil
	}
	for _, h := range r.Histories {
		if h.ID == National {
			for i, w := range uptimeWindows {
				out[w.Key] = h.Uptime[i].Percent
			}
		}
	}
	return out
}

// load reads the record from the store.
func (s *Service) load(ctx context.Context) (Record, error) {
	var r Record
	now := s.now()
	for _, st := range s.monitor.Statuses() {
		if st.Internal {
			continue
		}
		h, err := s.history(ctx, st.ID, st.Name, now)
		if err != nil {
			return r, err
		}
		r.Histories = append(r.Histories, h)
	}
	var err error
	if r.Incidents, err = s.store.Incidents(ctx, now.Add(-IncidentWindow)); err != nil {
		return r, err
	}
	if r.Maintenances, err = s.store.Maintenances(ctx, now.Add(-24*time.Hour)); err != nil {
		return r, err
	}
	return r, nil
}

// history is one service's uptimes, its last 90 Berlin days and last 48 hours.
func (s *Service) history(ctx context.Context, id, name string, now time.Time) (views.History, error) {
	h := views.History{ID: id, Name: name}
	for _, w := range uptimeWindows {
		u, ok, err := s.store.Uptime(ctx, id, now.Add(-w.Span))
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
	days, err := s.store.Days(ctx, id, first.Format(time.DateOnly))
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
	hours, err := s.store.Hours(ctx, id, start)
	if err != nil {
		return h, err
	}
	byHour := map[time.Time]views.Hour{}
	for _, st := range hours {
		byHour[st.Hour] = views.Hour{Start: st.Hour, Total: st.Total, Down: st.Down, AvgMS: st.LatencyAvgMS, MaxMS: st.LatencyMaxMS}
	}
	for i := range 48 {
		at := start.Add(time.Duration(i) * time.Hour)
		hour := byHour[at]
		hour.Start = at
		h.Hours = append(h.Hours, hour)
	}
	return h, nil
}
