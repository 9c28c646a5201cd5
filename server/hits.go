package main

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/server/pagecache"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// Handler is the portal's HTTP interface: a fresh answer of the response cache goes out
// before the router and its middleware, as precomputed headers and bytes; everything else
// (misses, stale answers, errors, every other route) goes through the router.
func (a *App) Handler() http.Handler {
	router := a.Router()
	if a.answers == nil {
		return router
	}
	security, hsts := securityHeaders(a.secureConfig())
	return &hitPath{app: a, router: router, clientAddress: router.IPExtractor, scheme: echo.ExtractSchemeFromHeaders(),
		security: security, hsts: hsts}
}

// hitPath serves cache hits. What a hit's answer carries is what the router's path gives
// it (TestHitPath_AnswersAsTheRouterDoes compares them): the security headers of routes.go,
// then writeAnswer's.
type hitPath struct {
	app           *App
	router        http.Handler
	clientAddress echo.IPExtractor
	scheme        echo.SchemeExtractor // echo's own, as the Secure middleware asks it
	security      http.Header          // the security headers every answer carries (HSTS apart)
	hsts          []string             // Strict-Transport-Security, over HTTPS
}

func (h *hitPath) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ans, ok := h.hit(r)
	if !ok {
		h.router.ServeHTTP(w, r)
		return
	}
	hdr := w.Header()
	for k, v := range h.security {
		hdr[k] = v
	}
	if h.scheme(r) == "https" {
		hdr["Strict-Transport-Security"] = h.hsts
	}
	status, n, err := h.app.sendAnswer(w, r, ans, pagecache.Hit)
	if err != nil {
		status = http.StatusInternalServerError // the client went away, or an answer would not decompress
	}
	h.app.access.record(accessLine{method: r.Method, path: r.URL.Path, ip: h.clientAddress(r), status: status, bytes: n,
		at: start, took: time.Since(start)})
}

// hit finds the fresh cached answer of a public GET or HEAD, when there is one and the
// request may have it now (the search API's limit per address allows it).
func (h *hitPath) hit(r *http.Request) (*pagecache.Answer, bool) {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.URL.RawPath != "" {
		return nil, false
	}
	k, known := h.app.keys.lookup(r.URL.Path, r.URL.RawQuery)
	if !known {
		return nil, false // not a cached route, or the router has not named it yet
	}
	if k.perLanguage && i18n.Negotiate(r.Header.Get(headerAcceptLanguage)) != i18n.German {
		return nil, false
	}
	key := k.base
	if k.page {
		key = k.withBanner(h.app.bannerKey())
	}
	ans, fresh := h.app.answers.Fresh(key)
	if !fresh {
		return nil, false
	}
	if r.URL.Path == "/api/v1/pharmacies" && h.app.searchLimit != nil {
		if allowed, _ := h.app.searchLimit.Allow(clientKey(h.clientAddress(r))); !allowed {
			return nil, false // the router's limit answers 429
		}
	}
	return ans, true
}

// answerKeys remembers the cache key the router's cached middleware made of each path and
// query it saw, so a hit costs no parsing of the query, and only what that middleware
// serves is known here: a bounded memo, cleared when full.
type answerKeys struct {
	mu   sync.RWMutex
	keys map[string]map[string]*rememberedKey // path → raw query → key
	n    int
}

// maxAnswerKeys bounds the memo (each entry is a few hundred bytes).
const maxAnswerKeys = 50_000

func newAnswerKeys() *answerKeys { return &answerKeys{keys: map[string]map[string]*rememberedKey{}} }

// rememberedKey is a request's cache key: base (path and canonical query) and, for pages, the
// key with the banner's state, remembered for the last state it was made for.
type rememberedKey struct {
	base        string
	page        bool // its answer shows the banner
	perLanguage bool // its answer is German's; another language the client prefers is the router's
	banner      atomic.Pointer[bannerKeyed]
}

type bannerKeyed struct{ banner, key string }

// withBanner is the page's key under the banner's state (as cached names it).
func (k *rememberedKey) withBanner(banner string) string {
	b := k.banner.Load()
	if b == nil || b.banner != banner {
		b = &bannerKeyed{banner: banner, key: k.base + "#" + banner}
		k.banner.Store(b)
	}
	return b.key
}

func (m *answerKeys) lookup(path, rawQuery string) (*rememberedKey, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	k, ok := m.keys[path][rawQuery]
	return k, ok
}

// remember notes the key the router made for path and rawQuery, and whether it is a page's.
func (m *answerKeys) remember(path, rawQuery, base string, page, perLanguage bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n >= maxAnswerKeys {
		clear(m.keys)
		m.n = 0
	}
	byQuery := m.keys[path]
	if byQuery == nil {
		byQuery = map[string]*rememberedKey{}
		m.keys[path] = byQuery
	}
	if _, known := byQuery[rawQuery]; !known {
		byQuery[rawQuery] = &rememberedKey{base: base, page: page, perLanguage: perLanguage}
		m.n++
	}
}

// headerAcceptLanguage is the header that chooses the language of the search API's words.
const headerAcceptLanguage = "Accept-Language"

// Header values a hit sets as they are (each slice is full: nothing appends into it).
var (
	gzipValue         = []string{"gzip"}
	varyValue         = []string{echo.HeaderAcceptEncoding}
	varyLanguageValue = []string{echo.HeaderAcceptEncoding + ", " + headerAcceptLanguage}
	publicCacheValue  = []string{publicCacheControl}
	cdnCacheValue     = []string{cdnCacheControl}
	outcomeValues     = map[pagecache.Outcome][]string{pagecache.Hit: {"hit"}, pagecache.Miss: {"miss"}, pagecache.Stale: {"stale"}, pagecache.StaleOnError: {"stale-on-error"}}
	ageValues         = agesUpTo(3600)
)

// agesUpTo is the Age header's value for each second up to n.
func agesUpTo(n int) [][]string {
	out := make([][]string, n+1)
	for i := range out {
		out[i] = []string{strconv.Itoa(i)}
	}
	return out
}

func ageValue(seconds int) []string {
	if seconds >= 0 && seconds < len(ageValues) {
		return ageValues[seconds]
	}
	return []string{strconv.Itoa(max(0, seconds))}
}

// secondValue is X-Accel-Expires for one second: "@" and the second.
type secondValue struct {
	second int64
	value  []string
}

// accelExpires is X-Accel-Expires for now, made once a second.
func (a *App) accelExpires(now time.Time) []string {
	sec := now.Unix()
	if v := a.accelSecond.Load(); v != nil && v.second == sec {
		return v.value
	}
	v := &secondValue{second: sec, value: []string{"@" + strconv.FormatInt(sec, 10)}}
	a.accelSecond.Store(v)
	return v.value
}
