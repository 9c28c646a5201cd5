package main

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
)

// recordCheck keeps a probe result in the history.
func (a *App) recordCheck(t monitor.Target, r monitor.Result) {
	c := data.Check{Target: t.ID, At: r.At, State: string(r.Outcome), LatencyMS: r.Latency.Milliseconds(), Status: r.Status, Error: r.Error}
	if err := a.store.RecordChecks(context.Background(), []data.Check{c}); err != nil {
		a.log.Warn("record probe result", "target", t.ID, "err", err)
	}
}

// pruneChecks applies the history's retention every interval.
func (a *App) pruneChecks(ctx context.Context, every time.Duration) {
	for {
		if err := a.store.PruneChecks(ctx, a.now()); err != nil && ctx.Err() == nil {
			a.log.Warn("prune probe history", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// reportWindow is how far back pharmacies' failure reports count.
const reportWindow = 15 * time.Minute

// national is the national service's status; unknown when it is not monitored.
func (a *App) national() (monitor.Status, bool) {
	if a.monitor == nil {
		return monitor.Status{State: monitor.Unknown}, false
	}
	s, ok := a.monitor.Status("national")
	return s, ok
}

// banner is what every public page says about the national service.
func (a *App) banner() *views.Banner {
	s, monitored := a.national()
	if !monitored && a.reporting.Load() < int64(a.cfg.ReportThreshold) {
		return nil
	}
	return &views.Banner{State: string(s.State), Reported: a.reporting.Load() >= int64(a.cfg.ReportThreshold)}
}

// countReports keeps the number of reporting pharmacies current, so pages need no query:
// reports age out of the window even when no new one arrives.
func (a *App) countReports(ctx context.Context, every time.Duration) {
	for {
		a.recountReports(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (a *App) recountReports(ctx context.Context) {
	n, err := a.store.ReportingPharmacies(ctx, data.ReportIssuingFailed, a.now().Add(-reportWindow))
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("count reports", "err", err)
		}
		return
	}
	a.reporting.Store(int64(n))
}

type statusJSON struct {
	National   nationalJSON    `json:"national_service"`
	Components []componentJSON `json:"components"`
	Incidents  []any           `json:"incidents"`
	Reports    reportsJSON     `json:"reports"`
}

type nationalJSON struct {
	State     monitor.State       `json:"state"`
	Since     *time.Time          `json:"since"`
	CheckedAt *time.Time          `json:"checked_at"`
	Message   string              `json:"message"`
	Uptime    map[string]*float64 `json:"uptime"`
	LatencyMS map[string]*int64   `json:"latency_ms"`
}

type componentJSON struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	State monitor.State `json:"state"`
}

type reportsJSON struct {
	Last15m   int `json:"last_15m"`
	Threshold int `json:"threshold"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// components are the portal's own parts, checked now.
func (a *App) components(ctx context.Context) []componentJSON {
	store := monitor.Operational
	if err := a.store.Ping(ctx); err != nil {
		store = monitor.Down
	}
	out := []componentJSON{{"store", "Datenbank", store}, {"search-local", "Suche (eingebettet)", monitor.Operational}}
	if a.meili != nil {
		state := monitor.Operational
		if err := a.meili.Healthy(ctx); err != nil {
			state = monitor.Down
		} else if !a.meili.Ready() {
			state = monitor.Degraded
		}
		out = append(out, componentJSON{"search-meilisearch", "Suche (Meilisearch)", state})
	}
	return out
}

// uptimes are the shares of probes that did not find the national service down, per
// window; null where there is no data.
func (a *App) uptimes(ctx context.Context) (map[string]*float64, error) {
	out := map[string]*float64{}
	for label, d := range map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour} {
		u, ok, err := a.store.Uptime(ctx, "national", a.now().Add(-d))
		if err != nil {
			return nil, err
		}
		out[label] = nil
		if ok {
			rounded := math.Round(u*100000) / 1000 // percent, three decimals
			out[label] = &rounded
		}
	}
	return out, nil
}

// statusAPI is GET /api/v1/status.
func (a *App) statusAPI(c echo.Context) error {
	s, _ := a.national()
	uptime, err := a.uptimes(c.Request().Context())
	if err != nil {
		return err
	}
	out := statusJSON{
		National: nationalJSON{State: s.State, Since: timePtr(s.Since), CheckedAt: timePtr(s.CheckedAt), Message: s.Message,
			Uptime: uptime, LatencyMS: map[string]*int64{"p50": nil, "p95": nil}},
		Components: a.components(c.Request().Context()), Incidents: []any{},
		Reports: reportsJSON{Last15m: int(a.reporting.Load()), Threshold: a.cfg.ReportThreshold},
	}
	if !s.CheckedAt.IsZero() {
		out.National.LatencyMS["p50"], out.National.LatencyMS["p95"] = &s.LatencyMS.P50, &s.LatencyMS.P95
	}
	return c.JSON(http.StatusOK, out)
}

// statusPage is GET /status.
func (a *App) statusPage(c echo.Context) error {
	s, monitored := a.national()
	p := views.Status{Page: a.page("Status", false), Monitored: monitored, State: string(s.State), Since: s.Since,
		CheckedAt: s.CheckedAt, Message: s.Message, P50: s.LatencyMS.P50, P95: s.LatencyMS.P95,
		Reports: int(a.reporting.Load()), Threshold: a.cfg.ReportThreshold, GeneratedAt: a.now()}
	for _, comp := range a.components(c.Request().Context()) {
		p.Components = append(p.Components, views.Component{Name: comp.Name, State: string(comp.State)})
	}
	return render(c, http.StatusOK, views.StatusPage(p))
}
