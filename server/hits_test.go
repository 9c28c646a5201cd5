package main

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// The hit path answers byte for byte as the router does for the same cached answer: the
// same status, headers (but Date, Age and X-Accel-Expires, which move with the clock) and
// body, for pages and API answers, gzip and identity, HEAD, 304 and HTTPS; and it takes
// those requests, not the router.
func TestHitPath_AnswersAsTheRouterDoes(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	hits := app.Handler().(*hitPath)
	router := app.Router()
	for _, tc := range []struct {
		name, method, target string
		header               map[string]string
	}{
		{"search page, gzip", http.MethodGet, "/suche?q=10115", map[string]string{"Accept-Encoding": "gzip"}},
		{"search page, identity", http.MethodGet, "/suche?q=10115", nil},
		{"search page, another spelling", http.MethodGet, "/suche?q=D-10115&certificates=false", map[string]string{"Accept-Encoding": "gzip, deflate, br"}},
		{"home", http.MethodGet, "/", nil},
		{"pharmacy page", http.MethodGet, "/apotheke/" + pharmacyA, map[string]string{"Accept-Encoding": "gzip"}},
		{"search API", http.MethodGet, "/api/v1/pharmacies?q=01069&certificates=true", nil},
		{"pharmacy API", http.MethodGet, "/api/v1/pharmacies/" + pharmacyA, map[string]string{"Accept-Encoding": "gzip"}},
		{"HEAD", http.MethodHead, "/suche?q=10115", map[string]string{"Accept-Encoding": "gzip"}},
		{"claiming HTTPS", http.MethodGet, "/suche?q=10115", map[string]string{"X-Forwarded-Proto": "https"}},
		{"over HTTPS, from a proxy", http.MethodGet, "/suche?q=10115", map[string]string{"X-Forwarded-Proto": "https", "remote": "127.0.0.1:50000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := func() *http.Request {
				r := httptest.NewRequest(tc.method, tc.target, nil)
				for k, v := range tc.header {
					if k == "remote" {
						r.RemoteAddr = v
						continue
					}
					r.Header.Set(k, v)
				}
				return r
			}
			first := httptest.NewRecorder()
			hits.ServeHTTP(first, req()) // computed by the router, remembered
			if first.Code != http.StatusOK {
				t.Fatalf("first ask: %d", first.Code)
			}
			if _, ok := hits.hit(req()); !ok {
				t.Fatal("the hit path does not take the second ask")
			}
			fast, routed := httptest.NewRecorder(), httptest.NewRecorder()
			hits.ServeHTTP(fast, req())
			router.ServeHTTP(routed, req())
			sameAnswer(t, fast, routed)
			revalidate := req()
			revalidate.Header.Set("If-None-Match", fast.Header().Get("ETag"))
			fast304, routed304 := httptest.NewRecorder(), httptest.NewRecorder()
			hits.ServeHTTP(fast304, revalidate)
			router.ServeHTTP(routed304, revalidate.Clone(revalidate.Context()))
			if fast304.Code != http.StatusNotModified {
				t.Fatalf("revalidation: %d", fast304.Code)
			}
			sameAnswer(t, fast304, routed304)
		})
	}
}

func sameAnswer(t *testing.T, fast, routed *httptest.ResponseRecorder) {
	t.Helper()
	if fast.Code != routed.Code || !bytes.Equal(fast.Body.Bytes(), routed.Body.Bytes()) {
		t.Fatalf("hit path %d (%d bytes), router %d (%d bytes)", fast.Code, fast.Body.Len(), routed.Code, routed.Body.Len())
	}
	f, r := fast.Header().Clone(), routed.Header().Clone()
	for _, moving := range []string{"Date", "Age", "X-Accel-Expires"} {
		if (f.Get(moving) == "") != (r.Get(moving) == "") {
			t.Errorf("%s: hit path %q, router %q", moving, f.Get(moving), r.Get(moving))
		}
		f.Del(moving)
		r.Del(moving)
	}
	if !maps.EqualFunc(f, r, slices.Equal) {
		t.Fatalf("headers differ:\nhit path %v\nrouter   %v", f, r)
	}
	if f.Get("X-Cache") != "hit" || f.Get("Content-Security-Policy") == "" {
		t.Fatalf("not a hit with the security headers: %v", f)
	}
}
