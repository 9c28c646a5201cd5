package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/status"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// adminStatus is GET /admin/status: open incidents, forms for incidents and maintenance.
func (a *App) adminStatus(c echo.Context) error {
	return a.renderAdminStatus(c, http.StatusOK, views.AdminStatus{})
}

func (a *App) renderAdminStatus(c echo.Context, code int, p views.AdminStatus) error {
	ctx := c.Request().Context()
	ins, err := a.store.Incidents(ctx, a.now().Add(-status.IncidentWindow))
	if err != nil {
		return err
	}
	for _, in := range ins {
		if in.ResolvedAt == nil {
			p.Open = append(p.Open, in)
		}
	}
	if p.Maintenances, err = a.store.Maintenances(ctx, a.now()); err != nil {
		return err
	}
	for _, s := range a.monitor.Statuses() {
		p.Targets = append(p.Targets, views.Link{Label: s.Name, URL: s.ID})
	}
	p.Page, p.CSRF, p.Now = a.page("Störungen und Wartung", false), csrfToken(c), a.now()
	return render(c, code, views.AdminStatusPage(p))
}

// adminOpenIncident is POST /admin/status/stoerung.
func (a *App) adminOpenIncident(c echo.Context) error {
	post := incidentPost(c)
	if _, ok := a.monitor.Status(post.Target); !ok {
		return a.afterStatusPost(c, &data.Error{Code: data.EINVALID, Field: "target", Message: "not a monitored service"}, "")
	}
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	_, err = a.store.OpenIncident(c.Request().Context(), post, a.actor(c, op))
	return a.afterStatusPost(c, err, "Störung veröffentlicht.")
}

// adminUpdateIncident is POST /admin/status/stoerung/{id}.
func (a *App) adminUpdateIncident(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	err = a.store.UpdateIncident(c.Request().Context(), id, incidentPost(c), a.actor(c, op))
	return a.afterStatusPost(c, err, "Update veröffentlicht.")
}

// incidentPost reads the incident forms.
func incidentPost(c echo.Context) data.IncidentPost {
	return data.IncidentPost{Target: c.FormValue("target"), Title: c.FormValue("title"), State: c.FormValue("state"), Message: c.FormValue("message")}
}

// adminScheduleMaintenance is POST /admin/status/wartung; times are German local time.
func (a *App) adminScheduleMaintenance(c echo.Context) error {
	m := data.Maintenance{Target: c.FormValue("target"), Title: c.FormValue("title"), Message: c.FormValue("message")}
	if _, ok := a.monitor.Status(m.Target); !ok {
		return a.afterStatusPost(c, &data.Error{Code: data.EINVALID, Field: "target", Message: "not a monitored service"}, "")
	}
	for _, f := range []struct {
		name string
		into *time.Time
	}{{"starts_at", &m.StartsAt}, {"ends_at", &m.EndsAt}} {
		t, err := time.ParseInLocation("2006-01-02T15:04", c.FormValue(f.name), data.Berlin())
		if err != nil {
			return a.afterStatusPost(c, &data.Error{Code: data.EINVALID, Field: f.name, Message: "date and time like 2021-06-15T22:00 expected"}, "")
		}
		*f.into = t
	}
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	_, err = a.store.ScheduleMaintenance(c.Request().Context(), m, a.actor(c, op))
	return a.afterStatusPost(c, err, "Wartung angekündigt.")
}

// adminCancelMaintenance is POST /admin/status/wartung/{id}/absagen.
func (a *App) adminCancelMaintenance(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	err = a.store.CancelMaintenance(c.Request().Context(), id, a.actor(c, op))
	return a.afterStatusPost(c, err, "Wartung abgesagt.")
}

// afterStatusPost shows the page again: with the notice and the public record refreshed
// at once, or with what was wrong and nothing changed.
func (a *App) afterStatusPost(c echo.Context, err error, notice string) error {
	var e *data.Error
	switch {
	case err == nil:
		a.status.Forget()
		return a.renderAdminStatus(c, http.StatusOK, views.AdminStatus{Notice: notice})
	case errors.As(err, &e) && e.Code != data.EINTERNAL:
		status, _ := a.describe(err, c, i18n.German)
		return a.renderAdminStatus(c, status, views.AdminStatus{Error: data.ErrorMessage(err), Field: e.Field,
			Posted: c.Request().URL.Path, Values: c.Request().PostForm})
	}
	return err
}
