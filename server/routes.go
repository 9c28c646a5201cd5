package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/apoportal/apoportal/server/legal"
	"github.com/apoportal/apoportal/server/notify"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Router is the portal's routes and their middleware (Handler puts the hit path in front).
func (a *App) Router() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.handleError
	e.IPExtractor = a.clientAddress()
	e.Use(a.logRequests)
	e.Use(a.limitInflight)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			a.log.Error("panic", "path", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.SecureWithConfig(a.secureConfig()))
	// Bodies are small everywhere but the registry upload, which has its own limit.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1M",
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == "/admin/import" }}))
	e.Use(middleware.ContextTimeout(a.cfg.SearchTimeout + 3*time.Second))
	e.Use(a.removeFormFiles) // after the timeout middleware, so it sees the request handlers parse

	// Every page answers HEAD as GET does (monitors and proxies use it); net/http drops the body.
	get := func(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		e.GET(path, h, m...)
		e.HEAD(path, h, m...)
	}
	// Public answers come from the response cache (cached.go). Each page is in German at its
	// path and in English under /en (the path, not a cookie, says the language, so that
	// every cache keys on it); the bare / leads to the language the browser prefers.
	get("/", a.homePage, a.chooseLanguage, a.cachedPerLanguage(noQuery))
	get("/en", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/en/") })
	// A limit per address counts a request in every language: one store for both paths.
	// A mail provider's one-click unsubscribes come from few addresses: a wide limit; the
	// token is the authority.
	feedbackLimit, subscribeLimit, linkLimit, oneClickLimit := ipRateLimit(0.1, 10), ipRateLimit(0.1, 5), ipRateLimit(1, 10), ipRateLimit(50, 500)
	for _, l := range i18n.Langs {
		in := l.Path
		if l != i18n.German {
			get(in("/"), a.homePage, a.cached(noQuery))
		}
		get(in("/suche"), a.resultsPage, a.cached(searchQuery))
		get(in("/apotheke/:id"), a.pharmacyPage, a.cached(noQuery))
		get(in("/hilfe"), a.helpPage, a.cached(noQuery))
		for _, p := range legal.Pages {
			get(in("/"+string(p)), a.legalPage(p), a.cached(noQuery))
		}
		get(in("/status"), a.statusPage)
		get(in("/barrierefreiheit/danke"), a.feedbackThanks, a.cached(noQuery))
		// The feedback form of the accessibility statement: no account and no cookie, so no
		// token; its own CSRF check and limits come before the body is read.
		e.POST(in("/barrierefreiheit"), a.sendFeedback, private, a.sameOrigin, feedbackLimit, middleware.BodyLimit("16K"))
		if a.postbox != nil { // e-mail subscriptions, offered with a mail server
			e.POST(in("/status/abonnieren"), a.subscribeMail, private, a.sameOrigin, subscribeLimit, middleware.BodyLimit("4K"))
			e.GET(in("/status/abonniert"), a.subscribeSent, private)
		}
	}
	if a.postbox != nil {
		for _, l := range i18n.Langs {
			// The links in messages, in the language subscribed in. The token is the
			// authority: a mail program's one-click unsubscribe posts without cookie or origin.
			e.GET(l.Path(notify.ConfirmPath), a.confirmPage, private)
			e.POST(l.Path(notify.ConfirmPath), a.confirm, private, a.sameOrigin, linkLimit, middleware.BodyLimit("1K"))
			e.GET(l.Path(notify.UnsubscribePath), a.unsubscribePage, private)
			e.POST(l.Path(notify.UnsubscribePath), a.unsubscribe, private, oneClickLimit, middleware.BodyLimit("1K"))
		}
	}
	get("/leichte-sprache", a.easyLanguagePage, a.cached(noQuery)) // German by its nature
	searchLimit := []echo.MiddlewareFunc{a.cachedPerLanguage(searchQuery)}
	if a.searchLimit != nil { // one count with the hit path's
		searchLimit = append([]echo.MiddlewareFunc{ipRateLimitOn(a.searchLimit)}, searchLimit...)
	}
	get("/api/v1/pharmacies", a.searchAPI, searchLimit...)
	get("/api/v1/pharmacies/:id", a.pharmacyAPI, a.cached(noQuery))
	get("/status/badge.svg", a.statusBadge)
	get("/status/feed.atom", a.statusFeed)
	get("/api/v1/status", a.statusAPI)
	get("/healthz", a.healthz)
	get("/readyz", a.readyz)
	get("/static/*", a.serveAsset)
	// Pharmacy software: the address's limit bounds guessing, then the token is known before
	// the body is read, and its own limit keys on the token, however the header is spelled.
	writes := []echo.MiddlewareFunc{ipRateLimit(50, 100), a.requireToken, tokenRateLimit()}
	e.POST("/api/v1/participation", a.participationAPI, writes...)
	// Webhook subscriptions, no account: a few per address before any body is read.
	e.POST("/api/v1/subscriptions", a.subscribeAPI, ipRateLimit(0.1, 5))
	e.DELETE("/api/v1/subscriptions", a.unsubscribeAPI, ipRateLimit(1, 10))
	e.POST("/api/v1/reports", a.reportsAPI, writes...)

	// Accounts: private, never cached, every form CSRF-protected. The public pages above stay
	// free of cookies so caches can keep them. Middleware per route, not by a group: echo's
	// group middleware claims every unknown path (and method) for itself, which would answer
	// a POST to nowhere with a CSRF 403 instead of 404 or 405. The CSRF check reads the form,
	// so it comes last: after the session, the role and the route's body limit.
	csrf := a.csrf()
	account := func(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		e.Add(method, path, h, slices.Concat([]echo.MiddlewareFunc{private}, m, []echo.MiddlewareFunc{csrf})...)
	}
	loginLimit, activateLimit := ipRateLimit(1, 10), ipRateLimit(1, 10) // besides the throttles of failed logins and codes
	for _, l := range i18n.Langs {                                      // the way in is public: in every language; the account's pages are German
		account(http.MethodGet, l.Path("/login"), a.loginPage)
		account(http.MethodPost, l.Path("/login"), a.login, loginLimit)
		account(http.MethodGet, l.Path("/aktivieren"), a.activatePage)
		account(http.MethodPost, l.Path("/aktivieren"), a.activate, activateLimit)
	}
	account(http.MethodPost, "/logout", a.logout, a.requireAccount)
	account(http.MethodGet, "/konto", a.dashboard, a.requireAccount)
	account(http.MethodPost, "/konto/teilnahme", a.changeParticipation, a.requireAccount)
	account(http.MethodPost, "/konto/token", a.createToken, a.requireAccount)
	account(http.MethodPost, "/konto/korrektur", a.reportCorrection, a.requireAccount)
	account(http.MethodPost, "/konto/stoerung", a.reportFailure, a.requireAccount)
	account(http.MethodPost, "/konto/hinweis", a.dismissRecovery, a.requireAccount)
	account(http.MethodPost, "/konto/benachrichtigung/email", a.addMailSubscription, a.requireAccount)
	account(http.MethodPost, "/konto/benachrichtigung/webhook", a.addWebhookSubscription, a.requireAccount)
	account(http.MethodPost, "/konto/benachrichtigung/:id/loeschen", a.deleteSubscription, a.requireAccount)
	account(http.MethodPost, "/konto/token/:id/widerrufen", a.revokeToken, a.requireAccount)
	admin := func(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		account(method, "/admin"+path, h, slices.Concat([]echo.MiddlewareFunc{a.requireAccount, requireOperator}, m)...)
	}
	admin(http.MethodGet, "", a.adminHome)
	admin(http.MethodGet, "/protokoll", a.adminAudit)
	admin(http.MethodGet, "/apotheke/:id", a.adminPharmacy)
	admin(http.MethodPost, "/apotheke/:id/zugang", a.adminCreateAccount)
	admin(http.MethodPost, "/apotheke/:id/zugang/sperren", a.adminDisableAccount)
	admin(http.MethodPost, "/apotheke/:id/zugang/code", a.adminReissueCode)
	admin(http.MethodGet, "/import", a.adminImportPage)
	admin(http.MethodPost, "/apotheke/:id/token/:token/widerrufen", a.adminRevokeToken)
	admin(http.MethodPost, "/import", a.adminImportPreview, uploadBody(maxUploadBytes))
	admin(http.MethodPost, "/import/:id", a.adminImportApply)
	admin(http.MethodGet, "/status", a.adminStatus)
	admin(http.MethodGet, "/rueckmeldungen", a.feedbackList)
	admin(http.MethodGet, "/benachrichtigungen", a.adminNotifications)
	admin(http.MethodPost, "/status/stoerung", a.adminOpenIncident)
	admin(http.MethodPost, "/status/stoerung/:id", a.adminUpdateIncident)
	admin(http.MethodPost, "/status/wartung", a.adminScheduleMaintenance)
	admin(http.MethodPost, "/status/wartung/:id/absagen", a.adminCancelMaintenance)
	get("/favicon.ico", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/static/favicon.svg") })
	return e
}

// secureConfig is the security headers every answer carries.
func (a *App) secureConfig() middleware.SecureConfig {
	return middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            31536000,
		ContentSecurityPolicy: a.contentSecurityPolicy(),
		ReferrerPolicy:        "strict-origin-when-cross-origin",
	}
}

// securityHeaders are cfg's headers as echo's Secure middleware sets them: those of every
// answer, and HSTS for answers over HTTPS.
func securityHeaders(cfg middleware.SecureConfig) (http.Header, []string) {
	h := http.Header{}
	h.Set(echo.HeaderXXSSProtection, cfg.XSSProtection)
	h.Set(echo.HeaderXContentTypeOptions, cfg.ContentTypeNosniff)
	h.Set(echo.HeaderXFrameOptions, cfg.XFrameOptions)
	h.Set(echo.HeaderContentSecurityPolicy, cfg.ContentSecurityPolicy)
	h.Set(echo.HeaderReferrerPolicy, cfg.ReferrerPolicy)
	return h, []string{fmt.Sprintf("max-age=%d; includeSubdomains", cfg.HSTSMaxAge)}
}

// clientAddress is whom limits and the audit log take a request to come from: the peer's
// address, or behind one of --trusted-proxies the first address of X-Forwarded-For that is
// not a trusted proxy. Loopback and private networks are not trusted unless listed.
func (a *App) clientAddress() echo.IPExtractor {
	nets, err := a.cfg.trustedProxies()
	if err != nil || len(nets) == 0 { // Validate refused bad CIDRs before the portal started
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range nets {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// contentSecurityPolicy allows our own scripts and styles, and images from the tile server.
func (a *App) contentSecurityPolicy() string {
	img := "'self' data:"
	if u, err := url.Parse(a.cfg.TileURL); err == nil && u.Host != "" {
		host := u.Host
		if strings.HasPrefix(host, "{s}.") {
			host = "*." + strings.TrimPrefix(host, "{s}.")
		}
		img += " " + u.Scheme + "://" + host
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; object-src 'none'; " +
		"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}

func (a *App) serveAsset(c echo.Context) error {
	asset, ok := a.assets.Lookup(c.Request().URL.Path)
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if asset.Immutable {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "public, max-age=300")
	}
	h.Set("ETag", asset.ETag)
	if match := c.Request().Header.Get("If-None-Match"); match == asset.ETag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, asset.ContentType, asset.Body)
}
