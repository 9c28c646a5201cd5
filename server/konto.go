package main

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/password"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// pharmacyAccount is the session's account where it is a pharmacy's; operators get 403 on
// the pharmacy's own actions.
func pharmacyAccount(c echo.Context) (data.Account, error) {
	acc, err := accountOf(c)
	if err != nil {
		return acc, err
	}
	if acc.Role != data.RolePharmacy {
		return acc, echo.ErrForbidden
	}
	return acc, nil
}

func (a *App) actor(c echo.Context, acc data.Account) data.Actor {
	return data.Actor{Name: "account " + strconv.FormatInt(acc.ID, 10) + " (" + acc.Login + ")", Source: c.RealIP(), AccountID: acc.ID}
}

// loginPage is GET /login.
func (a *App) loginPage(c echo.Context) error {
	l := langOf(c)
	p := views.Login{Page: a.page(l.T("Anmelden"), false).In(views.SectionPharmacies), CSRF: csrfToken(c)}
	switch c.QueryParam("aktiviert") {
	case "1":
		p.Notice = l.T("Ihr Zugang ist aktiviert. Bitte melden Sie sich an.")
	case "neu":
		p.Notice = l.T("Ihr neues Passwort gilt. Alle bisherigen Anmeldungen dieses Zugangs sind beendet und seine API-Zugänge widerrufen. Bitte melden Sie sich an.")
	}
	return render(c, http.StatusOK, views.LoginPage(p))
}

// login is POST /login. A new session id is issued at every login (no fixation). Each
// attempt is reserved before the password is verified, on the login's and the address's
// budgets, or, from a browser that logged in to this login before, on its device cookie's.
func (a *App) login(c echo.Context) error {
	login := strings.TrimSpace(strings.ToLower(c.FormValue("login")))
	l := langOf(c)
	p := views.Login{Page: a.page(l.T("Anmelden"), false).In(views.SectionPharmacies), CSRF: csrfToken(c), Login: login}
	budgets := []data.Budget{loginBudget(login), addressBudget(c.RealIP())}
	if nonce := a.devices.nonce(c, login); nonce != "" {
		budgets = []data.Budget{deviceBudget(nonce)}
	}
	ctx := c.Request().Context()
	try, wait, err := a.throttle.reserve(ctx, budgets...)
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		p.Error = waitMessage(l, wait)
		return render(c, http.StatusTooManyRequests, views.LoginPage(p))
	}
	acc, err := a.store.Authenticate(ctx, login, c.FormValue("password"))
	if err != nil {
		if data.ErrorCode(err) != data.EUNAUTHORIZED {
			try.release(ctx)
			return err
		}
		p.Error, p.ErrorField = l.T("Benutzername oder Passwort ist falsch."), "credentials"
		return render(c, http.StatusUnauthorized, views.LoginPage(p))
	}
	try.succeeded(ctx)
	id, err := a.store.CreateSession(ctx, acc.ID, c.RealIP(), a.cfg.SessionTTL)
	if err != nil {
		return err
	}
	a.setSessionCookie(c, id, a.cfg.SessionTTL)
	a.devices.issue(c, login)
	a.log.Info("login", "account", acc.ID, "role", acc.Role)
	return c.Redirect(http.StatusSeeOther, "/konto")
}

// logout is POST /logout; with ?ueberall=1 it ends every session of the account.
func (a *App) logout(c echo.Context) error {
	acc, err := accountOf(c)
	if err != nil {
		return err
	}
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		if err := a.store.DeleteSession(c.Request().Context(), cookie.Value); err != nil {
			return err
		}
	}
	if c.QueryParam("ueberall") == "1" {
		if err := a.store.DeleteSessions(c.Request().Context(), acc.ID); err != nil {
			return err
		}
	}
	a.setSessionCookie(c, "", -time.Second)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// activatePage is GET /aktivieren.
func (a *App) activatePage(c echo.Context) error {
	return render(c, http.StatusOK, views.ActivatePage(views.Activate{Page: a.page(langOf(c).T("Zugang aktivieren"), false).In(views.SectionPharmacies),
		CSRF: csrfToken(c), Code: c.QueryParam("code")}))
}

// activate is POST /aktivieren: the one-time code and a new password. Attempts are
// throttled per code tried and per address, so codes cannot be guessed and one address's
// failures do not hold up anybody else's activation. A new password ends every session the
// account had.
func (a *App) activate(c echo.Context) error {
	code := data.NormalizeActivationCode(c.FormValue("code"))
	l := langOf(c)
	p := views.Activate{Page: a.page(l.T("Zugang aktivieren"), false).In(views.SectionPharmacies), CSRF: csrfToken(c), Code: c.FormValue("code")}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		p.Error, p.ErrorField = l.T("Die beiden Passwörter stimmen nicht überein."), "password2"
		return render(c, http.StatusBadRequest, views.ActivatePage(p))
	}
	ctx := c.Request().Context()
	try, wait, err := a.throttle.reserve(ctx, codeBudget(code), addressBudget(c.RealIP()))
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		p.Error = waitMessage(l, wait)
		return render(c, http.StatusTooManyRequests, views.ActivatePage(p))
	}
	_, reset, err := a.store.ActivateAccount(ctx, code, pw, data.Actor{Name: "activation", Source: c.RealIP()})
	switch {
	case errors.Is(err, data.ErrActivationCode):
		p.Error, p.ErrorField = activationMessage(l, err), "code"
		return render(c, http.StatusBadRequest, views.ActivatePage(p))
	case data.ErrorCode(err) == data.EINVALID: // the code was right, the password is not allowed
		try.release(ctx)
		p.Error, p.ErrorField = activationMessage(l, err), "password"
		return render(c, http.StatusBadRequest, views.ActivatePage(p))
	case err != nil:
		try.release(ctx)
		return err
	}
	try.succeeded(ctx)
	if reset {
		return c.Redirect(http.StatusSeeOther, l.Path("/login?aktiviert=neu"))
	}
	return c.Redirect(http.StatusSeeOther, l.Path("/login?aktiviert=1"))
}

func activationMessage(l i18n.Lang, err error) string {
	switch {
	case errors.Is(err, data.ErrActivationCode):
		return l.T("Dieser Aktivierungscode ist unbekannt, schon benutzt oder abgelaufen. Bitte fordern Sie beim Betreiber einen neuen an.")
	case errors.Is(err, password.ErrTooShort):
		return l.T("Das Passwort muss mindestens %d Zeichen haben.", password.MinLength)
	case errors.Is(err, password.ErrCommon):
		return l.T("Dieses Passwort gehört zu den häufigsten Passwörtern. Bitte wählen Sie ein anderes.")
	case errors.Is(err, password.ErrPersonal):
		return l.T("Das Passwort darf nicht Ihr Benutzername oder der Name Ihrer Apotheke sein.")
	case errors.Is(err, password.ErrGuessable):
		return l.T("Dieses Passwort ist zu leicht zu erraten (ein häufiges Wort, ein Name, ein Datum oder ein Tastaturmuster). Mehrere Wörter, die nicht zusammengehören, sind besser.")
	case errors.Is(err, password.ErrTooLong):
		return l.T("Das Passwort darf höchstens 256 Zeichen haben.")
	}
	return l.T("Das Passwort ist nicht zulässig.")
}

// dashboard is GET /konto.
func (a *App) dashboard(c echo.Context) error {
	return a.renderDashboard(c, http.StatusOK, "", "", "")
}

func (a *App) renderDashboard(c echo.Context, status int, notice, errMsg, newToken string) error {
	return a.renderDashboardWith(c, status, views.Dashboard{Notice: notice, Error: errMsg, NewToken: newToken})
}

// renderDashboardWith renders the dashboard with what the last action left on it (notice,
// error, what is shown once).
func (a *App) renderDashboardWith(c echo.Context, status int, p views.Dashboard) error {
	acc, err := accountOf(c)
	if err != nil {
		return err
	}
	if acc.Role != data.RolePharmacy {
		return c.Redirect(http.StatusSeeOther, "/admin")
	}
	ph, err := a.store.Pharmacy(c.Request().Context(), acc.PharmacyID)
	if err != nil {
		return err
	}
	tokens, err := a.store.APITokens(c.Request().Context(), acc.PharmacyID)
	if err != nil {
		return err
	}
	// The dashboard is what pharmacies work with in an outage: without the notice rather
	// than without the page.
	recovered, err := a.recoveryNotice(c.Request().Context(), acc)
	if err != nil {
		a.log.Warn("recovery notice", "err", err)
	}
	subscriptions, err := a.store.AccountSubscriptions(c.Request().Context(), acc.ID)
	if err != nil {
		return err
	}
	p.Page, p.CSRF, p.Login, p.Recovered = a.page("Mein Konto", false).In(views.SectionPharmacies), csrfToken(c), acc.Login, recovered
	p.Card = views.NewCard(ph, a.hours.Parse(ph.OpeningHours), a.now(), a.cfg.ConfirmationMaxAge)
	p.Notifications.Subscriptions, p.Notifications.MailOffered, p.Notifications.HoldUp = subscriptions, a.postbox != nil, a.cfg.NotifyHoldUp
	if p.Notifications.Email == "" && strings.Contains(acc.Login, "@") {
		p.Notifications.Email = acc.Login
	}
	for _, t := range tokens {
		if t.RevokedAt == nil {
			p.Tokens = append(p.Tokens, t)
		}
	}
	return render(c, status, views.DashboardPage(p))
}

// changeParticipation is POST /konto/teilnahme: the switch, a pause and the note. The
// pharmacy is the session's; the form cannot name another.
func (a *App) changeParticipation(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	pa := data.Participation{Note: strings.TrimSpace(c.FormValue("note"))}
	switch c.FormValue("participating") {
	case "true":
		pa.Participating = true
	case "false":
	default:
		return a.renderDashboard(c, http.StatusBadRequest, "", "Ungültige Eingabe.", "")
	}
	if h := c.FormValue("pause_hours"); h != "" && h != "0" {
		hours, err := strconv.Atoi(h)
		if err != nil || hours < 1 || hours > 24 {
			return a.renderDashboard(c, http.StatusBadRequest, "", "Ungültige Pausendauer.", "")
		}
		until := a.now().Add(time.Duration(hours) * time.Hour).UTC().Truncate(time.Minute)
		pa.PausedUntil = &until
	}
	if err := data.CheckLine("note", pa.Note, maxNoteLength); err != nil {
		return a.renderDashboard(c, http.StatusBadRequest, "", "Der Hinweis darf höchstens 280 Zeichen in einer Zeile haben, ohne Steuerzeichen.", "")
	}
	if err := a.store.ChangeParticipation(c.Request().Context(), acc.PharmacyID, pa, a.actor(c, acc)); err != nil {
		return err
	}
	if err := a.engine.Sync(c.Request().Context()); err != nil {
		a.log.Warn("search index sync after a switch", "err", err)
	}
	return c.Redirect(http.StatusSeeOther, "/konto")
}

// reportCorrection is POST /konto/korrektur: the pharmacy says its registry entry is wrong.
func (a *App) reportCorrection(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	err = a.store.ReportCorrection(c.Request().Context(), acc.PharmacyID, acc.ID, c.FormValue("message"), a.actor(c, acc))
	switch data.ErrorCode(err) {
	case "":
		return a.renderDashboard(c, http.StatusOK, "Danke, Ihre Korrektur ist gemeldet.", "", "")
	case data.EINVALID:
		return a.renderDashboard(c, http.StatusBadRequest, "", "Bitte beschreiben Sie die Korrektur in höchstens 2000 Zeichen.", "")
	}
	return err
}

// reportFailure is POST /konto/stoerung: the dashboard's "issuing fails" button.
func (a *App) reportFailure(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	msg := strings.TrimSpace(c.FormValue("message"))
	if err := data.CheckLine("message", msg, maxReportMessage); err != nil {
		return a.renderDashboard(c, http.StatusBadRequest, "", "Die Beschreibung darf höchstens 500 Zeichen in einer Zeile haben, ohne Steuerzeichen.", "")
	}
	r := data.Report{PharmacyID: acc.PharmacyID, Kind: data.ReportIssuingFailed, Message: msg}
	if err := a.store.AddReport(c.Request().Context(), r, a.actor(c, acc)); err != nil {
		return err
	}
	a.status.RecountReports(c.Request().Context())
	return a.renderDashboard(c, http.StatusOK, "Danke, Ihre Meldung ist eingegangen.", "", "")
}

// createToken is POST /konto/token: a new API token, shown once.
func (a *App) createToken(c echo.Context) error {
	acc, err := pharmacyAccount(c)
	if err != nil {
		return err
	}
	_, token, err := a.store.CreateAPIToken(c.Request().Context(), acc.PharmacyID, a.actor(c, acc))
	if err != nil {
		return err
	}
	return a.renderDashboard(c, http.StatusOK, "Neuer Zugangsschlüssel erstellt.", "", token)
}

// revokeToken is POST /konto/token/{id}/widerrufen; a token of another pharmacy is not found.
func (a *App) revokeToken(c echo.Context) error {
	acc, err := accountOf(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || acc.Role != data.RolePharmacy {
		return echo.ErrNotFound
	}
	if err := a.store.RevokeAPIToken(c.Request().Context(), acc.PharmacyID, id, a.actor(c, acc)); err != nil {
		return err
	}
	return a.renderDashboard(c, http.StatusOK, "Zugangsschlüssel widerrufen.", "", "")
}
