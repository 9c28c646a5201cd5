package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// apiError is the error object of the public API.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// handleError is the one place errors become responses: data.Error codes map to statuses,
// internal errors are logged and never shown.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	lang := langOf(c) // a page's language is in its path; the API's follows Accept-Language
	api := strings.HasPrefix(c.Request().URL.Path, "/api/")
	if api {
		lang = acceptedLanguage(c)
	}
	status, body := a.describe(err, c, lang)
	// The request's context may already be cancelled by the timeout middleware; the
	// error page must be written all the same.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	if status >= 500 {
		a.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case api:
		werr = c.JSON(status, apiError{body})
	default:
		werr = render(c, status, views.ProblemPage(views.Problem{Page: a.page(problemTitle(lang, status), false),
			Status: status, Heading: problemTitle(lang, status), Message: body.Message}))
	}
	if werr != nil {
		a.log.Error("write error response", "err", werr)
	}
}

// describe is err's status and error object, its words in l.
func (a *App) describe(err error, c echo.Context, l i18n.Lang) (int, apiErrorBody) {
	var de *data.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &de) && de.Code == data.EINVALID && de.Field != "":
		return http.StatusBadRequest, apiErrorBody{"invalid_parameter", de.Field, errorText(l, de)}
	case errors.As(err, &de) && de.Code == data.EINVALID:
		return http.StatusBadRequest, apiErrorBody{"invalid_request", "", errorText(l, de)}
	case errors.As(err, &de) && de.Code == data.ENOTFOUND:
		return http.StatusNotFound, apiErrorBody{"not_found", "", errorText(l, de)}
	case errors.As(err, &de) && de.Code == data.EUNAUTHORIZED:
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
		return http.StatusUnauthorized, apiErrorBody{"unauthorized", "", errorText(l, de)}
	case errors.As(err, &de) && de.Code == data.ECONFLICT:
		return http.StatusConflict, apiErrorBody{"conflict", "", errorText(l, de)}
	case errors.As(err, &he) && he.Code < 500:
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && m != "" {
			msg = l.T(m) // our own refusals say what is wrong (keys of the catalogue); echo's say the status text
		}
		if he.Code == http.StatusNotFound {
			msg = l.T("Diese Seite gibt es nicht.")
		}
		return he.Code, apiErrorBody{strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_"), "", msg}
	case errors.Is(err, data.ErrCommitUnknown):
		c.Response().Header().Set("Retry-After", "2")
		return http.StatusServiceUnavailable, apiErrorBody{"outcome_unknown", "", l.T("Die Verbindung zur Datenbank ist beim Speichern abgebrochen; die Änderung kann gespeichert sein. Bitte prüfen oder erneut senden.")}
	case errors.As(err, &de) && de.Code == data.EUNAVAILABLE:
		c.Response().Header().Set("Retry-After", "2")
		return http.StatusServiceUnavailable, apiErrorBody{"unavailable", "", de.Message}
	case errors.Is(err, errOverloaded):
		c.Response().Header().Set("Retry-After", "1")
		return http.StatusServiceUnavailable, apiErrorBody{"overloaded", "", l.T("Gerade fragen sehr viele gleichzeitig. Bitte versuchen Sie es in einer Sekunde noch einmal.")}
	case errors.Is(err, context.DeadlineExceeded):
		c.Response().Header().Set("Retry-After", "5")
		return http.StatusServiceUnavailable, apiErrorBody{"timeout", "", l.T("Die Suche hat zu lange gedauert. Bitte versuchen Sie es gleich noch einmal.")}
	}
	return http.StatusInternalServerError, apiErrorBody{"internal", "", l.T("Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.")}
}

// errorText is a data.Error's message in l where it is a key of the catalogue; other
// messages (the store's and importers' checks) are the one text they have.
func errorText(l i18n.Lang, e *data.Error) string {
	if e.Args == nil {
		return e.Message
	}
	return l.T(e.Message, e.Args...)
}

func problemTitle(l i18n.Lang, status int) string {
	switch status {
	case http.StatusNotFound:
		return l.T("Nicht gefunden")
	case http.StatusBadRequest:
		return l.T("Ungültige Anfrage")
	case http.StatusTooManyRequests:
		return l.T("Zu viele Anfragen")
	case http.StatusServiceUnavailable:
		return l.T("Gerade nicht verfügbar")
	}
	if status >= 500 {
		return l.T("Fehler")
	}
	return http.StatusText(status)
}

// render renders t into a buffer first, so a failing component still becomes a clean 500.
// It renders in the language of the request's path, and tells the page its German address
// (for the language switch).
func render(c echo.Context, status int, t templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	req := c.Request()
	lang, here := i18n.Of(req.URL.EscapedPath())
	if strings.HasPrefix(here, "//") || strings.Contains(here, `\`) {
		here = "/" // an asked path like /en//elsewhere.example would make the switch's links leave the site
	} else if req.URL.RawQuery != "" {
		here += "?" + req.URL.RawQuery
	}
	ctx := views.WithHere(i18n.With(req.Context(), lang), here)
	if err := t.Render(ctx, buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}
