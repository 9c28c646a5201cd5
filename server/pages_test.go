package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/apoportal/apoportal/internal/testenv"
)

func doc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHomePage(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	rec := get(t, app.Handler(), "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	d := doc(t, rec.Body.String())
	form := d.Find("[data-testid=search-form]")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/suche" {
		t.Errorf("search form is not a GET form to /suche")
	}
	if _, ok := d.Find("input[name=certificates]").Attr("checked"); !ok {
		t.Error("home page does not filter for issuing pharmacies by default")
	}
	if d.Find("html").AttrOr("lang", "") != "de" || d.Find("label[for=q]").Length() != 1 {
		t.Error("page lacks lang=de or a label for the search field")
	}
	if d.Find("[data-testid=demo-banner]").Length() != 0 {
		t.Error("registry database marked as demo")
	}
}

func TestResultsPage_ListsNearestFirstWithoutJavaScript(t *testing.T) {
	onEachStore(t, testResultsPage_ListsNearestFirstWithoutJavaScript)
}

func testResultsPage_ListsNearestFirstWithoutJavaScript(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), func() time.Time { return launch })
	rec := get(t, app.Handler(), "/suche?q=21614&certificates=true")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	d := doc(t, rec.Body.String())
	if h := d.Find("[data-testid=results-heading]").Text(); !strings.Contains(h, "21614 Buxtehude") {
		t.Errorf("heading %q", h)
	}
	cards := d.Find("[data-testid=pharmacy]")
	if cards.Length() == 0 {
		t.Fatal("no results")
	}
	cards.Each(func(i int, s *goquery.Selection) {
		if s.Find("[data-testid=certificate-status]").AttrOr("data-status", "") != "active" {
			t.Errorf("card %d not active", i)
		}
		if href := s.Find("[data-testid=pharmacy-link]").AttrOr("href", ""); !strings.HasPrefix(href, "/apotheke/") {
			t.Errorf("card %d links to %q", i, href)
		}
		if nav := s.Find("[data-testid=navigation]").AttrOr("href", ""); !strings.HasPrefix(nav, "https://") {
			t.Errorf("card %d navigation %q", i, nav)
		}
	})
	if _, ok := d.Find("input[name=certificates]").Attr("checked"); !ok {
		t.Error("filter state lost")
	}
}

func TestResultsPage_PagingLinks(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	d := doc(t, get(t, app.Handler(), "/suche?q=Berlin").Body.String())
	next := d.Find("a[rel=next]").AttrOr("href", "")
	u, err := url.Parse(next)
	if err != nil || u.Query().Get("offset") != "20" || u.Query().Get("q") != "Berlin" {
		t.Fatalf("next link %q", next)
	}
	d = doc(t, get(t, app.Handler(), next).Body.String())
	if d.Find("ol[data-testid=results]").AttrOr("start", "") != "21" || d.Find("a[rel=prev]").Length() != 1 {
		t.Error("second page does not continue the numbering or lacks a link back")
	}
}

func TestResultsPage_AmbiguousTownOffersLinks(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	d := doc(t, get(t, app.Handler(), "/suche?q=Neukirchen&certificates=true").Body.String())
	links := d.Find("[data-testid=suggestions] a")
	if links.Length() < 2 || d.Find("[data-testid=message]").Length() != 1 {
		t.Fatalf("%d suggestions", links.Length())
	}
	href := links.First().AttrOr("href", "")
	if u, _ := url.Parse(href); u.Query().Get("certificates") != "true" {
		t.Errorf("suggestion %q drops the filters", href)
	}
	if rec := get(t, app.Handler(), href); rec.Code != http.StatusOK || doc(t, rec.Body.String()).Find("[data-testid=pharmacy]").Length() == 0 {
		t.Errorf("suggestion %q finds nothing", href)
	}
}

func TestResultsPage_EmptyAndBadSearches(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	h := app.Handler()
	rec := get(t, h, "/suche?q=")
	if rec.Code != http.StatusBadRequest || doc(t, rec.Body.String()).Find("[data-testid=error]").Length() != 1 {
		t.Errorf("empty search: %d", rec.Code)
	}
	rec = get(t, h, "/suche?q=21614&radius_km=500")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "radius_km") {
		t.Errorf("bad radius: %d", rec.Code)
	}
	rec = get(t, h, "/suche?q=00000")
	if rec.Code != http.StatusOK || doc(t, rec.Body.String()).Find("[data-testid=message]").Length() != 1 {
		t.Errorf("unknown PLZ: %d", rec.Code)
	}
}

// The form shows the search as it was searched: one parse for the form, the search and the
// cache key (7.5 km was shown as 10 km and searched as 7.5).
func TestResultsPage_FormShowsWhatWasSearched(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	h := app.Handler()
	d := doc(t, get(t, h, "/suche?q=21614&radius_km=7.5&certificates=true&service=botendienst&service=botendienst").Body.String())
	if got := d.Find("select[name=radius_km] option[selected]"); got.Length() != 1 || got.AttrOr("value", "") != "7.5" || got.Text() != "7,5 km" {
		t.Errorf("radius 7.5 shown as %q (%q)", got.AttrOr("value", ""), got.Text())
	}
	if d.Find("input[name=certificates][checked]").Length() != 1 || d.Find("input[name=service][value=botendienst][checked]").Length() != 1 {
		t.Error("the filters searched are not checked")
	}
	d = doc(t, get(t, h, "/suche?q=21614&radius_km=20").Body.String())
	if got := d.Find("select[name=radius_km] option"); got.Length() != 6 || d.Find("option[selected]").AttrOr("value", "") != "20" {
		t.Errorf("radius 20: %d options, selected %q", got.Length(), d.Find("option[selected]").AttrOr("value", ""))
	}
	d = doc(t, get(t, h, "/suche?q=21614&radius_km=500").Body.String())
	if got := d.Find("option[selected]").AttrOr("value", ""); got != "10" {
		t.Errorf("an invalid radius shows %q, not the default", got)
	}
}

func TestPages_EscapeWhatCitizensType(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	for _, payload := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `javascript:alert(1)`, `'><svg/onload=alert(1)>`} {
		rec := get(t, h, "/suche?q="+url.QueryEscape(payload))
		body := rec.Body.String()
		if rec.Code >= 500 || strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") ||
			strings.Contains(body, "<svg/onload") || strings.Contains(body, `href="javascript:`) {
			t.Errorf("%q reflected unescaped (status %d)", payload, rec.Code)
		}
	}
}

func TestPharmacyPage(t *testing.T) { onEachStore(t, testPharmacyPage) }

func testPharmacyPage(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), func() time.Time { return launch })
	h := app.Handler()
	rec := get(t, h, "/apotheke/306345139")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	d := doc(t, rec.Body.String())
	if d.Find("[data-testid=pharmacy-name]").Text() != "Neue-Apotheke im Zentrum" || d.Find("[data-testid=hours] tr").Length() != 7 {
		t.Error("detail page lacks name or a week of opening hours")
	}
	if rec := get(t, h, "/apotheke/999999999"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown pharmacy: %d", rec.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	rec := get(t, app.Handler(), "/")
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func TestStaticAssets_HashedAndImmutable(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	css := app.assets.URL("app.css")
	if css == "" || css == "/static/app.css" {
		t.Fatalf("app.css has no hashed URL: %q", css)
	}
	rec := get(t, h, css)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("%s: %d %v", css, rec.Code, rec.Header())
	}
	req, _ := http.NewRequest(http.MethodGet, css, nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusNotModified {
		t.Errorf("matching ETag: %d", w.Code)
	}
	if app.assets.URL("vendor/leaflet/leaflet.js") == "" && testenv.RequireAll() {
		t.Error("Leaflet not embedded: make assets copies it from npm")
	}
	if rec := get(t, h, "/static/nothing.js"); rec.Code != http.StatusNotFound {
		t.Errorf("missing asset: %d", rec.Code)
	}
}

// The home page always says in one line what is known of the national service, linked to
// /status, and never claims what the monitor does not know.
func TestHomePage_NationalServiceInOneLine(t *testing.T) {
	line := func(t *testing.T, body string) (state, text string) {
		t.Helper()
		l := doc(t, body).Find("[data-testid=national-line]")
		if l.Length() != 1 || l.Find(`a[href="/status"]`).Length() != 1 {
			t.Fatalf("%d national lines (or no link to /status)", l.Length())
		}
		return l.AttrOr("data-state", ""), l.Text()
	}
	app, _ := testApp(t, sharedDBCopy(t), nil)
	if state, text := line(t, get(t, app.Handler(), "/").Body.String()); state != "unmonitored" || !strings.Contains(text, "nicht überwacht") {
		t.Errorf("without a monitor: %s %q", state, text)
	}
	national := newFakeNational(t)
	_, base := monitoredApp(t, sharedDBCopy, national.srv.URL)
	home := func() string {
		res, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return readAll(t, res.Body)
	}
	waitState(t, base, "operational")
	if state, text := line(t, home()); state != "operational" || !strings.Contains(text, "in Betrieb") {
		t.Errorf("while up: %s %q", state, text)
	}
	national.setDown(true)
	waitState(t, base, "down")
	body := home()
	if state, text := line(t, body); state != "down" || !strings.Contains(text, "gestört") {
		t.Errorf("while down: %s %q", state, text)
	}
	if doc(t, body).Find(`[data-testid=national-banner] a[href="/hilfe#stoerung"]`).Length() != 1 {
		t.Error("the banner of an outage does not lead to the help")
	}
}

// Every public page has the site's navigation, the current section marked; the footer
// leads to the status, its feed and the APIs.
func TestPages_NavigationOnEveryPage(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	for path, current := range map[string]string{"/": "/", "/suche?q=21614": "/", "/apotheke/" + pharmacyA: "/",
		"/status": "/status", "/login": "/login", "/aktivieren": "/login", "/hilfe": "", "/leichte-sprache": "", "/nirgendwo": ""} {
		d := doc(t, get(t, h, path).Body.String())
		nav := d.Find("nav[data-testid=site-nav]")
		var hrefs []string
		nav.Find("a").Each(func(_ int, a *goquery.Selection) { hrefs = append(hrefs, a.AttrOr("href", "")) })
		if strings.Join(hrefs, " ") != "/ /status /login" || nav.AttrOr("aria-label", "") == "" {
			t.Errorf("%s: navigation %v", path, hrefs)
		}
		if got := nav.Find(`a[aria-current="page"]`).AttrOr("href", ""); got != current {
			t.Errorf("%s: current section %q, want %q", path, got, current)
		}
		for _, href := range []string{"/status", "/status/feed.atom", "/api/v1/status", "/impressum", "/datenschutz", "/barrierefreiheit", "/leichte-sprache"} {
			if d.Find(`[data-testid=footer-links] a[href="`+href+`"]`).Length() != 1 {
				t.Errorf("%s: footer lacks %s", path, href)
			}
		}
	}
}

// Citizens find the help: from the home page, results, the detail page and the banner of
// an outage; the Leichte Sprache page from the home page.
func TestPages_HelpForCitizens(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	h := app.Handler()
	d := doc(t, get(t, h, "/hilfe").Body.String())
	for _, want := range []string{"Impfausweis", "Impfbescheinigung", "Ausweis", "zehn Minuten", "CovPass", "Corona-Warn-App"} {
		if !strings.Contains(d.Find("main").Text(), want) {
			t.Errorf("/hilfe does not say %q", want)
		}
	}
	if d.Find("#stoerung").Length() != 1 || !strings.Contains(d.Find("#stoerung").Text(), "später") {
		t.Error("/hilfe does not say what happens when the national server is down")
	}
	if rec := get(t, h, "/leichte-sprache"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Leichter Sprache") {
		t.Errorf("/leichte-sprache: %d", rec.Code)
	}
	home := doc(t, get(t, h, "/").Body.String())
	if home.Find(`main a[href="/hilfe"]`).Length() == 0 || home.Find(`main a[href="/leichte-sprache"]`).Length() == 0 {
		t.Error("the home page does not lead to the help and the Leichte Sprache page")
	}
	for _, path := range []string{"/suche?q=21614", "/apotheke/" + pharmacyA} {
		if doc(t, get(t, h, path).Body.String()).Find(`[data-testid=help-link][href="/hilfe"]`).Length() != 1 {
			t.Errorf("%s does not lead to the help", path)
		}
	}
}

// The legal pages show the operator's texts from --legal-dir, say plainly which are
// missing, and the privacy statement always says what the portal stores.
func TestLegalPages(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "impressum.md"), []byte("## Angaben gemäß § 5 DDG\n\nLandesamt für Gesundheit <script>alert(1)</script>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DB, cfg.LegalDir = sharedDBCopy(t), dir
	app, _ := testAppWith(t, cfg)
	h := app.Handler()
	d := doc(t, get(t, h, "/impressum").Body.String())
	if got := d.Find("[data-testid=legal-text] h2").Text(); got != "Angaben gemäß § 5 DDG" || d.Find("main script").Length() != 0 {
		t.Errorf("impressum: heading %q, %d scripts", got, d.Find("main script").Length())
	}
	d = doc(t, get(t, h, "/datenschutz").Body.String())
	if d.Find("[data-testid=legal-missing]").Length() != 1 || !strings.Contains(d.Find("[data-testid=privacy-facts]").Text(), "keine Cookies") {
		t.Error("a missing privacy statement is not said, or the portal's own facts are missing")
	}
	if rec := get(t, h, "/barrierefreiheit"); rec.Code != http.StatusOK || doc(t, rec.Body.String()).Find("[data-testid=legal-missing]").Length() != 1 {
		t.Errorf("barrierefreiheit: %d", rec.Code)
	}
	cfg.LegalDir = filepath.Join(dir, "nowhere")
	if app, err := OpenApp(context.Background(), cfg, newLogger(io.Discard, "info"), nil); err == nil || !strings.Contains(err.Error(), "not a folder") {
		if app != nil {
			app.Close()
		}
		t.Errorf("a misspelt --legal-dir: %v", err)
	}
}
