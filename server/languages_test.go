package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// germanText finds German on a page meant to be English: umlauts and ß, and words no
// English sentence has.
var germanText = regexp.MustCompile(`[äöüÄÖÜß]|\b(?:und|oder|der|die|das|nicht|mit|für|Sie|Ihr|Ihre|ist|von|zum|zur|bis|Uhr|Apotheke|Apotheken|geöffnet|geschlossen|Suche|Karte|Seite|keine|wird|jetzt)\b`)

// englishPages are every public page asked in English: home, results (with hits, with
// suggestions, an unknown postcode, an empty search), a pharmacy, status, help, the legal
// pages, an error page.
var englishPages = []string{"/en/", "/en/suche?q=21614", "/en/suche?q=Neukirchen", "/en/suche?q=00000", "/en/suche?q=",
	"/en/suche?q=21614&radius_km=nope", "/en/apotheke/" + pharmacyA, "/en/apotheke/nope", "/en/status", "/en/hilfe",
	"/en/impressum", "/en/datenschutz", "/en/barrierefreiheit", "/en/barrierefreiheit/danke", "/en/login", "/en/aktivieren", "/en/login?aktiviert=neu", "/en/nirgendwo"}

// German left on an English page, where it is not data (names, addresses: translate=no)
// or marked as German (lang=de: operators' texts, the Leichte Sprache link): in the text,
// in the attributes people hear or see, and in the texts app.js shows.
func germanOn(d *goquery.Document) []string {
	marked := d.Find(`body [lang="de"], [translate="no"]`)
	var data []string // what the title and description may repeat of it
	marked.Each(func(_ int, s *goquery.Selection) { data = append(data, strings.TrimSpace(s.Text())) })
	withoutData := func(text string) string {
		for _, d := range data {
			if d != "" {
				text = strings.ReplaceAll(text, d, "")
			}
		}
		return text
	}
	marked.Remove()
	d.Find("script, style").Remove()
	var found []string
	d.Find("body *, title").Each(func(_ int, s *goquery.Selection) {
		for _, n := range s.Nodes {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == 1 { // text
					if text := strings.TrimSpace(c.Data); germanText.MatchString(withoutData(text)) {
						found = append(found, text)
					}
				}
			}
		}
		for _, attr := range []string{"aria-label", "title", "placeholder", "alt", "data-hide", "data-show", "data-attribution", "data-locating", "data-unavailable"} {
			if v, ok := s.Attr(attr); ok && germanText.MatchString(v) {
				found = append(found, attr+"="+v)
			}
		}
	})
	if v, ok := d.Find(`meta[name="description"]`).Attr("content"); ok && germanText.MatchString(withoutData(v)) {
		found = append(found, "description="+v)
	}
	return found
}

// No German text remains on an English page, every page says its language, and English
// links lead to English pages; the page weights of home and results in each language are
// logged (bytes as sent gzipped).
func TestLanguages_EnglishPagesHaveNoGerman(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	for _, path := range englishPages {
		rec := get(t, h, path)
		d := doc(t, rec.Body.String())
		if lang := d.Find("html").AttrOr("lang", ""); lang != "en" {
			t.Errorf("%s: html lang %q", path, lang)
		}
		d.Find("main a[href^='/'], header a[href^='/']").Each(func(_ int, a *goquery.Selection) {
			href := a.AttrOr("href", "")
			if !strings.HasPrefix(href, "/en/") && a.AttrOr("hreflang", "") != "de" && !strings.HasPrefix(href, "/api/") && !strings.HasPrefix(href, "/status/") {
				t.Errorf("%s: link %q (%s) leads out of English", path, href, a.Text())
			}
		})
		for _, g := range germanOn(d) {
			t.Errorf("%s: German text %q", path, g)
		}
	}
	if german := germanOn(doc(t, get(t, h, "/suche?q=21614").Body.String())); len(german) < 10 {
		t.Fatalf("the German results page shows only %d German texts to the detector: it sees nothing", len(german))
	}
	for _, path := range []string{"/", "/suche?q=21614"} {
		de, en := gzipped(t, h, path), gzipped(t, h, "/en"+path)
		t.Logf("page weight %-16s German %5d B, English %5d B (gzip)", path, de, en)
	}
}

// gzipped is the size of path's answer as sent to a browser that accepts gzip.
func gzipped(t *testing.T, h http.Handler, path string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("%s: %d, %q", path, rec.Code, rec.Header().Get("Content-Encoding"))
	}
	if _, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes())); err != nil {
		t.Fatal(err)
	}
	return rec.Body.Len()
}

// Every page says its language, names its versions in each (hreflang) and switches to the
// same page, query kept, in the other language; the German home is linked with lang=de,
// which the bare / would otherwise send to the browser's preferred language.
func TestLanguages_SwitchLeadsToTheSamePage(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	for _, c := range []struct{ path, lang, other, otherURL string }{
		{"/suche?q=21614", "de", "en", "/en/suche?q=21614"},
		{"/en/suche?q=21614", "en", "de", "/suche?q=21614"},
		{"/apotheke/" + pharmacyA, "de", "en", "/en/apotheke/" + pharmacyA},
		{"/en/hilfe", "en", "de", "/hilfe"},
		{"/status", "de", "en", "/en/status"},
		{"/en/", "en", "de", "/?lang=de"},
		{"/?lang=de", "de", "en", "/en/"},
	} {
		d := doc(t, get(t, h, c.path).Body.String())
		if got := d.Find("html").AttrOr("lang", ""); got != c.lang {
			t.Errorf("%s: lang %q, want %q", c.path, got, c.lang)
		}
		sw := d.Find("[data-testid=language-switch]")
		if got := sw.Find("[data-testid=language-"+c.other+"]").AttrOr("href", ""); got != c.otherURL {
			t.Errorf("%s: switch to %s leads to %q, want %q", c.path, c.other, got, c.otherURL)
		}
		if sw.Find(`[aria-current="true"]`).AttrOr("lang", "") != c.lang {
			t.Errorf("%s: the switch does not mark %s as the current language", c.path, c.lang)
		}
		if got := d.Find(`link[rel=alternate][hreflang="`+c.other+`"]`).AttrOr("href", ""); got != c.otherURL {
			t.Errorf("%s: hreflang %s is %q, want %q", c.path, c.other, got, c.otherURL)
		}
		if d.Find(`link[rel=alternate][hreflang="x-default"]`).Length() != 1 {
			t.Errorf("%s: no x-default alternate", c.path)
		}
	}
}

// A path made to look like another site (/en//elsewhere, a backslash) does not carry the
// switch and the hreflang links off the site: they lead to the home page.
func TestLanguages_SwitchStaysOnTheSite(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	for _, path := range []string{"/en//evil.example/x", "/en/%5Cevil.example", "/en/%5C%5Cevil.example", "//evil.example", "/en/%2F%2Fevil.example"} {
		d := doc(t, get(t, h, path).Body.String())
		d.Find("[data-testid=language-switch] a, link[rel=alternate]").Each(func(_ int, s *goquery.Selection) {
			href := s.AttrOr("href", "")
			if !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") || strings.Contains(href, `\`) {
				t.Errorf("%s: a link to %q", path, href)
			}
		})
	}
}

// The bare / follows Accept-Language: English-preferring browsers go to /en/, others get
// German, and the answers say they vary on the header, also once the hit path serves /
// (a German answer in the cache must not reach an English browser).
func TestLanguages_HomeFollowsAcceptLanguage(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	ask := func(target, acceptLanguage string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Accept-Language", acceptLanguage)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for range 2 { // the second round from the hit path
		for _, c := range []struct{ header, want string }{
			{"de-DE,de;q=0.9,en;q=0.8", "de"}, {"", "de"}, {"fr-FR, fr;q=0.9", "de"},
			{"en-US,en;q=0.9,de;q=0.8", "en"}, {"de;q=0.5, en-GB", "en"}, {"fr, en;q=0.3", "en"},
		} {
			rec := ask("/", c.header)
			if !strings.Contains(rec.Header().Get("Vary"), "Accept-Language") {
				t.Errorf("Accept-Language %q: Vary %q", c.header, rec.Header().Get("Vary"))
			}
			switch c.want {
			case "en":
				if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/en/" {
					t.Errorf("Accept-Language %q: %d to %q, want 302 to /en/", c.header, rec.Code, rec.Header().Get("Location"))
				}
			default:
				if lang := doc(t, rec.Body.String()).Find("html").AttrOr("lang", ""); rec.Code != http.StatusOK || lang != "de" {
					t.Errorf("Accept-Language %q: %d, lang %q, want German", c.header, rec.Code, lang)
				}
			}
		}
	}
	if rec := ask("/?lang=de", "en"); rec.Code != http.StatusOK || doc(t, rec.Body.String()).Find("html").AttrOr("lang", "") != "de" {
		t.Errorf("/?lang=de from an English browser: %d", rec.Code)
	}
	if rec := ask("/en", "de"); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/en/" {
		t.Errorf("/en: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// The JSON API's codes stay the same in every language; its messages follow
// Accept-Language, from the cache too, and its answers say they vary on it.
func TestLanguages_APIMessagesFollowAcceptLanguage(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	ask := func(target, acceptLanguage string) (*httptest.ResponseRecorder, map[string]any) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Accept-Language", acceptLanguage)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", target, err, rec.Body.String())
		}
		return rec, body
	}
	for range 3 { // then from the cache and the hit path, alternating
		for _, c := range []struct{ header, want string }{
			{"en-US,en;q=0.9", "We do not know the postcode 00000."}, {"de", "Die PLZ 00000 kennen wir nicht."}, {"", "Die PLZ 00000 kennen wir nicht."},
		} {
			rec, body := ask("/api/v1/pharmacies?q=00000", c.header)
			msg, _ := body["message"].(string)
			if rec.Code != http.StatusOK || body["notice"] != "unknown_postcode" || !strings.HasPrefix(msg, c.want) {
				t.Errorf("Accept-Language %q: %d, notice %v, message %q, want %q…", c.header, rec.Code, body["notice"], msg, c.want)
			}
			if !strings.Contains(rec.Header().Get("Vary"), "Accept-Language") {
				t.Errorf("Accept-Language %q: Vary %q", c.header, rec.Header().Get("Vary"))
			}
		}
	}
	for _, c := range []struct{ header, want string }{{"en", `"abc" is not a number`}, {"de-AT", `"abc" ist keine Zahl`}} {
		rec, body := ask("/api/v1/pharmacies?q=21614&radius_km=abc", c.header)
		e, _ := body["error"].(map[string]any)
		if rec.Code != http.StatusBadRequest || e["code"] != "invalid_parameter" || e["field"] != "radius_km" || e["message"] != c.want {
			t.Errorf("Accept-Language %q, a bad radius: %d %v, want message %q", c.header, rec.Code, e, c.want)
		}
	}
	_, en := ask("/api/v1/nirgendwo", "en")
	_, de := ask("/api/v1/nirgendwo", "de")
	enErr, _ := en["error"].(map[string]any)
	deErr, _ := de["error"].(map[string]any)
	if enErr["code"] != "not_found" || deErr["code"] != "not_found" || enErr["message"] != "This page does not exist." || deErr["message"] != "Diese Seite gibt es nicht." {
		t.Errorf("an unknown API path: %v in English, %v in German", enErr, deErr)
	}
}
