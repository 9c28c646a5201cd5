package main

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// tokenRateLimit limits writes per authenticated API token (its id, however the header
// was spelled): 2 per second, bursts of 20. It runs after requireToken.
func tokenRateLimit() echo.MiddlewareFunc {
	return rateLimit(memoryStore(2, 20), func(c echo.Context) (string, error) {
		t, err := tokenCallerOf(c)
		return "token:" + strconv.FormatInt(t.tokenID, 10), err
	}, i18n.Key("Zu viele Anfragen mit diesem Schlüssel; bitte in einer Sekunde erneut versuchen."))
}

// ipRateLimit limits requests per client address (echo's IPExtractor decides which).
func ipRateLimit(perSecond float64, burst int) echo.MiddlewareFunc {
	return ipRateLimitOn(memoryStore(perSecond, burst))
}

// ipRateLimitOn is ipRateLimit counting in store.
func ipRateLimitOn(store middleware.RateLimiterStore) echo.MiddlewareFunc {
	return rateLimit(store, func(c echo.Context) (string, error) { return clientKey(c.RealIP()), nil },
		i18n.Key("Zu viele Anfragen von dieser Adresse; bitte in einer Sekunde erneut versuchen."))
}

// memoryStore counts perSecond (bursts of burst) per identity, forgetting identities idle
// for three minutes.
func memoryStore(perSecond float64, burst int) middleware.RateLimiterStore {
	return middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: 3 * time.Minute})
}

// rateLimit answers 429 with Retry-After beyond what store allows per identity.
func rateLimit(store middleware.RateLimiterStore, identify func(echo.Context) (string, error), message string) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: identify,
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", "1")
			if !strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return echo.NewHTTPError(http.StatusTooManyRequests, message) // a page, through the error handler
			}
			return c.JSON(http.StatusTooManyRequests, apiError{apiErrorBody{"rate_limited", "", acceptedLanguage(c).T(message)}})
		},
	})
}

// clientKey is the identity limits count a client address under: an IPv4 address as it is,
// an IPv6 address by its /64, which one subscriber holds whole.
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}
