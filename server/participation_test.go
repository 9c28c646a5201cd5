package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

const (
	pharmacyA = "306345139" // Neue-Apotheke im Zentrum, 01069 Dresden, issuing
	pharmacyB = "306727284" // Vital-Apotheke, 01069 Dresden, issuing
)

func post(t *testing.T, h http.Handler, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/participation", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func token(t *testing.T, app *App, pharmacy string) (int64, string) {
	t.Helper()
	id, tok, err := app.store.CreateAPIToken(context.Background(), pharmacy, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return id, tok
}

func TestParticipationAPI_SwitchesOwnPharmacyWithAudit(t *testing.T) {
	onEachStore(t, testParticipationAPI_SwitchesOwnPharmacyWithAudit)
}

func testParticipationAPI_SwitchesOwnPharmacyWithAudit(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), nil)
	h := app.Handler()
	_, tok := token(t, app, pharmacyA)
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	rec := post(t, h, tok, `{"participating": true, "paused_until": "`+until.Format(time.RFC3339)+`", "note": "Zentraler Server gestört"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	p := decode[pharmacyJSON](t, rec)
	if p.ID != pharmacyA || p.Certificates.Status != data.CertificatesPaused || !p.Certificates.PausedUntil.Equal(until) ||
		p.Certificates.Note != "Zentraler Server gestört" || p.Certificates.ConfirmedAt == nil {
		t.Fatalf("answer %+v", p.Certificates)
	}
	log, err := app.store.AuditLog(context.Background(), pharmacyA, 5)
	if err != nil || len(log) == 0 || log[0].Action != "participation.change" || log[0].Source != "192.0.2.1" ||
		!strings.HasPrefix(log[0].Actor, "api token ") || !strings.Contains(log[0].New, "Zentraler Server") {
		t.Fatalf("audit %+v, %v", log, err)
	}
	// Public search shows the pause at once.
	body := decode[searchJSON](t, get(t, h, "/api/v1/pharmacies?q=01069&certificates=true&limit=100"))
	for _, r := range body.Results {
		if r.ID == pharmacyA {
			t.Fatal("paused pharmacy listed as issuing")
		}
	}
}

func TestParticipationAPI_Unauthorized(t *testing.T) {
	onEachStore(t, testParticipationAPI_Unauthorized)
}

func testParticipationAPI_Unauthorized(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), nil)
	h := app.Handler()
	id, tok := token(t, app, pharmacyA)
	if err := app.store.RevokeAPIToken(context.Background(), pharmacyA, id, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	for name, header := range map[string]string{"none": "", "revoked": "Bearer " + tok, "wrong": "Bearer apo_guessed",
		"basic": "Basic dXNlcjpwYXNz", "empty bearer": "Bearer "} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/participation", strings.NewReader(`{"participating": false}`))
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" ||
			decode[apiError](t, rec).Error.Code != "unauthorized" {
			t.Errorf("%s: status %d", name, rec.Code)
		}
	}
	if p, _ := app.store.Pharmacy(context.Background(), pharmacyA); !p.Participation.Participating {
		t.Fatal("an unauthorized request changed the switch")
	}
}

// Pharmacy A's token can only ever change A: the body cannot name another pharmacy, and
// bad bodies change nothing.
func TestParticipationAPI_BadInputChangesNothing(t *testing.T) {
	onEachStore(t, testParticipationAPI_BadInputChangesNothing)
}

func testParticipationAPI_BadInputChangesNothing(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), nil)
	h := app.Handler()
	_, tokA := token(t, app, pharmacyA)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	far := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for body, field := range map[string]string{
		`{"participating": false, "pharmacy_id": "` + pharmacyB + `"}`: "pharmacy_id",
		`{"participating": false, "id": "` + pharmacyB + `"}`:          "id",
		`{}`:                      "participating",
		`{"participating": "no"}`: "participating",
		`{"participating": true, "paused_until": "` + past + `"}`:             "paused_until",
		`{"participating": true, "paused_until": "` + far + `"}`:              "paused_until",
		`{"participating": false, "paused_until": "` + soon + `"}`:            "paused_until",
		`{"participating": true, "paused_until": "morgen"}`:                   "paused_until",
		`{"participating": true, "note": "` + strings.Repeat("x", 281) + `"}`: "note",
		`{"participating": true, "note": "a\nb"}`:                             "note",
		`{"participating": true} {"participating": false}`:                    "",
		`not json`: "",
		``:         "",
	} {
		rec := post(t, h, tokA, body)
		if rec.Code != http.StatusBadRequest || decode[apiError](t, rec).Error.Field != field {
			t.Errorf("%.60q: status %d, %s", body, rec.Code, rec.Body.String())
		}
	}
	if rec := post(t, h, tokA, `{"participating": false, "note": "`+strings.Repeat("x", 20<<10)+`"}`); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", rec.Code)
	}
	for _, id := range []string{pharmacyA, pharmacyB} {
		p, _ := app.store.Pharmacy(context.Background(), id)
		if !p.Participation.Participating || p.Participation.Note != "" {
			t.Errorf("%s changed by rejected requests: %+v", id, p.Participation)
		}
	}
	if log, _ := app.store.AuditLog(context.Background(), "", 50); slices.ContainsFunc(log, func(e data.AuditEntry) bool {
		return e.Action == "participation.change"
	}) {
		t.Error("rejected requests wrote the audit log")
	}
}

func TestParticipationAPI_RateLimitedPerToken(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	_, tokA := token(t, app, pharmacyA)
	_, tokB := token(t, app, pharmacyB)
	limited := 0
	for i := 0; i < 40; i++ {
		if rec := post(t, h, tokA, `{"participating": true}`); rec.Code == http.StatusTooManyRequests {
			limited++
			if rec.Header().Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Fatal("40 writes in a burst were not limited")
	}
	if rec := post(t, h, tokB, `{"participating": true}`); rec.Code != http.StatusOK {
		t.Fatalf("another pharmacy's token was limited too: %d", rec.Code)
	}
}

// Notes are shown escaped wherever they appear.
func TestParticipationAPI_NoteIsEscapedOnPages(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	h := app.Handler()
	_, tokA := token(t, app, pharmacyA)
	if rec := post(t, h, tokA, `{"participating": true, "note": "<script>alert(1)</script><img src=x onerror=alert(2)>"}`); rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	for _, path := range []string{"/apotheke/" + pharmacyA, "/suche?q=01069"} {
		body := get(t, h, path).Body.String()
		if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s shows the note unescaped or not at all", path)
		}
	}
}

// How fast a switch through the API shows in public search, over 100 switches.
func TestParticipationAPI_SwitchVisibleInSearch(t *testing.T) {
	onEachStore(t, testParticipationAPI_SwitchVisibleInSearch)
}

func testParticipationAPI_SwitchVisibleInSearch(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), nil)
	base := serveApp(t, app)
	var tokens []string // several tokens of one pharmacy, so the per-token limit does not pace the test
	for i := 0; i < 5; i++ {
		_, tok := token(t, app, pharmacyA)
		tokens = append(tokens, tok)
	}
	var took []time.Duration
	for i := 0; i < 100; i++ {
		tok := tokens[i%len(tokens)]
		on := i%2 == 1
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", bytes.NewBufferString(`{"participating": `+map[bool]string{true: "true", false: "false"}[on]+`}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			time.Sleep(500 * time.Millisecond)
			i--
			continue
		}
		for {
			res, err := http.Get(base + "/api/v1/pharmacies?q=01069&certificates=true&limit=100")
			if err != nil {
				t.Fatal(err)
			}
			listed := strings.Contains(readAll(t, res.Body), `"id":"`+pharmacyA+`"`)
			res.Body.Close()
			if listed == on {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("switch %d not visible after 5 s", i)
			}
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("switch → visible in the public API over %d switches: p50 %s, p99 %s", len(took),
		took[len(took)/2].Round(time.Microsecond), took[len(took)*99/100].Round(time.Microsecond))
}

// With a maximum confirmation age, what no pharmacy confirmed is not claimed as issuing.
func TestConfirmationMaxAge_UnconfirmedIsNotClaimed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.ConfirmationMaxAge = sharedDBCopy(t), 72*time.Hour
	app, _ := openTestApp(t, cfg, nil)
	h := app.Handler()
	p := decode[pharmacyJSON](t, get(t, h, "/api/v1/pharmacies/"+pharmacyA))
	if p.Certificates.Status != data.CertificatesUnconfirmed {
		t.Fatalf("registry entry without confirmation is %q", p.Certificates.Status)
	}
	if body := decode[searchJSON](t, get(t, h, "/api/v1/pharmacies?q=01069&certificates=true")); body.Total != 0 {
		t.Fatalf("%d unconfirmed pharmacies listed as issuing", body.Total)
	}
	if !strings.Contains(get(t, h, "/apotheke/"+pharmacyA).Body.String(), "Nicht aktuell bestätigt") {
		t.Error("detail page does not say the status is unconfirmed")
	}
	_, tok := token(t, app, pharmacyA)
	if rec := post(t, h, tok, `{"participating": true}`); rec.Code != http.StatusOK || decode[pharmacyJSON](t, rec).Certificates.Status != data.CertificatesActive {
		t.Fatalf("confirmation: %d", rec.Code)
	}
	body := decode[searchJSON](t, get(t, h, "/api/v1/pharmacies?q=01069&certificates=true"))
	if body.Total != 1 || body.Results[0].ID != pharmacyA {
		t.Fatalf("after confirming, issuing: %+v", body.Results)
	}
}

func TestReportsAPI(t *testing.T) { onEachStore(t, testReportsAPI) }

func testReportsAPI(t *testing.T, shared func(*testing.T) string) {
	app, _ := testApp(t, shared(t), nil)
	h := app.Handler()
	_, tok := token(t, app, pharmacyA)
	post := func(token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(tok, `{"kind": "issuing_failed", "message": "Zentraler Server antwortet nicht"}`); rec.Code != http.StatusAccepted {
		t.Fatalf("report: %d %s", rec.Code, rec.Body.String())
	}
	if rec := post("", `{"kind": "issuing_failed"}`); rec.Code != http.StatusUnauthorized {
		t.Errorf("without token: %d", rec.Code)
	}
	for body, field := range map[string]string{`{"kind": "printer_jam"}`: "kind", `{"kind": "issuing_failed", "pharmacy_id": "x"}`: "pharmacy_id",
		`{"kind": "issuing_failed", "message": "a\nb"}`: "message"} {
		if rec := post(tok, body); rec.Code != http.StatusBadRequest || decode[apiError](t, rec).Error.Field != field {
			t.Errorf("%s: %d", body, rec.Code)
		}
	}
	log, _ := app.store.AuditLog(context.Background(), pharmacyA, 5)
	n := 0
	for _, e := range log {
		if e.Action == "report.issuing_failed" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d reports stored, want 1", n)
	}
}
