package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
)

func TestSearchAPI_Postcode_FollowsTheContract(t *testing.T) {
	onEachStore(t, testSearchAPI_Postcode_FollowsTheContract)
}

func testSearchAPI_Postcode_FollowsTheContract(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), func() time.Time { return launch })
	h := app.Handler()
	rec := get(t, h, "/api/v1/pharmacies?q=21614&certificates=true")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	// Decode into a map to check names and types as clients see them.
	body := decode[map[string]any](t, rec)
	origin := body["origin"].(map[string]any)
	if origin["kind"] != "postcode" || origin["label"] != "21614 Buxtehude" || origin["lat"].(float64) != 53.4672 {
		t.Errorf("origin %v", origin)
	}
	if body["limit"].(float64) != 20 || body["offset"].(float64) != 0 || body["engine"] != "local" || body["stale"] != false {
		t.Errorf("paging/engine: %v", body)
	}
	if gen, err := time.Parse(time.RFC3339, body["generated_at"].(string)); err != nil || !gen.Equal(launch) {
		t.Errorf("generated_at %v", body["generated_at"])
	}
	results := body["results"].([]any)
	if len(results) == 0 || body["total"].(float64) < float64(len(results)) {
		t.Fatalf("%d results of %v", len(results), body["total"])
	}
	last := 0.0
	for _, r := range results {
		p := r.(map[string]any)
		for _, k := range []string{"id", "name", "street", "housenumber", "postcode", "city", "state", "lat", "lon",
			"distance_km", "phone", "website", "opening_hours", "open_now", "next_change_at", "opening_hours_comment", "services", "certificates"} {
			if _, ok := p[k]; !ok {
				t.Fatalf("result lacks %q: %v", k, p)
			}
		}
		cert := p["certificates"].(map[string]any)
		if cert["status"] != "active" {
			t.Errorf("certificates=true returned %v", cert)
		}
		for _, k := range []string{"note", "paused_until", "confirmed_at"} {
			if _, ok := cert[k]; !ok {
				t.Errorf("certificates lacks %q", k)
			}
		}
		d := p["distance_km"].(float64)
		if d < last || d > 10 {
			t.Errorf("distance %v after %v", d, last)
		}
		last = d
	}
}

func TestSearchAPI_TextSearchHasNoDistance(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	rec := get(t, app.Handler(), "/api/v1/pharmacies?q=Neue-Apotheke")
	body := decode[searchJSON](t, rec)
	if body.Origin.Kind != "none" || body.Origin.Lat != nil || body.Total == 0 {
		t.Fatalf("origin %+v total %d", body.Origin, body.Total)
	}
	for _, r := range body.Results {
		if r.DistanceKm != nil {
			t.Fatal("text search result with distance")
		}
	}
}

func TestSearchAPI_UnknownPlace_EmptyWithMessageAndSuggestions(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	body := decode[searchJSON](t, get(t, app.Handler(), "/api/v1/pharmacies?q=Buxtehdue"))
	if body.Total != 0 || len(body.Results) != 0 || body.Message == "" || len(body.Suggestions) == 0 {
		t.Fatalf("got %+v", body)
	}
	body = decode[searchJSON](t, get(t, app.Handler(), "/api/v1/pharmacies?q=00000"))
	if body.Total != 0 || body.Message == "" || body.Results == nil {
		t.Fatalf("unknown PLZ: %+v", body)
	}
}

func TestSearchAPI_Coordinates(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	body := decode[searchJSON](t, get(t, app.Handler(), "/api/v1/pharmacies?lat=53.4769&lon=9.7011&radius_km=5&limit=100"))
	if body.Origin.Kind != "coordinates" || *body.Origin.Lat != 53.477 || body.Total == 0 || body.Limit != 100 { // snapped to 0.001°
		t.Fatalf("got origin %+v total %d", body.Origin, body.Total)
	}
	for _, r := range body.Results {
		if *r.DistanceKm > 5 {
			t.Fatalf("result at %v km outside 5 km", *r.DistanceKm)
		}
	}
}

func TestSearchAPI_BadParameters(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), func() time.Time { return launch })
	h := app.Handler()
	for query, field := range map[string]string{
		"":                                "q",
		"q=" + strings.Repeat("a", 201):   "q",
		"q=21614&radius_km=0":             "radius_km",
		"q=21614&radius_km=51":            "radius_km",
		"q=21614&radius_km=zehn":          "radius_km",
		"q=21614&radius_km=NaN":           "radius_km",
		"q=21614&limit=0":                 "limit",
		"q=21614&limit=101":               "limit",
		"q=21614&offset=-1":               "offset",
		"q=21614&certificates=vielleicht": "certificates",
		"q=21614&open_now=2":              "open_now",
		"q=21614&service=massage":         "service",
		"lat=53.4":                        "lon",
		"lat=91&lon=9":                    "lat",
		"lat=53&lon=181":                  "lon",
		"q=%FF%FE":                        "q",
	} {
		rec := get(t, h, "/api/v1/pharmacies?"+query)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%q: status %d", query, rec.Code)
			continue
		}
		body := decode[apiError](t, rec)
		if body.Error.Code != "invalid_parameter" || body.Error.Field != field || body.Error.Message == "" {
			t.Errorf("%q: error %+v, want field %s", query, body.Error, field)
		}
	}
}

func TestPharmacyAPI(t *testing.T) { onEachStore(t, testPharmacyAPI) }

func testPharmacyAPI(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), func() time.Time { return launch })
	h := app.Handler()
	rec := get(t, h, "/api/v1/pharmacies/306345139")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	p := decode[pharmacyJSON](t, rec)
	if p.Name != "Neue-Apotheke im Zentrum" || p.Certificates.Status != data.CertificatesActive || p.DistanceKm != nil ||
		p.OpenNow == nil || !*p.OpenNow {
		t.Errorf("got %+v", p)
	}
	// "Mo,Tu,Th,Fr 08:00-18:00; …" on a Monday at 11:00 in Dresden: open until 18:00.
	if want := time.Date(2021, 6, 14, 16, 0, 0, 0, time.UTC); p.NextChangeAt == nil || !p.NextChangeAt.Equal(want) {
		t.Errorf("next_change_at %v, want %s", p.NextChangeAt, want)
	}
	for _, id := range []string{"999999999", "%3Cscript%3E", "..%2F..%2Fetc"} {
		rec = get(t, h, "/api/v1/pharmacies/"+id)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d", id, rec.Code)
		}
		if body := decode[apiError](t, rec); body.Error.Code != "not_found" {
			t.Errorf("%s: %+v", id, body)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	if rec := get(t, h, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("healthz %d", rec.Code)
	}
	rec := get(t, h, "/readyz")
	body := decode[readyJSON](t, rec)
	if rec.Code != http.StatusOK || body.Status != "ready" || len(body.Engines) != 1 || body.Engines[0].Pharmacies != 18666 {
		t.Errorf("readyz %d %+v", rec.Code, body)
	}
	app.store.Close()
	if rec := get(t, h, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with closed store: %d", rec.Code)
	}
}

func TestUnknownRoute_JSONForAPIAndPageForPeople(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	if rec := get(t, h, "/api/v1/nothing"); rec.Code != http.StatusNotFound || decode[apiError](t, rec).Error.Code != "not_found" {
		t.Errorf("api 404: %d", rec.Code)
	}
	rec := get(t, h, "/nirgendwo")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "Diese Seite gibt es nicht") {
		t.Errorf("page 404: %d %s", rec.Code, rec.Body.String())
	}
	// Unknown paths and methods are 404 and 405, not caught by the account forms' CSRF check.
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/nirgendwo", http.StatusNotFound},
		{http.MethodPost, "/api/v1/nothing", http.StatusNotFound},
		{http.MethodDelete, "/api/v1/pharmacies", http.StatusMethodNotAllowed},
		{http.MethodPut, "/suche", http.StatusMethodNotAllowed},
		{http.MethodPost, "/login", http.StatusForbidden}, // a real form without its token
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.want)
		}
		if rec.Header().Get("Set-Cookie") != "" && c.want != http.StatusForbidden {
			t.Errorf("%s %s set a cookie: %s", c.method, c.path, rec.Header().Get("Set-Cookie"))
		}
	}
}

// A switch written to the store reaches public search within a second, through the
// engine following the store, as another process's write would.
func TestParticipationChange_VisibleInSearchWithinASecond(t *testing.T) {
	onEachStore(t, testParticipationChange_VisibleInSearchWithinASecond)
}

func testParticipationChange_VisibleInSearchWithinASecond(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), nil)
	base := serveApp(t, app)
	const id = "306345139"
	issuing := func() bool {
		res, err := http.Get(base + "/api/v1/pharmacies?q=01069&certificates=true&limit=100")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return strings.Contains(readAll(t, res.Body), `"id":"`+id+`"`)
	}
	if !issuing() {
		t.Fatal("pharmacy not listed as issuing before the switch")
	}
	if err := app.store.ChangeParticipation(t.Context(), id, data.Participation{Participating: false}, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for issuing() {
		if time.Now().After(deadline) {
			t.Fatal("switch not visible in search after 1 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Opening hours in the API: open_now null where they are unknown, the next change where one
// is known (also from unknown to open), and the hours' comment.
func TestPharmacyJSON_OpeningHours(t *testing.T) {
	saturday := time.Date(2026, 12, 5, 10, 0, 0, 0, data.Berlin())
	for _, c := range []struct {
		hours   string
		open    string
		next    string
		comment string
	}{
		{"Mo-Fr 08:00-18:00; Sa 09:00-13:00", "true", "2026-12-05T12:00:00Z", ""},
		{"Mo-Fr 08:00-18:00", "false", "2026-12-07T07:00:00Z", ""},
		{`Mo-Fr 08:00-18:00 || "nach Vereinbarung"`, "null", "2026-12-07T07:00:00Z", "nach Vereinbarung"},
		{"nach Vereinbarung", "null", "null", ""},
		{"", "null", "null", ""},
		{"off", "false", "null", ""},
	} {
		p := data.Pharmacy{ID: "1", Name: "A", State: "Sachsen", OpeningHours: c.hours}
		hours, _ := openinghours.Parse(c.hours)
		b, err := json.Marshal(newPharmacyJSON(p, hours, nil, saturday, 0))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		next := strings.Trim(string(got["next_change_at"]), `"`)
		if string(got["open_now"]) != c.open || next != c.next || string(got["opening_hours_comment"]) != strconv.Quote(c.comment) {
			t.Errorf("%q: open_now %s, next_change_at %s, comment %s; want %s %s %q", c.hours, got["open_now"], next, got["opening_hours_comment"], c.open, c.next, c.comment)
		}
	}
}
