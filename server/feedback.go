package main

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/legal"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// freeFeedback is how many messages one address sends before each further one waits (the
// throttle doubles the wait, up to data.MaxThrottleWait).
const freeFeedback = 3

// feedbackBudget is an address's count of feedback, kept by the store for every portal.
func feedbackBudget(ip string) data.Budget {
	return data.Budget{Key: "feedback:" + clientKey(ip), Free: freeFeedback}
}

// sendFeedback is POST /barrierefreiheit: a citizen's feedback on a barrier, kept for the
// operators (/admin/rueckmeldungen). The page with the form is public and cached, so the
// form carries no token: the post must come from the portal's own pages (sameOrigin), the
// address's limits are counted before the body is read, and a message kept counts on the
// address's budget in the store, which every portal shares.
func (a *App) sendFeedback(c echo.Context) error {
	ctx, l := c.Request().Context(), langOf(c)
	try, wait, err := a.throttle.reserve(ctx, feedbackBudget(c.RealIP()))
	if err != nil {
		return err
	}
	if err := c.Request().ParseForm(); err != nil {
		try.release(ctx)
		return err // a body past the route's limit: 413, and nothing kept
	}
	f := data.Feedback{Message: c.FormValue("message"), Contact: c.FormValue("contact"), Page: c.FormValue("page")}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return a.feedbackPage(c, http.StatusTooManyRequests, views.FeedbackForm{Feedback: f,
			Error: l.T("Sie haben gerade schon mehrere Rückmeldungen gesendet. Bitte versuchen Sie es in %d Minuten noch einmal.", int(wait.Minutes())+1)})
	}
	if _, err := a.store.LeaveFeedback(ctx, f); err != nil {
		try.release(ctx)
		if data.ErrorCode(err) != data.EINVALID {
			return err
		}
		return a.feedbackPage(c, http.StatusBadRequest, views.FeedbackForm{Feedback: f, Error: feedbackError(l, err), ErrorField: data.ErrorField(err)})
	}
	return c.Redirect(http.StatusSeeOther, l.Path("/barrierefreiheit/danke"))
}

// feedbackError says in l which field of the feedback form is wrong.
func feedbackError(l i18n.Lang, err error) string {
	switch data.ErrorField(err) {
	case "message":
		return l.T("Bitte beschreiben Sie die Barriere in höchstens %d Zeichen.", data.MaxFeedbackLength)
	case "contact":
		return l.T("Die Kontaktangabe darf eine Zeile mit höchstens %d Zeichen sein.", data.MaxFeedbackField)
	}
	return l.T("Die Angabe der Seite darf eine Zeile mit höchstens %d Zeichen sein.", data.MaxFeedbackField)
}

// feedbackPage is the accessibility statement with the feedback form as it was sent.
func (a *App) feedbackPage(c echo.Context, status int, form views.FeedbackForm) error {
	p := a.legalView(c, legal.Accessibility)
	p.Feedback = form
	return render(c, status, views.LegalPage(p))
}

// feedbackThanks is GET /barrierefreiheit/danke, where a sent feedback leads.
func (a *App) feedbackThanks(c echo.Context) error {
	return render(c, http.StatusOK, views.FeedbackThanksPage(a.page(langOf(c).T("Vielen Dank für Ihre Rückmeldung"), false)))
}

// sameOrigin lets a post through only from the portal's own pages: a browser's
// Sec-Fetch-Site must say same-origin, or without it the Origin must be this host (as the
// request names it, or --public-url's). It is the CSRF check of forms on cached public
// pages, which carry no token and set no cookie.
func (a *App) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	public, _ := url.Parse(a.cfg.publicBase())
	return func(c echo.Context) error {
		req := c.Request()
		site, origin := req.Header.Get("Sec-Fetch-Site"), req.Header.Get(echo.HeaderOrigin)
		ok := site == "same-origin"
		if site == "" && origin != "" {
			u, err := url.Parse(origin)
			ok = err == nil && (u.Host == req.Host || a.cfg.PublicURL != "" && u.Scheme == public.Scheme && u.Host == public.Host)
		}
		if !ok {
			return echo.NewHTTPError(http.StatusForbidden, i18n.Key("Formulare dieses Portals lassen sich nur von seinen eigenen Seiten absenden."))
		}
		return next(c)
	}
}

// feedbackList is GET /admin/rueckmeldungen: the newest feedback on barriers.
func (a *App) feedbackList(c echo.Context) error {
	list, err := a.store.FeedbackList(c.Request().Context(), 200)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminFeedbackPage(views.AdminFeedback{Page: a.page("Rückmeldungen zur Barrierefreiheit", false),
		Feedback: list}))
}
