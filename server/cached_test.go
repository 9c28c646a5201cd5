package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/server/pagecache"
)

func request(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCache_SpellingsShareOneAnswerWithETagAndGzip(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	first := request(t, h, "/suche?q=21614")
	if first.Code != http.StatusOK || first.Header().Get("X-Cache") != "miss" {
		t.Fatalf("first: %d %s", first.Code, first.Header().Get("X-Cache"))
	}
	for _, spelling := range []string{"/suche?q=+21614+", "/suche?q=D-21614", "/suche?radius_km=10&q=21614", "/suche?q=d+21614"} {
		rec := request(t, h, spelling)
		if rec.Header().Get("X-Cache") != "hit" || rec.Body.String() != first.Body.String() {
			t.Errorf("%s: %s, same bytes %v", spelling, rec.Header().Get("X-Cache"), rec.Body.String() == first.Body.String())
		}
	}
	etag := first.Header().Get("ETag")
	for name, want := range map[string]string{"Cache-Control": publicCacheControl, "CDN-Cache-Control": cdnCacheControl, "Vary": "Accept-Encoding"} {
		if got := first.Header().Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	notModified := request(t, h, "/suche?q=21614", "If-None-Match", etag)
	if notModified.Code != http.StatusNotModified || notModified.Body.Len() != 0 || notModified.Header().Get("ETag") != etag ||
		notModified.Header().Get("Cache-Control") != publicCacheControl || notModified.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("If-None-Match: %d, headers %v", notModified.Code, notModified.Header())
	}
	if rec := request(t, h, "/suche?q=21614", "If-None-Match", `W/"other"`); rec.Code != http.StatusOK {
		t.Fatalf("other ETag: %d", rec.Code)
	}
	zipped := request(t, h, "/suche?q=21614", "Accept-Encoding", "br, gzip")
	if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Body.Len() >= first.Body.Len()/3 {
		t.Fatalf("gzip: %q, %d of %d bytes", zipped.Header().Get("Content-Encoding"), zipped.Body.Len(), first.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != first.Body.String() {
		t.Fatal("gzip body differs")
	}
	if rec := request(t, h, "/suche?q=21614", "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Fatal("gzip sent though refused")
	}
	if rec := request(t, h, "/suche?q=21614&radius_km=abc"); rec.Code != http.StatusBadRequest || rec.Header().Get("X-Cache") != "" {
		t.Fatalf("bad parameter: %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
	}
	if rec := request(t, h, "/apotheke/999999999"); rec.Code != http.StatusNotFound || rec.Header().Get("ETag") != "" {
		t.Fatalf("unknown pharmacy: %d, ETag %q", rec.Code, rec.Header().Get("ETag"))
	}
}

// A switch makes the answers showing that pharmacy fresh within a second and leaves the
// others cached.
func TestCache_SwitchRefreshesOnlyAffectedAnswers(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	_, tok := token(t, app, pharmacyA)
	for _, path := range []string{"/suche?q=01069", "/api/v1/pharmacies?q=01069&certificates=true", "/apotheke/" + pharmacyA, "/suche?q=80331"} {
		res, _ := http.Get(base + path)
		res.Body.Close()
	}
	switchOff(t, base, tok)
	start := time.Now()
	for _, path := range []string{"/api/v1/pharmacies?q=01069&certificates=true", "/apotheke/" + pharmacyA} {
		for {
			res, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, res.Body)
			res.Body.Close()
			if (strings.HasPrefix(path, "/api") && !strings.Contains(body, pharmacyA)) || (!strings.HasPrefix(path, "/api") && strings.Contains(body, `data-status="inactive"`)) {
				break
			}
			if time.Since(start) > 5*time.Second { // the target is 1 s (make bench measures it); this catches a missing invalidation
				t.Fatalf("%s still shows the old participation after 5 s", path)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("switch visible through the cache after %s", time.Since(start).Round(time.Millisecond))
	res, _ := http.Get(base + "/suche?q=80331")
	res.Body.Close()
	if res.Header.Get("X-Cache") != "hit" {
		t.Errorf("a search in München was recomputed after a switch in Dresden: %s", res.Header.Get("X-Cache"))
	}
}

func switchOff(t *testing.T, base, tok string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", strings.NewReader(`{"participating": false}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("switch: %v %v", res, err)
	}
	res.Body.Close()
}

// When the store fails, the last good page is served and says how old it is.
func TestCache_StaleIfErrorSaysSo(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB = sharedDBCopy(t)
	app, _ := openTestApp(t, cfg, nil)
	h := app.Handler()
	path := "/apotheke/" + pharmacyA
	if rec := request(t, h, path); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	app.generations.Bump(pagecache.Pharmacy(pharmacyA)) // a write, then the store breaks
	breakTable(t, cfg.DB, "pharmacies", "pharmacies_away")
	defer breakTable(t, cfg.DB, "pharmacies_away", "pharmacies")
	rec := request(t, h, path)
	if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "stale-on-error" || rec.Header().Get("Cache-Control") != "no-cache" ||
		!strings.Contains(rec.Body.String(), `data-testid="stale-answer"`) || !strings.Contains(rec.Body.String(), "Neue-Apotheke") {
		t.Fatalf("store failing: %d %v", rec.Code, rec.Header())
	}
	if rec := request(t, h, "/apotheke/"+pharmacyB); rec.Code != http.StatusInternalServerError {
		t.Fatalf("never cached, store failing: %d", rec.Code)
	}
}

// At the compute limit, cached answers are still served; only what must be computed gets
// a fast 503 with Retry-After.
func TestCache_OverloadIs503OnlyForUncached(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.ComputeLimit = sharedDBCopy(t), 1
	app, _ := openTestApp(t, cfg, nil)
	h := app.Handler()
	request(t, h, "/suche?q=21614")
	app.computing <- struct{}{} // every slot busy
	defer func() { <-app.computing }()
	if rec := request(t, h, "/suche?q=21614"); rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "hit" {
		t.Fatalf("cached answer at the limit: %d %s", rec.Code, rec.Header().Get("X-Cache"))
	}
	start := time.Now()
	rec := request(t, h, "/api/v1/pharmacies?q=80331")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"overloaded"`) {
		t.Fatalf("uncached at the limit: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	t.Logf("503 after %s", time.Since(start).Round(time.Millisecond))
	if rec := request(t, h, "/status"); rec.Code != http.StatusOK {
		t.Fatalf("status page at the limit: %d", rec.Code)
	}
}

// Private pages are never cached, and public answers never carry a cookie.
func TestCache_PrivatePagesNeverCached(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	b := newBrowserless(t, base)
	b.login("neue@example.org", goodPassword)
	for _, path := range []string{"/konto", "/login"} {
		res, _ := b.get(path)
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("ETag") != "" || res.Header.Get("X-Cache") != "" {
			t.Errorf("%s: Cache-Control %q, ETag %q, X-Cache %q", path, res.Header.Get("Cache-Control"), res.Header.Get("ETag"), res.Header.Get("X-Cache"))
		}
	}
	// A logged-in pharmacist's view of public pages is everyone's: nothing of the session in it.
	res, d := b.get("/suche?q=01069")
	if res.Header.Get("Set-Cookie") != "" || strings.Contains(d.Text(), "neue@example.org") || strings.Contains(d.Text(), "Abmelden") {
		t.Error("a public page carries something of the session")
	}
	if app.answers.Stats().Entries == 0 {
		t.Error("public pages were not cached")
	}
}

// The search API limits each client address; other addresses and pages are not affected.
func TestSearchAPI_RateLimitPerAddress(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.APIRate = sharedDBCopy(t), 5
	app, _ := openTestApp(t, cfg, nil)
	h := app.Handler()
	from := func(ip string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/pharmacies?q=21614", nil)
		req.RemoteAddr = ip + ":4711"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") != "1" {
			t.Fatal("429 without Retry-After")
		}
		return rec.Code
	}
	limited := 0
	for i := range 40 {
		code := from("192.0.2.1")
		if code == http.StatusTooManyRequests {
			limited++
		} else if code != http.StatusOK {
			t.Fatalf("request %d: %d", i, code)
		}
		if i < 15 && code != http.StatusOK {
			t.Fatalf("request %d of the burst limited", i)
		}
	}
	if limited < 10 { // 25 beyond the burst; a slow machine refills a few tokens meanwhile
		t.Fatalf("only %d of 40 rapid requests limited at 5/s with bursts of 15", limited)
	}
	if from("192.0.2.2") != http.StatusOK {
		t.Fatal("another address was limited")
	}
	if rec := request(t, h, "/suche?q=21614"); rec.Code != http.StatusOK {
		t.Fatalf("the search page was limited: %d", rec.Code)
	}
}
