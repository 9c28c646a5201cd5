package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify"
)

// hookReceiver keeps the types of the webhook messages it gets whose signature holds.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	types  []string
	forged int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var msg struct{ Type string }
		_ = json.Unmarshal(body, &msg)
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		h.mu.Lock()
		defer h.mu.Unlock()
		if want, err := notify.Sign(h.secret, r.Header.Get("webhook-id"), time.Unix(ts, 0), body); err != nil || want != r.Header.Get("webhook-signature") {
			h.forged++
			return
		}
		h.types = append(h.types, msg.Type)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.types...)
}

func subscribe(t *testing.T, base, body string) (*http.Response, map[string]any) {
	t.Helper()
	res, err := http.Post(base+"/api/v1/subscriptions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.Unmarshal([]byte(readAll(t, res.Body)), &out)
	return res, out
}

// Apps and other portals subscribe a webhook through the API and hear, signed, of the
// national service going down and, after the hold, back up: once per change and
// subscriber, only the topics they asked for, nothing after unsubscribing.
func TestSubscriptions_WebhooksHearTheNationalService(t *testing.T) {
	national := newFakeNational(t)
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL, cfg.ProbeInterval = sharedDBCopy(t), national.srv.URL, 50*time.Millisecond
	cfg.NotifyHoldUp, cfg.NotifyRetry, cfg.NotifyWindow, cfg.WebhookAllowInternal = 300*time.Millisecond, 50*time.Millisecond, 0, true
	app, _ := openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	all, onlyUp, gone := newHookReceiver(t), newHookReceiver(t), newHookReceiver(t)
	tokens := map[*hookReceiver]string{}
	for r, topics := range map[*hookReceiver]string{all: `[]`, onlyUp: `["up"]`, gone: `["down","up"]`} {
		res, body := subscribe(t, base, `{"url": "`+r.srv.URL+`/hook", "topics": `+topics+`}`)
		secret, _ := body["secret"].(string)
		token, _ := body["unsubscribe_token"].(string)
		if res.StatusCode != http.StatusCreated || !strings.HasPrefix(secret, "whsec_") || !strings.HasPrefix(token, "unsub_") {
			t.Fatalf("subscribe: %d %v", res.StatusCode, body)
		}
		r.secret, tokens[r] = secret, token
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/subscriptions", nil)
	req.Header.Set("Authorization", "Bearer "+tokens[gone])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("unsubscribe: %v %v", res, err)
	}
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsubscribing twice: %v %v", res, err)
	}
	waitState(t, base, "operational") // a first look: nobody hears "up"
	national.setDown(true)
	waitState(t, base, "down")
	national.setDown(false)
	waitState(t, base, "operational")
	want := func(r *hookReceiver, types ...string) {
		t.Helper()
		var got []string
		for start := time.Now(); len(types) > 0 && time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
			if got = r.got(); len(got) >= len(types) && got[len(got)-1] == types[len(types)-1] {
				break
			}
		}
		time.Sleep(500 * time.Millisecond) // and nothing more
		if got = r.got(); strings.Join(got, " ") != strings.Join(types, " ") || r.forged != 0 {
			t.Errorf("%s received %v (%d forged), want %v", r.srv.URL, got, r.forged, types)
		}
	}
	want(onlyUp, "national_service.up") // once it is there, so are the others'
	// Back from down it may answer too often not for a while (degraded) before it is up.
	if got := all.got(); len(got) == 3 && got[1] == "national_service.degraded" {
		want(all, "national_service.down", "national_service.degraded", "national_service.up")
	} else {
		want(all, "national_service.down", "national_service.up")
	}
	want(gone)
}

// A subscription names what is wrong with it, a webhook to an internal address is refused
// unless the operator allows them, and one address cannot subscribe without end.
func TestSubscriptions_BadOnesRefused(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	for body, field := range map[string]string{
		`{"url": "ftp://example.org/x"}`:                        "url",
		`{"url": "https://example.org/x", "topics": ["sunny"]}`: "topics",
		`{"url": "http://127.0.0.1:9/x"}`:                       "url",
		`{"url": "http://localhost/x"}`:                         "url",
		`{"url": "https://example.org/x", "secret": "mine"}`:    "secret",
	} {
		res, out := subscribe(t, base, body)
		e, _ := out["error"].(map[string]any)
		if res.StatusCode != http.StatusBadRequest || e["field"] != field {
			t.Errorf("%s: %d %v, want 400 on %s", body, res.StatusCode, out, field)
		}
	}
	if res, _ := subscribe(t, base, `{"url": "https://example.org/x"}`); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a sixth subscription from one address at once: %d", res.StatusCode)
	}
}

// Another site's page cannot make its visitors' browsers subscribe webhooks: a body that is
// not declared JSON (what a form or a no-cors fetch sends) is refused before it is read.
func TestSubscriptions_OnlyJSON(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/subscriptions", strings.NewReader(`{"url": "https://example.org/x"}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("%q: %d", ct, res.StatusCode)
		}
	}
	if c, err := app.store.CountDeliveries(context.Background()); err != nil || c != (data.DeliveryCounts{}) {
		t.Errorf("counts %+v %v", c, err)
	}
	if res, _ := subscribe(t, base, `{"url": "https://example.org/x"}`); res.StatusCode != http.StatusCreated {
		t.Errorf("declared JSON: %d", res.StatusCode)
	}
}

// A receiver that keeps failing is given up after the configured time, and operators
// see it on their page, with the last error; a pharmacy's account cannot.
func TestSubscriptions_GivenUpShownToOperators(t *testing.T) {
	national := newFakeNational(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure, cfg.NationalURL, cfg.ProbeInterval = sharedDBCopy(t), false, national.srv.URL, 50*time.Millisecond
	cfg.NotifyRetry, cfg.NotifyGiveUp, cfg.WebhookAllowInternal = 20*time.Millisecond, 200*time.Millisecond, true
	app, _ := openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	addOperator(t, app)
	if res, body := subscribe(t, base, `{"url": "`+failing.URL+`/hook", "topics": ["down"]}`); res.StatusCode != http.StatusCreated {
		t.Fatalf("subscribe: %d %v", res.StatusCode, body)
	}
	waitState(t, base, "operational")
	national.setDown(true)
	waitState(t, base, "down")
	ops := newBrowserless(t, base)
	ops.login("ops@example.org", operatorPassword)
	var rows *goquery.Selection
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		_, d := ops.get("/admin/benachrichtigungen")
		if rows = d.Find("[data-testid=given-up] tbody tr"); rows.Length() > 0 {
			break
		}
	}
	if rows.Length() != 1 || !strings.Contains(rows.Text(), failing.URL) || !strings.Contains(rows.Text(), "503") {
		t.Fatalf("given up: %q", rows.Text())
	}
	actor := data.Actor{Name: "test", Source: "test"}
	_, code, err := app.store.CreateAccount(context.Background(), data.RolePharmacy, "neue@example.org", pharmacyA, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.store.ActivateAccount(context.Background(), code, goodPassword, actor); err != nil {
		t.Fatal(err)
	}
	pharmacy := newBrowserless(t, base)
	pharmacy.login("neue@example.org", goodPassword)
	if res, d := pharmacy.get("/admin/benachrichtigungen"); res.StatusCode != http.StatusForbidden || strings.Contains(d.Text(), failing.URL) {
		t.Fatalf("a pharmacy's account on the operators' page: %d", res.StatusCode)
	}
}
