package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

const (
	sessionCookie = "apoportal_session"
	csrfCookie    = "apoportal_csrf"
	csrfField     = "_csrf"
	accountKey    = "account"
)

// csrf protects every form that posts: a same-origin Sec-Fetch-Site passes, same-site and
// cross-site are refused, and a client without the header needs the double-submit token.
func (a *App) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + csrfField,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   a.cfg.CookieSecure,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, i18n.Key("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."))
		},
		// A browser that says a post comes from another site (or a sibling subdomain, which
		// could have planted the token cookie) is refused, token or not.
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			return false, echo.NewHTTPError(http.StatusForbidden, i18n.Key("Formulare dieses Portals lassen sich nur von seinen eigenen Seiten absenden."))
		},
	})
}

// csrfToken is the token to put in forms.
func csrfToken(c echo.Context) string {
	s, _ := c.Get("csrf").(string)
	return s
}

// private marks responses that must never be stored by a cache.
func private(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// requireAccount lets the request through only with a live session (within its lifetime,
// used within --session-idle); otherwise to /login. It runs before anything reads the body.
func (a *App) requireAccount(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cookie, err := c.Cookie(sessionCookie)
		if err == nil {
			acc, err := a.store.SessionAccount(c.Request().Context(), cookie.Value, a.cfg.SessionIdle)
			if err == nil {
				c.Set(accountKey, acc)
				return next(c)
			}
			if data.ErrorCode(err) != data.EUNAUTHORIZED {
				return err
			}
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	}
}

// accountOf returns the account requireAccount found.
func accountOf(c echo.Context) (data.Account, error) {
	acc, ok := c.Get(accountKey).(data.Account)
	if !ok {
		return data.Account{}, errors.New("no account in request context: route lacks requireAccount")
	}
	return acc, nil
}

func (a *App) setSessionCookie(c echo.Context, id string, ttl time.Duration) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: a.cfg.CookieSecure, SameSite: http.SameSiteLaxMode})
}

func waitMessage(l i18n.Lang, d time.Duration) string {
	secs := int(d.Round(time.Second).Seconds())
	if secs < 1 {
		secs = 1
	}
	return l.T("Zu viele Fehlversuche. Bitte warten Sie %d Sekunden und versuchen Sie es dann erneut.", secs)
}

// randomKey is 32 random bytes for a key.
func randomKey() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return b
}

// randomID is an unguessable id for server-side state named in a URL.
func randomID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
