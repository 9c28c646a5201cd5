// Package status holds the status page's rules, between the monitor and the handlers: it
// keeps the monitor's probes in the store's history, opens an incident when an external
// service goes down and resolves it on recovery, prunes the history, counts the pharmacies
// reporting failures, keeps the last known record of history, incidents and maintenance,
// and says what the banner on every public page shows.
package status

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/views"
)

// National is the monitor target of the national issuing service, whose state every public
// page shows.
const National = "national"

// Windows of the status surfaces.
const (
	ReportWindow   = 15 * time.Minute       // how far back pharmacies' failure reports count
	IncidentWindow = 7 * 24 * time.Hour     // how long resolved incidents stay on the page, API and feed
	RecordTTL      = 10 * time.Second       // how old the record may be before it is read again
	recordTimeout  = 500 * time.Millisecond // how long a reader waits for the store before using the last record
)

// Monitor is what the rules read of the monitor.
type Monitor interface {
	Status(id string) (monitor.Status, bool)
	Statuses() []monitor.Status
}

// Store is what the rules keep in the store: the status history, and the national
// service's state changes with the notifications they send.
type Store interface {
	data.Status
	RecordStateChange(ctx context.Context, c data.StateChange) error
}

// Service applies the rules. Its methods are safe for concurrent use.
type Service struct {
	store     Store
	holdUp    time.Duration // how long the national service stays up before "up" is sent
	monitor   Monitor
	threshold int
	log       *slog.Logger
	now       func() time.Time
	record    *lastKnown[Record]
	reporting atomic.Int64 // distinct pharmacies reporting failures within ReportWindow
	// shared is the external targets' states as their prober (maybe another process)
	// recorded them in the store, read every second by ReadShared.
	shared atomic.Pointer[map[string]data.TargetStatus]
}

// New returns the rules over store; threshold is the number of reporting pharmacies that
// raises the banner, holdUp how long the national service must stay up before subscribers
// hear it is back. Watch gives it the monitor.
func New(store Store, threshold int, holdUp time.Duration, log *slog.Logger, now func() time.Time) *Service {
	s := &Service{store: store, threshold: threshold, holdUp: holdUp, log: log, now: now}
	s.record = newLastKnown(RecordTTL, recordTimeout, now, s.load, func(err error) {
		log.Warn("status record not read in time; serving the last known", "err", err)
	})
	return s
}

// Watch attaches the monitor whose states and targets the record and banner follow. The
// monitor is made with RecordCheck and told OnChange, so it comes after the service.
func (s *Service) Watch(m Monitor) { s.monitor = m }

// RecordCheck keeps a probe result in the history and, for an external target, the state
// it leads to in the store, where every process of the portal reads it.
func (s *Service) RecordCheck(t monitor.Target, r monitor.Result) {
	ctx := context.Background()
	c := data.Check{Target: t.ID, At: r.At, State: string(r.Outcome), LatencyMS: r.Latency.Milliseconds(), Status: r.Status, Error: r.Error}
	if err := s.store.RecordChecks(ctx, []data.Check{c}); err != nil {
		s.log.Warn("record probe result", "target", t.ID, "err", err)
	}
	st, ok := s.monitor.Status(t.ID)
	if t.Check != nil || !ok || st.State == monitor.Unknown {
		return // the portal's own parts are each process's; unknown is no news
	}
	if err := s.store.SaveTargetStatus(ctx, data.TargetStatus{Target: st.ID, State: string(st.State), Since: st.Since,
		CheckedAt: st.CheckedAt, Message: st.Message, P50MS: st.LatencyMS.P50, P95MS: st.LatencyMS.P95}); err != nil {
		s.log.Warn("record target state", "target", t.ID, "err", err)
	}
}

// ReadShared reads the external targets' states the prober recorded; run it every second.
func (s *Service) ReadShared(ctx context.Context) {
	sts, err := s.store.TargetStatuses(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("read target states", "err", err)
		}
		return
	}
	m := make(map[string]data.TargetStatus, len(sts))
	for _, st := range sts {
		m[st.Target] = st
	}
	s.shared.Store(&m)
}

// Statuses is every monitored target's status: the portal's own parts as this process
// probes them, external services as last probed by whichever process holds the probing
// lease (this one or another), unknown once that is too old.
func (s *Service) Statuses() []monitor.Status {
	sts := s.monitor.Statuses()
	for i := range sts {
		sts[i] = s.merged(sts[i])
	}
	return sts
}

// Status is one target's status, as Statuses has it.
func (s *Service) Status(id string) (monitor.Status, bool) {
	st, ok := s.monitor.Status(id)
	if !ok {
		return st, false
	}
	return s.merged(st), true
}

// merged is st with the recorded state where that is the more recent.
func (s *Service) merged(st monitor.Status) monitor.Status {
	if st.Internal {
		return st
	}
	if m := s.shared.Load(); m != nil {
		if rec, ok := (*m)[st.ID]; ok && rec.CheckedAt.After(st.CheckedAt) {
			st.State, st.Since, st.CheckedAt, st.Message = monitor.State(rec.State), rec.Since, rec.CheckedAt, rec.Message
			st.LatencyMS.P50, st.LatencyMS.P95 = rec.P50MS, rec.P95MS
		}
	}
	return st.Current(s.now())
}

// OnChange turns an external service going down into an incident, and its recovery into
// the incident's resolution; for the national service in the same transaction as the
// notifications its subscribers are to get (the outbox). The portal's own parts show as
// components: their failures are the fallbacks' business, not an incident for citizens.
func (s *Service) OnChange(ch monitor.Change) {
	s.log.Info("monitored state", "target", ch.Target.ID, "from", ch.From, "to", ch.To, "message", ch.Message)
	if ch.Target.Check != nil {
		return
	}
	ctx := context.Background()
	consequence := "Die Ausstellung von Zertifikaten kann betroffen sein."
	if ch.Target.ID == National {
		consequence = "Apotheken nehmen Ihre Daten auf und stellen das Zertifikat später aus."
	}
	title, opened := ch.Target.Name+": gestört", "Automatisch erkannt: "+ch.Message+". "+consequence
	const recovered = "Der Dienst antwortet wieder normal."
	var err error
	switch topic, ok := topics[ch.To]; {
	case ch.Target.ID == National && ok:
		c := data.StateChange{Target: ch.Target.ID, To: topic, At: ch.At, Message: ch.Message, HoldUp: s.holdUp,
			IncidentTitle: title, IncidentMessage: opened}
		if topic == data.TopicUp {
			c.Message = recovered
		}
		err = s.store.RecordStateChange(ctx, c)
	case ch.To == monitor.Down:
		err = s.store.OpenAutomaticIncident(ctx, ch.Target.ID, title, opened, ch.At)
	case ch.To == monitor.Operational:
		err = s.store.ResolveAutomaticIncidents(ctx, ch.Target.ID, recovered, ch.At)
	}
	if err != nil {
		s.log.Warn("incident", "target", ch.Target.ID, "err", err)
	}
	s.record.forget()
}

// topics are the notifications of the monitor's states.
var topics = map[monitor.State]data.Topic{monitor.Down: data.TopicDown, monitor.Degraded: data.TopicDegraded, monitor.Operational: data.TopicUp}

// Prune applies the history's retention.
func (s *Service) Prune(ctx context.Context) {
	if err := s.store.PruneChecks(ctx, s.now()); err != nil && ctx.Err() == nil {
		s.log.Warn("prune probe history", "err", err)
	}
}

// RecountReports keeps the number of reporting pharmacies current, so pages need no query;
// run it after each report and every few seconds, as reports age out of the window.
func (s *Service) RecountReports(ctx context.Context) {
	n, err := s.store.ReportingPharmacies(ctx, data.ReportIssuingFailed, s.now().Add(-ReportWindow))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("count reports", "err", err)
		}
		return
	}
	s.reporting.Store(int64(n))
}

// Reporting is how many pharmacies reported failures within ReportWindow, and how many
// raise the banner.
func (s *Service) Reporting() (n, threshold int) { return int(s.reporting.Load()), s.threshold }

// National is the national service's status; unknown when it is not monitored.
func (s *Service) National() (monitor.Status, bool) {
	st, ok := s.Status(National)
	if !ok {
		return monitor.Status{State: monitor.Unknown}, false
	}
	return st, true
}

// Banner is what every public page says about the national service: from the monitor's
// memory and the last known record, so a page never waits for the store. Nil when there is
// nothing to say.
func (s *Service) Banner() *views.Banner {
	b, ok := s.BannerState()
	if !ok {
		return nil
	}
	return &b
}

// BannerState is Banner as a value (no allocation, for the cache key of every page); false
// when there is nothing to say.
func (s *Service) BannerState() (views.Banner, bool) {
	st, monitored := s.National()
	b := views.Banner{State: string(st.State), Monitored: monitored, Reported: s.reporting.Load() >= int64(s.threshold)}
	if r, ok := s.record.peek(); ok {
		for _, m := range r.Maintenances {
			if m.Target == National && m.State(s.now()) == data.MaintenanceInProgress {
				b.Maintenance, b.Until = m.Title, m.EndsAt
			}
		}
	}
	if !monitored && !b.Reported && b.Maintenance == "" {
		return views.Banner{}, false
	}
	return b, true
}
