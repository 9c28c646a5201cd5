package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/patrickmn/go-cache"
)

const (
	sessionCookie = "apoportal_session"
	csrfCookie    = "apoportal_csrf"
	csrfField     = "_csrf"
	accountKey    = "account"
)

// csrf protects every form that posts: a same-origin Sec-Fetch-Site passes, anything else
// needs the double-submit token of the form field.
func (a *App) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + csrfField,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   a.cfg.CookieSecure,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
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

// requireAccount lets the request through only with a live session; otherwise to /login.
func (a *App) requireAccount(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cookie, err := c.Cookie(sessionCookie)
		if err == nil {
			acc, err := a.store.SessionAccount(c.Request().Context(), cookie.Value)
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

// throttle slows down guessing: after a few free failures for one login (or many from one
// address) each further attempt must wait twice as long as the last, up to 15 minutes.
// Nobody is locked out for good: the real owner gets in once the wait is over, and a
// success clears the login's count. Counts live in memory and fade after an hour.
type throttle struct {
	counts *cache.Cache
	now    func() time.Time
}

type failures struct {
	n     int
	until time.Time
}

const (
	freeLoginFailures = 3
	freeIPFailures    = 20
	maxLoginWait      = 15 * time.Minute
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{counts: cache.New(time.Hour, 10*time.Minute), now: now}
}

// wait returns how long the login from ip must still wait, zero when it may try now.
func (t *throttle) wait(login, ip string) time.Duration {
	var until time.Time
	for _, key := range []string{"login:" + login, "ip:" + ip} {
		if v, ok := t.counts.Get(key); ok {
			if f, ok := v.(failures); ok && f.until.After(until) {
				until = f.until
			}
		}
	}
	return max(0, until.Sub(t.now()))
}

func (t *throttle) failed(login, ip string) {
	t.bump("login:"+login, freeLoginFailures)
	t.bump("ip:"+ip, freeIPFailures)
}

func (t *throttle) bump(key string, free int) {
	f := failures{}
	if v, ok := t.counts.Get(key); ok {
		f, _ = v.(failures)
	}
	f.n++
	if f.n > free {
		f.until = t.now().Add(min(maxLoginWait, time.Second<<min(f.n-free-1, 20)))
	}
	t.counts.SetDefault(key, f)
}

func (t *throttle) succeeded(login string) { t.counts.Delete("login:" + login) }

func waitMessage(d time.Duration) string {
	secs := int(d.Round(time.Second).Seconds())
	if secs < 1 {
		secs = 1
	}
	return fmt.Sprintf("Zu viele Fehlversuche. Bitte warten Sie %d Sekunden und versuchen Sie es dann erneut.", secs)
}

// randomID is an unguessable id for server-side state named in a URL.
func randomID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
