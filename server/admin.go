package main

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// requireOperator lets only operators through; it runs after requireAccount.
func requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		acc, err := accountOf(c)
		if err != nil {
			return err
		}
		if acc.Role != data.RoleOperator {
			return echo.NewHTTPError(http.StatusForbidden, i18n.Key("Nur für das Betreiberteam."))
		}
		return next(c)
	}
}

var registryIDRE = regexp.MustCompile(`^[0-9]{9}$`)

// adminHome is GET /admin: find a pharmacy by id, name, town or PLZ.
func (a *App) adminHome(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	p := views.AdminHome{Page: a.page("Betrieb", false), Q: q}
	if q != "" {
		if registryIDRE.MatchString(q) || strings.HasPrefix(q, "osm-") {
			if ph, err := a.store.Pharmacy(c.Request().Context(), q); err == nil {
				p.Results = append(p.Results, ph)
			}
		}
		if len(p.Results) == 0 {
			resp, err := a.search(c.Request().Context(), search.Request{Q: q, RadiusKm: 5, Limit: 50})
			if err != nil {
				return err
			}
			for _, h := range resp.Hits {
				p.Results = append(p.Results, h.Pharmacy)
			}
			p.Message = views.NoticeText(i18n.German, resp.Notice)
		}
	}
	return render(c, http.StatusOK, views.AdminHomePage(p))
}

// adminPharmacy is GET /admin/apotheke/{id}.
func (a *App) adminPharmacy(c echo.Context) error {
	return a.renderAdminPharmacy(c, http.StatusOK, views.AdminPharmacy{})
}

func (a *App) renderAdminPharmacy(c echo.Context, status int, p views.AdminPharmacy) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	ph, err := a.store.Pharmacy(ctx, id)
	if err != nil {
		return err
	}
	if p.Accounts, err = a.store.AccountsOfPharmacy(ctx, id); err != nil {
		return err
	}
	if p.Audit, err = a.store.AuditLog(ctx, id, 50); err != nil {
		return err
	}
	if p.Tokens, err = a.store.APITokens(ctx, id); err != nil {
		return err
	}
	corrections, err := a.store.Corrections(ctx, id)
	if err != nil {
		return err
	}
	for _, cr := range corrections {
		p.Corrections = append(p.Corrections, cr.CreatedAt.In(data.Berlin()).Format("02.01.2006 15:04")+": "+cr.Message)
	}
	p.Page, p.CSRF, p.Card = a.page("Betrieb: "+ph.Name, false), csrfToken(c), views.NewCard(ph, a.hours.Parse(ph.OpeningHours), a.now(), a.cfg.ConfirmationMaxAge)
	return render(c, status, views.AdminPharmacyPage(p))
}

// adminCreateAccount is POST /admin/apotheke/{id}/zugang: a pharmacy account with a
// one-time activation code, shown once.
func (a *App) adminCreateAccount(c echo.Context) error {
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	acc, code, err := a.store.CreateAccount(c.Request().Context(), data.RolePharmacy, c.FormValue("login"), c.Param("id"), a.actor(c, op))
	switch data.ErrorCode(err) {
	case "":
		return a.renderAdminPharmacy(c, http.StatusOK, views.AdminPharmacy{Code: code, CodeFor: acc.Login, Notice: "Zugang angelegt."})
	case data.EINVALID, data.ECONFLICT:
		return a.renderAdminPharmacy(c, http.StatusBadRequest, views.AdminPharmacy{Error: data.ErrorMessage(err)})
	}
	return err
}

// adminDisableAccount is POST /admin/apotheke/{id}/zugang/sperren.
func (a *App) adminDisableAccount(c echo.Context) error {
	return a.adminAccountAction(c, func(ctx context.Context, login string, actor data.Actor) (views.AdminPharmacy, error) {
		return views.AdminPharmacy{Notice: "Zugang " + login + " gesperrt; alle Sitzungen sind beendet."}, a.store.DisableAccount(ctx, login, actor)
	})
}

// adminReissueCode is POST /admin/apotheke/{id}/zugang/code.
func (a *App) adminReissueCode(c echo.Context) error {
	return a.adminAccountAction(c, func(ctx context.Context, login string, actor data.Actor) (views.AdminPharmacy, error) {
		code, err := a.store.ReissueActivationCode(ctx, login, actor)
		return views.AdminPharmacy{Code: code, CodeFor: login}, err
	})
}

// adminRevokeToken is POST /admin/apotheke/{id}/token/{token}/widerrufen: an operator
// revokes a pharmacy's API token (audited); a token of another pharmacy is not found.
func (a *App) adminRevokeToken(c echo.Context) error {
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("token"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := a.store.RevokeAPIToken(c.Request().Context(), c.Param("id"), id, a.actor(c, op)); err != nil {
		return err
	}
	return a.renderAdminPharmacy(c, http.StatusOK, views.AdminPharmacy{Notice: "Zugangsschlüssel Nr. " + c.Param("token") + " widerrufen."})
}

// adminAccountAction acts on an account of the pharmacy in the URL, and only of it.
func (a *App) adminAccountAction(c echo.Context, act func(context.Context, string, data.Actor) (views.AdminPharmacy, error)) error {
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	login := strings.TrimSpace(strings.ToLower(c.FormValue("login")))
	accounts, err := a.store.AccountsOfPharmacy(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	found := false
	for _, acc := range accounts {
		found = found || acc.Login == login
	}
	if !found {
		return echo.ErrNotFound
	}
	p, err := act(ctx, login, a.actor(c, op))
	if err != nil {
		return err
	}
	return a.renderAdminPharmacy(c, http.StatusOK, p)
}

// adminAudit is GET /admin/protokoll[?apotheke=ID].
func (a *App) adminAudit(c echo.Context) error {
	id := strings.TrimSpace(c.QueryParam("apotheke"))
	entries, err := a.store.AuditLog(c.Request().Context(), id, 200)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminAuditPage(views.AdminAudit{Page: a.page("Protokoll", false), Pharmacy: id, Entries: entries}))
}
