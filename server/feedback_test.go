package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// postForm sends a form without a token as a browser on base's pages does
// (Origin: base), or with the headers given instead.
func postForm(t *testing.T, b *browserless, path string, form url.Values, headers map[string]string) (*http.Response, *goquery.Document) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if headers == nil {
		headers = map[string]string{"Origin": b.base}
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := b.noRedirects().c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	d, _ := goquery.NewDocumentFromReader(res.Body)
	return res, d
}

// A citizen tells the operator of a barrier from the accessibility statement, in German or
// English, without an account or a cookie (the page stays cacheable); the operators read it
// in /admin, nobody else can.
func TestFeedback_ReachesTheOperatorsAndNobodyElse(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	citizen := from(t, base, "127.0.0.21")
	res, d := citizen.get("/barrierefreiheit")
	if res.StatusCode != http.StatusOK || res.Header.Get("Set-Cookie") != "" || !strings.HasPrefix(res.Header.Get("Cache-Control"), "public") ||
		d.Find("form[data-testid=feedback-form]").AttrOr("action", "") != "/barrierefreiheit" {
		t.Fatalf("statement: %d, cookie %q, cache %q, form %d", res.StatusCode, res.Header.Get("Set-Cookie"), res.Header.Get("Cache-Control"), d.Find("form[data-testid=feedback-form]").Length())
	}
	res, _ = postForm(t, citizen, "/barrierefreiheit", url.Values{"message": {"Die Karte lässt sich nicht mit der Tastatur bedienen."},
		"page": {"/suche?q=21614"}, "contact": {"leser@example.org"}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/barrierefreiheit/danke" {
		t.Fatalf("feedback: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, d := citizen.get("/barrierefreiheit/danke"); d.Find("[data-testid=feedback-thanks]").Length() != 1 {
		t.Fatal("no thanks")
	}
	res, _ = postForm(t, citizen, "/en/barrierefreiheit", url.Values{"message": {"The contrast of the banner is too low."}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/en/barrierefreiheit/danke" {
		t.Fatalf("feedback in English: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}

	if res, _ := newBrowserless(t, base).get("/admin/rueckmeldungen"); res.Request.URL.Path != "/login" {
		t.Fatalf("anonymous /admin/rueckmeldungen ended at %s", res.Request.URL)
	}
	addOperator(t, app)
	ops := newBrowserless(t, base)
	ops.login("ops@example.org", operatorPassword)
	_, d = ops.get("/admin/rueckmeldungen")
	entries := d.Find("[data-testid=feedback-entry]")
	if entries.Length() != 2 || !strings.Contains(entries.Eq(1).Text(), "Tastatur") || !strings.Contains(entries.Eq(1).Text(), "leser@example.org") ||
		!strings.Contains(entries.Eq(0).Text(), "contrast") {
		t.Fatalf("operators see %d entries: %s", entries.Length(), entries.Text())
	}
	if _, d := ops.get("/admin"); d.Find(`a[href="/admin/rueckmeldungen"]`).Length() != 1 {
		t.Fatal("/admin does not link the feedback")
	}
}

// Feedback from another site (CSRF), without a browser's origin, with a bad field, or one
// too many from an address is refused and keeps nothing; a bad one says which field, tied
// to it, with what was typed kept.
func TestFeedback_RefusesForeignPostsBadFieldsAndFloods(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	stored := func() int {
		list, err := app.store.FeedbackList(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	citizen := from(t, base, "127.0.0.22")
	good := url.Values{"message": {"Die Schrift ist zu klein."}}
	for name, headers := range map[string]map[string]string{
		"another site's origin":   {"Origin": "http://evil.example"},
		"a cross-site fetch":      {"Sec-Fetch-Site": "cross-site", "Origin": base},
		"a same-site fetch":       {"Sec-Fetch-Site": "same-site"},
		"no origin at all":        {},
		"an origin of other port": {"Origin": "http://127.0.0.1:1"},
	} {
		if res, _ := postForm(t, citizen, "/barrierefreiheit", good, headers); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
	}
	res, d := postForm(t, citizen, "/barrierefreiheit", url.Values{"message": {"  "}, "contact": {"leser@example.org"}}, nil)
	field := d.Find("#feedback-message")
	if res.StatusCode != http.StatusBadRequest || d.Find("#form-error").Length() != 1 || field.AttrOr("aria-invalid", "") != "true" ||
		field.AttrOr("aria-describedby", "") != "form-error" || d.Find("#feedback-contact").AttrOr("value", "") != "leser@example.org" {
		t.Fatalf("empty message: %d, error %q, field %v", res.StatusCode, d.Find("#form-error").Text(), field.Nodes)
	}
	res, d = postForm(t, citizen, "/en/barrierefreiheit", url.Values{"message": {"ok"}, "page": {"a\nb"}}, nil)
	if res.StatusCode != http.StatusBadRequest || d.Find("#feedback-page").AttrOr("aria-invalid", "") != "true" || !strings.Contains(d.Find("#form-error").Text(), "page") {
		t.Fatalf("a page of two lines, in English: %d, %q", res.StatusCode, d.Find("#form-error").Text())
	}
	if n := stored(); n != 0 {
		t.Fatalf("refused feedback left %d rows", n)
	}
	for i := range freeFeedback {
		if res, _ := postForm(t, citizen, "/barrierefreiheit", good, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("feedback %d of the free ones: %d", i+1, res.StatusCode)
		}
	}
	res, d = postForm(t, citizen, "/barrierefreiheit", good, nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || d.Find("#form-error").Length() != 1 {
		t.Fatalf("one more from the address: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res, _ := postForm(t, from(t, base, "127.0.0.23"), "/barrierefreiheit", good, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another address: %d", res.StatusCode)
	}
	if n := stored(); n != freeFeedback+1 {
		t.Fatalf("%d kept, want %d", n, freeFeedback+1)
	}
}

// Behind a proxy that sends its own Host, a browser's Origin of the portal's public address
// (--public-url) is its own pages'; another origin is not.
func TestFeedback_OriginOfThePublicURL(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.PublicURL = sharedDBCopy(t), "https://apotheken.example.de"
	app, _ := testAppWith(t, cfg)
	h := app.Handler()
	for origin, want := range map[string]int{"https://apotheken.example.de": http.StatusSeeOther, "http://apotheken.example.de": http.StatusForbidden,
		"https://evil.example": http.StatusForbidden} {
		req := httptest.NewRequest(http.MethodPost, "/barrierefreiheit", strings.NewReader("message=Zu+kleine+Schrift"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "10.0.0.11:8080"
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Origin %s: %d, want %d", origin, rec.Code, want)
		}
	}
}
