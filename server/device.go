package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// deviceCookies are OWASP's device cookies against guessing that locks owners out: a
// browser that has logged in to a login gets a signed cookie naming that login, and its
// later attempts draw on the cookie's own small budget of failures, not on the login's,
// which attackers elsewhere exhaust. So attackers slow attackers, not owners. The key is
// the store's, the same on every portal process; a cookie names a login and a random nonce,
// never a secret, and expires after deviceCookieLife.
type deviceCookies struct {
	key    []byte
	secure bool
	now    func() time.Time
}

const (
	deviceCookie     = "apoportal_device"
	deviceCookieLife = 180 * 24 * time.Hour
)

// nonce returns the nonce of this browser's valid device cookie for login, "" when it has none.
func (d deviceCookies) nonce(c echo.Context, login string) string {
	cookie, err := c.Cookie(deviceCookie)
	if err != nil {
		return ""
	}
	parts := strings.Split(cookie.Value, ".")
	if len(parts) != 4 {
		return ""
	}
	name, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(name) != login {
		return ""
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || d.now().Sub(time.Unix(issued, 0)) > deviceCookieLife {
		return ""
	}
	want := d.sign(parts[0], parts[1], parts[2])
	if !hmac.Equal([]byte(parts[3]), []byte(want)) {
		return ""
	}
	return parts[1]
}

// issue gives this browser a fresh device cookie for login, after it logged in.
func (d deviceCookies) issue(c echo.Context, login string) {
	name := base64.RawURLEncoding.EncodeToString([]byte(login))
	nonce, issued := randomID(), strconv.FormatInt(d.now().Unix(), 10)
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: name + "." + nonce + "." + issued + "." + d.sign(name, nonce, issued),
		Path: "/login", MaxAge: int(deviceCookieLife.Seconds()), HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode})
}

func (d deviceCookies) sign(name, nonce, issued string) string {
	mac := hmac.New(sha256.New, d.key)
	mac.Write([]byte("device-cookie\x00" + name + "\x00" + nonce + "\x00" + issued))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
