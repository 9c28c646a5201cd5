package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
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

// openOrResolveIncident turns an external service going down into an incident, and its
// recovery into the incident's resolution. The portal's own parts show as components: their
// failures are the fallbacks' business, not an incident for citizens.
func (a *App) openOrResolveIncident(ch monitor.Change) {
	a.log.Info("monitored state", "target", ch.Target.ID, "from", ch.From, "to", ch.To, "message", ch.Message)
	if ch.Target.Check != nil {
		return
	}
	ctx := context.Background()
	var err error
	switch {
	case ch.To == monitor.Down:
		consequence := "Die Ausstellung von Zertifikaten kann betroffen sein."
		if ch.Target.ID == nationalTarget {
			consequence = "Apotheken nehmen Ihre Daten auf und stellen das Zertifikat später aus."
		}
		err = a.store.OpenAutomaticIncident(ctx, ch.Target.ID, ch.Target.Name+": gestört",
			"Automatisch erkannt: "+ch.Message+". "+consequence, ch.At)
	case ch.To == monitor.Operational:
		err = a.store.ResolveAutomaticIncidents(ctx, ch.Target.ID, "Der Dienst antwortet wieder normal.", ch.At)
	}
	if err != nil {
		a.log.Warn("incident", "target", ch.Target.ID, "err", err)
	}
	a.status.forget()
}

// pruneChecks applies the history's retention.
func (a *App) pruneChecks(ctx context.Context) {
	if err := a.store.PruneChecks(ctx, a.now()); err != nil && ctx.Err() == nil {
		a.log.Warn("prune probe history", "err", err)
	}
}

// reportWindow is how far back pharmacies' failure reports count.
const reportWindow = 15 * time.Minute

// national is the national service's status; unknown when it is not monitored.
func (a *App) national() (monitor.Status, bool) {
	s, ok := a.monitor.Status(nationalTarget)
	if !ok {
		return monitor.Status{State: monitor.Unknown}, false
	}
	return s, true
}

// banner is what every public page says about the national service: from the monitor's
// memory and the last known status record, so a page never waits for the store.
func (a *App) banner() *views.Banner {
	s, monitored := a.national()
	b := &views.Banner{State: string(s.State), Reported: a.reporting.Load() >= int64(a.cfg.ReportThreshold)}
	if r, ok := a.status.peek(); ok {
		for _, m := range r.Maintenances {
			if m.Target == nationalTarget && m.State(a.now()) == data.MaintenanceInProgress {
				b.Maintenance, b.Until = m.Title, m.EndsAt
			}
		}
	}
	if !monitored && !b.Reported && b.Maintenance == "" {
		return nil
	}
	return b
}

// recountReports keeps the number of reporting pharmacies current, so pages need no query;
// it runs after each report and every 10 s, as reports age out of the window.
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
	National     nationalJSON      `json:"national_service"`
	Components   []componentJSON   `json:"components"`
	Incidents    []incidentJSON    `json:"incidents"`
	Maintenances []maintenanceJSON `json:"maintenances"`
	Reports      reportsJSON       `json:"reports"`
	HistoryAsOf  *time.Time        `json:"history_as_of"` // when uptime, incidents and maintenance were read
}

type nationalJSON struct {
	State     monitor.State       `json:"state"`
	Since     *time.Time          `json:"since"`
	CheckedAt *time.Time          `json:"checked_at"`
	Message   string              `json:"message"`
	Uptime    map[string]*float64 `json:"uptime"`
	LatencyMS map[string]*int64   `json:"latency_ms"`
}

type incidentJSON struct {
	ID         int64        `json:"id"`
	Target     string       `json:"target"`
	Title      string       `json:"title"`
	State      string       `json:"state"`
	StartedAt  *time.Time   `json:"started_at"`
	ResolvedAt *time.Time   `json:"resolved_at"`
	Updates    []updateJSON `json:"updates"`
}

type updateJSON struct {
	At      *time.Time `json:"at"`
	State   string     `json:"state"`
	Message string     `json:"message"`
}

// incidentWindow is how long resolved incidents stay on the status page, API and feed.
const incidentWindow = 7 * 24 * time.Hour

func incidentsJSON(ins []data.Incident) []incidentJSON {
	out := []incidentJSON{}
	for _, in := range ins {
		j := incidentJSON{ID: in.ID, Target: in.Target, Title: in.Title, State: in.State, StartedAt: timePtr(in.StartedAt), Updates: []updateJSON{}}
		if in.ResolvedAt != nil {
			j.ResolvedAt = timePtr(*in.ResolvedAt)
		}
		for _, u := range in.Updates {
			j.Updates = append(j.Updates, updateJSON{At: timePtr(u.At), State: u.State, Message: u.Message})
		}
		out = append(out, j)
	}
	return out
}

type maintenanceJSON struct {
	ID       int64      `json:"id"`
	Target   string     `json:"target"`
	Title    string     `json:"title"`
	Message  string     `json:"message"`
	State    string     `json:"state"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

func (a *App) maintenancesJSON(ms []data.Maintenance) []maintenanceJSON {
	out := []maintenanceJSON{}
	for _, m := range ms {
		out = append(out, maintenanceJSON{ID: m.ID, Target: m.Target, Title: m.Title, Message: m.Message, State: m.State(a.now()),
			StartsAt: timePtr(m.StartsAt), EndsAt: timePtr(m.EndsAt)})
	}
	return out
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

// components are every monitored target but the national service: further services of
// the monitor config, then the portal's own parts, as the monitor last saw them.
func (a *App) components() []componentJSON {
	out := []componentJSON{}
	for _, s := range a.monitor.Statuses() {
		if s.ID != nationalTarget {
			out = append(out, componentJSON{s.ID, s.Name, s.State})
		}
	}
	return out
}

// nationalUptime is the national service's uptime per window from the record; null where
// there is no data.
func nationalUptime(r statusRecord) map[string]*float64 {
	out := map[string]*float64{}
	for _, w := range uptimeWindows {
		out[w.Key] = nil
	}
	for _, h := range r.Histories {
		if h.ID == nationalTarget {
			for i, w := range uptimeWindows {
				out[w.Key] = h.Uptime[i].Percent
			}
		}
	}
	return out
}

// statusCacheControl lets browsers and proxies keep status answers briefly: the record is
// read at most every statusTTL anyway.
const statusCacheControl = "public, max-age=10"

// statusAPI is GET /api/v1/status.
func (a *App) statusAPI(c echo.Context) error {
	s, _ := a.national()
	r, at, _, err := a.statusRecord(c.Request().Context())
	if err != nil {
		return err
	}
	out := statusJSON{
		National: nationalJSON{State: s.State, Since: timePtr(s.Since), CheckedAt: timePtr(s.CheckedAt), Message: s.Message,
			Uptime: nationalUptime(r), LatencyMS: map[string]*int64{"p50": nil, "p95": nil}},
		Components: a.components(), Incidents: incidentsJSON(r.Incidents), Maintenances: a.maintenancesJSON(r.Maintenances),
		Reports:     reportsJSON{Last15m: int(a.reporting.Load()), Threshold: a.cfg.ReportThreshold},
		HistoryAsOf: timePtr(at),
	}
	if !s.CheckedAt.IsZero() {
		out.National.LatencyMS["p50"], out.National.LatencyMS["p95"] = &s.LatencyMS.P50, &s.LatencyMS.P95
	}
	c.Response().Header().Set(echo.HeaderCacheControl, statusCacheControl)
	return c.JSON(http.StatusOK, out)
}

// statusPage is GET /status.
func (a *App) statusPage(c echo.Context) error {
	s, monitored := a.national()
	r, at, stale, err := a.statusRecord(c.Request().Context())
	if err != nil {
		return err
	}
	p := views.Status{Page: a.page("Status", false), Monitored: monitored, State: string(s.State), Since: s.Since,
		CheckedAt: s.CheckedAt, Message: s.Message, P50: s.LatencyMS.P50, P95: s.LatencyMS.P95,
		Reports: int(a.reporting.Load()), Threshold: a.cfg.ReportThreshold, GeneratedAt: a.now(),
		Histories: r.Histories, Incidents: r.Incidents, Maintenances: r.Maintenances, HistoryAsOf: at, Stale: stale}
	for _, st := range a.monitor.Statuses() {
		comp := views.Component{Name: st.Name, State: string(st.State)}
		switch {
		case st.Internal:
			p.Components = append(p.Components, comp)
		case st.ID != nationalTarget:
			p.Services = append(p.Services, comp)
		}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, statusCacheControl)
	return render(c, http.StatusOK, views.StatusPage(p))
}

// statusBadge is GET /status/badge.svg: the national service's state as a badge.
func (a *App) statusBadge(c echo.Context) error {
	s, _ := a.national()
	label, color := "unbekannt", "#6b6b6b"
	switch s.State {
	case monitor.Operational:
		label, color = "in Betrieb", "#1b6e20"
	case monitor.Degraded:
		label, color = "eingeschränkt", "#8a5300"
	case monitor.Down:
		label, color = "gestört", "#b00020"
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=30")
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="230" height="20" role="img" aria-label="Zentraler Ausstellungsserver: %[1]s">`+
		`<title>Zentraler Ausstellungsserver: %[1]s</title><rect width="140" height="20" fill="#444"/><rect x="140" width="90" height="20" fill="%[2]s"/>`+
		`<g fill="#fff" font-family="Verdana,sans-serif" font-size="11"><text x="6" y="14">Ausstellungsserver</text><text x="146" y="14">%[1]s</text></g></svg>`,
		label, color)
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(svg))
}

// statusFeed is GET /status/feed.atom: incidents as an Atom feed.
func (a *App) statusFeed(c echo.Context) error {
	r, _, _, err := a.statusRecord(c.Request().Context())
	if err != nil {
		return err
	}
	ins := r.Incidents
	base := a.cfg.publicBase() // never the request's Host: the feed is cached publicly
	feed := atomFeed{XMLNS: "http://www.w3.org/2005/Atom", Title: "apoportal: Störungen", ID: base + "/status",
		Updated: a.now().UTC().Format(time.RFC3339), Link: atomLink{Href: base + "/status"}}
	for _, in := range ins {
		updated := in.StartedAt
		var lines []string
		for _, u := range in.Updates {
			updated = u.At
			lines = append(lines, u.At.In(data.Berlin()).Format("02.01.2006 15:04")+" ("+u.State+"): "+u.Message)
		}
		feed.Entries = append(feed.Entries, atomEntry{Title: in.Title + " (" + in.State + ")",
			ID: fmt.Sprintf("%s/status#incident-%d", base, in.ID), Updated: updated.UTC().Format(time.RFC3339),
			Content: strings.Join(lines, "\n"), Link: atomLink{Href: base + "/status"}})
	}
	body, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=60")
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), body...))
}

type atomFeed struct {
	XMLName xml.Name    `xml:"feed"`
	XMLNS   string      `xml:"xmlns,attr"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Link    atomLink    `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Content string   `xml:"content"`
	Link    atomLink `xml:"link"`
}
