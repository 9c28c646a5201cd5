package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/search/local"
	"github.com/apoportal/apoportal/server/pagecache"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// Public answers are cached in memory (pagecache) and may be kept by browsers, proxies and
// CDNs. Browsers revalidate after a second (ETag → 304), so a switch reaches citizens at
// once; a CDN may serve stale while it revalidates and for a day while we fail. s-maxage is
// not used: it implies proxy-revalidate, which forbids exactly that stale serving.
const (
	publicCacheControl = "public, max-age=1, stale-while-revalidate=30, stale-if-error=86400"
	cdnCacheControl    = "max-age=10, stale-while-revalidate=60, stale-if-error=86400"
)

// depsKey is where a handler leaves what its answer depends on (see dependsOn).
const depsKey = "pagecache.deps"

// dependsOn records the generation keys the answer being rendered depends on.
func dependsOn(c echo.Context, keys ...string) {
	prev, _ := c.Get(depsKey).([]string)
	c.Set(depsKey, append(prev, keys...))
}

// searchDeps are what a search answer depends on: the map cells around its origin, and
// the cells of its hits (the searcher may look further than the radius); a search without
// a place depends on every pharmacy.
func searchDeps(r search.Request, resp search.Response) []string {
	if resp.Origin.Kind == search.OriginNone {
		return []string{pagecache.Everything}
	}
	deps := pagecache.CellsAround(resp.Origin.Lat, resp.Origin.Lon, r.RadiusKm)
	for _, h := range resp.Hits {
		deps = append(deps, pagecache.Cell(h.Pharmacy.Lat, h.Pharmacy.Lon))
	}
	slices.Sort(deps)
	return slices.Compact(deps)
}

// forgetChanged is the local engine's OnChange: the answers that showed a changed pharmacy
// (where it was and where it is) are recomputed on their next request.
func (a *App) forgetChanged(changes []local.Change) {
	var keys []string
	for _, ch := range changes {
		keys = append(keys, pagecache.Pharmacy(ch.ID), pagecache.Cell(ch.After.Lat, ch.After.Lon))
		if ch.Before != nil {
			keys = append(keys, pagecache.Cell(ch.Before.Lat, ch.Before.Lon))
		}
	}
	a.generations.Bump(keys...)
}

// answerKey names a request's answer: its path and a canonical query, or false for a
// request that is not cached (it gets its error without the cache).
type answerKey func(c echo.Context) (query string, ok bool)

// noQuery is the key of answers that ignore the query string.
func noQuery(echo.Context) (string, bool) { return "", true }

// searchQuery is the canonical query of a search: parameters in one order, defaults left
// out, the query text's spacing and PLZ spelling normalised, and a position snapped to
// 0.001° (about 100 m: less than a phone's position is sure of), so that spellings of one
// search share one answer.
func searchQuery(c echo.Context) (string, bool) {
	r, err := parseSearch(c.QueryParams())
	if err != nil {
		return "", false
	}
	v := url.Values{}
	if q := canonicalQ(r.Q); q != "" {
		v.Set("q", q)
	}
	if r.Origin != nil {
		v.Set("lat", strconv.FormatFloat(snap(r.Origin.Lat), 'f', 3, 64))
		v.Set("lon", strconv.FormatFloat(snap(r.Origin.Lon), 'f', 3, 64))
	}
	if r.RadiusKm != search.DefaultRadiusKm {
		v.Set("radius_km", strconv.FormatFloat(r.RadiusKm, 'f', -1, 64))
	}
	if r.Certificates {
		v.Set("certificates", "true")
	}
	if r.OpenNow {
		v.Set("open_now", "true")
	}
	services := make([]string, 0, len(r.Services))
	for _, s := range r.Services {
		services = append(services, string(s))
	}
	slices.Sort(services)
	if len(services) > 0 {
		v["service"] = services
	}
	if r.Limit != search.DefaultLimit {
		v.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.Offset != 0 {
		v.Set("offset", strconv.Itoa(r.Offset))
	}
	return v.Encode(), true
}

var plzRE = regexp.MustCompile(`^(?i:d\s*-?\s*)?(\d{5})$`)

// canonicalQ collapses spacing and writes a PLZ as its five digits ("D-21614" → "21614").
func canonicalQ(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if m := plzRE.FindStringSubmatch(q); m != nil {
		return m[1]
	}
	return q
}

func snap(deg float64) float64 { return math.Round(deg*1000) / 1000 }

// cached serves a public GET from the response cache: the handler renders into memory
// (once for all concurrent requests of one key) with the canonical query, and the answer
// goes out with ETag, gzip when accepted, and caching headers.
func (a *App) cached(key answerKey) echo.MiddlewareFunc { return a.cache(key, false) }

// cachedPerLanguage is cached for an answer whose words follow Accept-Language (the search
// API's messages, the bare home page's choice of language): the language the header
// prefers joins the key, and the answer says that it varies on the header.
func (a *App) cachedPerLanguage(key answerKey) echo.MiddlewareFunc { return a.cache(key, true) }

// acceptedLanguage is the language the request's Accept-Language prefers.
func acceptedLanguage(c echo.Context) i18n.Lang {
	return i18n.Negotiate(c.Request().Header.Get(headerAcceptLanguage))
}

func (a *App) cache(key answerKey, perLanguage bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if a.answers == nil {
			return next
		}
		return func(c echo.Context) error {
			query, ok := key(c)
			if !ok {
				return next(c)
			}
			req := c.Request()
			k := req.URL.Path + "?" + query
			page := !strings.HasPrefix(req.URL.Path, "/api/")
			lang := i18n.German
			if perLanguage {
				lang = acceptedLanguage(c)
			}
			if lang != i18n.German {
				k += "@" + string(lang) // not for the hit path, which serves German answers only
			} else if req.URL.RawPath == "" {
				a.keys.remember(req.URL.Path, req.URL.RawQuery, k, page, perLanguage) // the hit path's next time
			}
			if page {
				k += "#" + a.bannerKey() // every page shows the banner; its state is part of the answer
			}
			ans, outcome, err := a.answers.Get(req.Context(), k, func(ctx context.Context) (*pagecache.Answer, error) {
				return a.compute(ctx, c, next, query, perLanguage)
			})
			if errors.Is(err, pagecache.ErrNotCacheable) {
				return c.Blob(ans.Status, ans.ContentType, ans.Body)
			}
			if err != nil {
				return err
			}
			return a.writeAnswer(c, ans, outcome)
		}
	}
}

// compute renders the answer of c's route into memory, in a slot of the compute limit.
func (a *App) compute(ctx context.Context, c echo.Context, next echo.HandlerFunc, query string, perLanguage bool) (*pagecache.Answer, error) {
	release, err := a.computeSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	req := c.Request().Clone(ctx)
	req.URL.RawQuery = query
	req.Header.Del("If-None-Match")
	rec := &recorder{header: http.Header{}}
	c2 := c.Echo().NewContext(req, rec)
	c2.SetPath(c.Path())
	c2.SetParamNames(c.ParamNames()...)
	c2.SetParamValues(c.ParamValues()...)
	if err := next(c2); err != nil {
		return nil, err
	}
	ans := &pagecache.Answer{Status: rec.status, ContentType: rec.header.Get(echo.HeaderContentType), Body: rec.body.Bytes()}
	if rec.status != http.StatusOK {
		return ans, pagecache.ErrNotCacheable
	}
	ans.Deps, _ = c2.Get(depsKey).([]string)
	if perLanguage {
		ans.Vary = varyLanguageValue
	}
	return ans, nil
}

// writeAnswer sends a cached answer, or 304 when the client has it.
func (a *App) writeAnswer(c echo.Context, ans *pagecache.Answer, outcome pagecache.Outcome) error {
	if outcome == pagecache.StaleOnError {
		// Computing failed: the last good answer, marked, and kept by nobody as fresh.
		h := c.Response().Header()
		h.Set("X-Cache", string(outcome))
		h.Set("Age", strconv.Itoa(int(max(0, a.now().Sub(ans.At).Seconds()))))
		h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
		h.Set(echo.HeaderCacheControl, "no-cache")
		body, err := a.markStale(ans, langOf(c))
		if err != nil {
			return err
		}
		return c.Blob(ans.Status, ans.ContentType, body)
	}
	_, _, err := a.sendAnswer(c.Response(), c.Request(), ans, outcome)
	return err
}

// sendAnswer writes a cached answer as it is (the router's path and the hit path alike):
// 304 when the client has it, else gzip when accepted, else the identity bytes. The header
// values are the answer's own, made once. It returns the status and the bytes written.
func (a *App) sendAnswer(w http.ResponseWriter, r *http.Request, ans *pagecache.Answer, outcome pagecache.Outcome) (int, int64, error) {
	now := a.now()
	h := w.Header()
	h["X-Cache"] = outcomeValues[outcome]
	h["Age"] = ageValue(int(now.Sub(ans.At).Seconds()))
	h["Vary"] = varyValue
	if ans.Vary != nil {
		h["Vary"] = ans.Vary
	}
	h["Cache-Control"] = publicCacheValue
	h["Cdn-Cache-Control"] = cdnCacheValue
	// nginx counts max-age in whole seconds from the second it stores in, so max-age=1 keeps
	// an answer fresh for up to 2 s. Fresh until the end of this second instead (nginx reads
	// "@" as that second, and keeps the stale serving of Cache-Control): a switch shows
	// through the edge within a second of reaching a portal. nginx passes X-Accel-* on to no one.
	h["X-Accel-Expires"] = a.accelExpires(now)
	h["Etag"] = ans.ETagValue
	if etagMatches(r.Header.Get("If-None-Match"), ans.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified, 0, nil
	}
	body, length := ans.Gzip, ans.GzipLength
	if acceptsGzip(r.Header.Get(echo.HeaderAcceptEncoding)) {
		h["Content-Encoding"] = gzipValue
	} else {
		var err error
		if body, length, err = a.answers.Identity(ans); err != nil {
			return 0, 0, err
		}
	}
	h["Content-Type"] = ans.ContentTypeValue
	h["Content-Length"] = length
	w.WriteHeader(ans.Status)
	n, err := w.Write(body)
	return ans.Status, int64(n), err
}

// staleMarker is where pages say that they show an older answer (see views.layout).
var staleMarker = []byte("<!--stale-->")

// markStale puts a notice with the answer's age into a page; API answers carry the
// X-Cache and Age headers.
func (a *App) markStale(ans *pagecache.Answer, l i18n.Lang) ([]byte, error) {
	body, err := ans.Identity()
	if err != nil || !strings.HasPrefix(ans.ContentType, echo.MIMETextHTML) {
		return body, err
	}
	notice := fmt.Sprintf(`<p class="notice" role="status" data-testid="stale-answer">%s</p>`, html.EscapeString(
		l.T("Die Suche antwortet gerade nicht. Sie sehen die Antwort vom %s (vor %d Minuten); ob eine Apotheke gerade ausstellt, kann sich seither geändert haben.",
			ans.At.In(data.Berlin()).Format(l.T("02.01.2006, 15:04 Uhr")), int(a.now().Sub(ans.At).Minutes()))))
	return bytes.Replace(body, staleMarker, []byte(notice), 1), nil
}

// bannerKey is the state of the banner every page shows, as part of the pages' cache keys:
// made once per state, so a request's key costs no allocation.
func (a *App) bannerKey() string {
	b, ok := a.status.BannerState()
	if m := a.banner.Load(); m != nil && m.ok == ok && m.state == b {
		return m.key
	}
	key := "-"
	if ok {
		key = fmt.Sprintf("%s|%t|%t|%s|%d", b.State, b.Monitored, b.Reported, b.Maintenance, b.Until.Unix())
	}
	a.banner.Store(&bannerMemo{state: b, ok: ok, key: key})
	return key
}

// bannerMemo is the last banner state and its key.
type bannerMemo struct {
	state views.Banner
	ok    bool
	key   string
}

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring gzip;q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			weight, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			q, err := strconv.ParseFloat(weight, 64)
			return !found || err != nil || q > 0
		}
	}
	return false
}

// recorder collects a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
