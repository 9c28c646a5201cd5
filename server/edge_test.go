package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/internal/testenv"
)

// edge is three portals on one PostgreSQL behind a real nginx with the shipped edge
// configuration (deploy/nginx), the portals believing X-Forwarded-For from it alone.
func edge(t *testing.T) (*testenv.Nginx, []*replica) {
	t.Helper()
	rs := startReplicas(t, sharedPostgres(t), 3, func(c *Config) { c.TrustedProxies = "127.0.0.1/32" })
	var upstreams []string
	for _, r := range rs {
		upstreams = append(upstreams, strings.TrimPrefix(r.base, "http://"))
	}
	return testenv.StartNginx(t, upstreams), rs
}

// getFrom asks path of nginx from a client at ip and returns the answer and its body.
func getFrom(t *testing.T, n *testenv.Nginx, ip, path string) (*http.Response, string) {
	t.Helper()
	res, err := from(t, n.URL, ip).c.Get(n.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res, readAll(t, res.Body)
}

// Public answers are microcached at the edge and served from there; when every portal is
// stopped, what was cached is still served (stale) and what was not gets our 503 page with
// Retry-After, never nginx's; the portals back, the edge serves fresh answers again, with no
// restart of nginx.
func TestEdge_CachesAndSurvivesEveryPortalDown(t *testing.T) {
	n, rs := edge(t)
	const page = "/suche?q=21614"
	getFrom(t, n, "127.0.0.2", page)
	res, body := getFrom(t, n, "127.0.0.2", page)
	// From the edge's cache: fresh, or stale while it refreshes when a second ended between.
	if cache := res.Header.Get("X-Cache-Status"); res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="pharmacy"`) ||
		(cache != "HIT" && cache != "STALE" && cache != "UPDATING") {
		t.Fatalf("second ask of a hot page: %d, cache %q\n%s", res.StatusCode, cache, n.ErrorLog())
	}
	getFrom(t, n, "127.0.0.2", "/api/v1/pharmacies?q=21614")
	stopping := time.Now()
	for _, r := range rs {
		r.stop()
	}
	t.Logf("every portal stopped (drained) in %s", time.Since(stopping).Round(time.Millisecond))
	time.Sleep(2100 * time.Millisecond) // past max-age (nginx counts in whole seconds): only stale answers are left
	res, body = getFrom(t, n, "127.0.0.2", page)
	if cache := res.Header.Get("X-Cache-Status"); res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="pharmacy"`) ||
		(cache != "STALE" && cache != "UPDATING") {
		t.Fatalf("cached page with every portal down: %d, cache %q", res.StatusCode, cache)
	}
	t.Logf("cached page, every portal down: %d, X-Cache-Status %s, Age %s", res.StatusCode, res.Header.Get("X-Cache-Status"), res.Header.Get("Age"))
	res, body = getFrom(t, n, "127.0.0.2", "/suche?q=10115")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, `data-testid="edge-unavailable"`) || strings.Contains(body, "nginx") {
		t.Fatalf("uncached page with every portal down: %d, Retry-After %q:\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	res, body = getFrom(t, n, "127.0.0.2", "/api/v1/pharmacies?q=10115")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		!strings.Contains(body, `"code":"unavailable"`) {
		t.Fatalf("uncached API answer with every portal down: %d %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	for _, r := range rs {
		r.restart(t)
	}
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		res, _ := getFrom(t, n, "127.0.0.2", "/suche?q=10115")
		if res.StatusCode == http.StatusOK {
			t.Logf("portals back: the edge answers fresh after %s", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("portals back, the edge still answers %d", res.StatusCode)
		}
	}
}

// What is private never comes from or goes into the edge's cache: a page that sets a cookie
// (the login form's CSRF cookie), a logged-in session's pages.
func TestEdge_NeverCachesCookiesOrSessions(t *testing.T) {
	n, _ := edge(t)
	for range 2 {
		res, _ := getFrom(t, n, "127.0.0.3", "/login")
		if res.Header.Get("Set-Cookie") == "" || res.Header.Get("X-Cache-Status") == "HIT" {
			t.Fatalf("login form: Set-Cookie %q, cache %q", res.Header.Get("Set-Cookie"), res.Header.Get("X-Cache-Status"))
		}
	}
	req, _ := http.NewRequest(http.MethodGet, n.URL+"/suche?q=21614", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "someone"})
	for range 2 {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Cache-Status"); got != "BYPASS" {
			t.Fatalf("a page asked with a session cookie: cache %q, want BYPASS", got)
		}
	}
}

// The portal sees the client's address as the edge saw it, whatever the client claims in
// X-Forwarded-For: a switch through nginx is audited with the client's address.
func TestEdge_ClientAddressIsTheEdgesNotTheClaimed(t *testing.T) {
	n, rs := edge(t)
	_, tok := token(t, rs[0].app, pharmacyA)
	req, _ := http.NewRequest(http.MethodPost, n.URL+"/api/v1/participation", strings.NewReader(`{"participating": true, "note": "über nginx"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Forwarded-For", "203.0.113.66")
	res, err := from(t, n.URL, "127.0.0.7").c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("switch through nginx: %d", res.StatusCode)
	}
	log, err := rs[0].app.store.AuditLog(context.Background(), pharmacyA, 1)
	if err != nil || len(log) != 1 || log[0].Source != "127.0.0.7" {
		t.Fatalf("audited as %+v (%v), want the client's 127.0.0.7", log, err)
	}
}

// One address hammering the edge is limited there (429), another address is not.
func TestEdge_LimitsPerClientAddress(t *testing.T) {
	n, _ := edge(t)
	abuser := from(t, n.URL, "127.0.0.8")
	limited := 0
	for range 600 {
		res, err := abuser.c.Get(n.URL + "/suche?q=21614")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("600 requests at once from one address, none limited")
	}
	if res, _ := getFrom(t, n, "127.0.0.9", "/suche?q=21614"); res.StatusCode != http.StatusOK {
		t.Fatalf("another address while one is limited: %d", res.StatusCode)
	}
	t.Logf("one address, 600 requests as fast as they go: %d limited with 429", limited)
}

// swallower is a portal that takes a whole request and dies before answering, as one
// SIGKILLed just after its commit does: it counts the changes (POSTs) it took.
func swallower(t *testing.T) (addr string, took *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	took = &atomic.Int64{}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				if req.Method == http.MethodPost {
					took.Add(1)
				}
			}()
		}
	}()
	return l.Addr().String(), took
}

// A change that reached a portal which failed before answering may have been made: the
// edge says outcome_unknown (JSON under /api/, a page saying so for a form), never the
// "unavailable" that means nothing changed, and never sends it to a second portal. A change
// no portal took (connection refused) is plainly unavailable. Before, both were
// "unavailable", and make cluster-chaos found a switch called refused in the audit log.
func TestEdge_AChangeCutOffAtAPortalIsOutcomeUnknown(t *testing.T) {
	addr, took := swallower(t)
	n := testenv.StartNginx(t, []string{addr})
	post := func(n *testenv.Nginx, path, contentType, body string) (*http.Response, string) {
		t.Helper()
		res, err := http.Post(n.URL+path, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return res, readAll(t, res.Body)
	}
	res, body := post(n, "/api/v1/participation", "application/json", `{"participating": true}`)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"code":"outcome_unknown"`) {
		t.Fatalf("a switch the portal took and never answered: %d, Retry-After %q, %q: %s", res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), body)
	}
	res, body = post(n, "/konto/teilnahme", "application/x-www-form-urlencoded", "participating=on")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(body, `data-testid="edge-outcome-unknown"`) {
		t.Fatalf("a form the portal took and never answered: %d, Retry-After %q:\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if got := took.Load(); got != 2 {
		t.Fatalf("the portal took %d changes, want each of the 2 once\n%s", got, n.ErrorLog())
	}
	res, body = getFrom(t, n, "127.0.0.2", "/api/v1/pharmacies?q=10115")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"unavailable"`) {
		t.Fatalf("a search the portal never answered: %d: %s", res.StatusCode, body)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close() // nothing listens: every connection is refused
	n = testenv.StartNginx(t, []string{closed.Addr().String()})
	res, body = post(n, "/api/v1/participation", "application/json", `{"participating": true}`)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"unavailable"`) {
		t.Fatalf("a switch no portal took: %d: %s", res.StatusCode, body)
	}
	res, body = post(n, "/konto/teilnahme", "application/x-www-form-urlencoded", "participating=on")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `data-testid="edge-unavailable"`) {
		t.Fatalf("a form no portal took: %d:\n%s", res.StatusCode, body)
	}
}
