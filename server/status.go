package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/server/status"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
)

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
	for _, s := range a.status.Statuses() {
		if s.ID != status.National {
			out = append(out, componentJSON{s.ID, s.Name, s.State})
		}
	}
	return out
}

// statusCacheControl lets browsers and proxies keep status answers briefly: the record is
// read at most every status.RecordTTL anyway.
const statusCacheControl = "public, max-age=10"

// statusAPI is GET /api/v1/status.
func (a *App) statusAPI(c echo.Context) error {
	s, _ := a.status.National()
	r, at, _, err := a.status.Record(c.Request().Context())
	if err != nil {
		return err
	}
	reporting, threshold := a.status.Reporting()
	out := statusJSON{
		National: nationalJSON{State: s.State, Since: timePtr(s.Since), CheckedAt: timePtr(s.CheckedAt), Message: s.Message,
			Uptime: r.NationalUptime(), LatencyMS: map[string]*int64{"p50": nil, "p95": nil}},
		Components: a.components(), Incidents: incidentsJSON(r.Incidents), Maintenances: a.maintenancesJSON(r.Maintenances),
		Reports:     reportsJSON{Last15m: reporting, Threshold: threshold},
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
	return a.renderStatus(c, http.StatusOK, views.MailForm{})
}

// renderStatus renders the status page with the e-mail form as given (offered when the
// portal has a mail server).
func (a *App) renderStatus(c echo.Context, code int, form views.MailForm) error {
	form.Offered = a.postbox != nil
	s, monitored := a.status.National()
	r, at, stale, err := a.status.Record(c.Request().Context())
	if err != nil {
		return err
	}
	reporting, threshold := a.status.Reporting()
	p := views.Status{Page: a.page(langOf(c).T("Status"), false).In(views.SectionStatus), Monitored: monitored, State: string(s.State), Since: s.Since,
		CheckedAt: s.CheckedAt, Message: s.Message, P50: s.LatencyMS.P50, P95: s.LatencyMS.P95,
		Reports: reporting, Threshold: threshold, GeneratedAt: a.now(),
		Histories: r.Histories, Incidents: r.Incidents, Maintenances: r.Maintenances, HistoryAsOf: at, Stale: stale, Mail: form}
	for _, st := range a.status.Statuses() {
		comp := views.Component{Name: st.Name, State: string(st.State)}
		switch {
		case st.Internal:
			p.Components = append(p.Components, comp)
		case st.ID != status.National:
			p.Services = append(p.Services, comp)
		}
	}
	if code == http.StatusOK {
		c.Response().Header().Set(echo.HeaderCacheControl, statusCacheControl)
	}
	return render(c, code, views.StatusPage(p))
}

// statusBadge is GET /status/badge.svg: the national service's state as a badge.
func (a *App) statusBadge(c echo.Context) error {
	s, _ := a.status.National()
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
	r, _, _, err := a.status.Record(c.Request().Context())
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
