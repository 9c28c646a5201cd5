package main

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// fakeNational plays the national issuing service.
type fakeNational struct {
	mu       sync.Mutex
	down     bool
	srv      *httptest.Server
	requests atomic.Int64 // probes received
}

func newFakeNational(t testing.TB) *fakeNational {
	f := &fakeNational{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.mu.Lock()
		down := f.down
		f.mu.Unlock()
		if down {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeNational) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func monitoredApp(t *testing.T, shared func(*testing.T) string, national string) (*App, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL, cfg.ProbeInterval, cfg.ReportThreshold = shared(t), national, 50*time.Millisecond, 2
	app, _ := openTestApp(t, cfg, nil)
	return app, serveApp(t, app)
}

func nationalState(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s statusJSON
	body := readAll(t, res.Body)
	if err := jsonUnmarshal(body, &s); err != nil {
		t.Fatalf("status %s: %v", body, err)
	}
	return string(s.National.State)
}

func waitState(t *testing.T, base, want string) time.Duration {
	t.Helper()
	start := time.Now()
	for nationalState(t, base) != want {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("national service not %s after 15 s", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func TestStatus_NationalServiceDownAndBack(t *testing.T) {
	onEachStore(t, testStatus_NationalServiceDownAndBack)
}

func testStatus_NationalServiceDownAndBack(t *testing.T, shared func(*testing.T) string) {
	national := newFakeNational(t)
	_, base := monitoredApp(t, shared, national.srv.URL)
	waitState(t, base, "operational")
	res, _ := http.Get(base + "/")
	if body := readAll(t, res.Body); strings.Contains(body, `data-testid="national-banner"`) {
		t.Fatal("banner while the national service works")
	}
	national.setDown(true)
	t.Logf("probe interval 50 ms: down seen after %s", waitState(t, base, "down").Round(time.Millisecond))
	for _, path := range []string{"/", "/suche?q=21614", "/apotheke/" + pharmacyA, "/status"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res.Body)
		res.Body.Close()
		if !strings.Contains(body, `data-state="down"`) || !strings.Contains(body, "stellen das Zertifikat später aus") {
			t.Errorf("%s does not tell citizens the national service is down", path)
		}
	}
	// The incident is written just after the state changes, so pages show it a moment later.
	for _, check := range []struct{ path, want string }{
		{"/status/badge.svg", "gestört"}, {"/status", `data-testid="incident" data-state="investigating"`},
		{"/status/feed.atom", "<entry>"},
	} {
		if !eventuallyContains(t, base+check.path, check.want) {
			t.Errorf("%s while down lacks %q", check.path, check.want)
		}
	}
	national.setDown(false)
	t.Logf("recovery seen after %s (with backoff while down)", waitState(t, base, "operational").Round(time.Millisecond))
	res, err := http.Get(base + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	var s statusJSON
	if err := jsonUnmarshal(readAll(t, res.Body), &s); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if u := s.National.Uptime["24h"]; u == nil || *u <= 0 || *u >= 100 {
		t.Fatalf("24h uptime after an outage: %v", u)
	}
	// The incident opened automatically and was resolved on recovery, with its timeline.
	for i := 0; len(s.Incidents) == 0 || s.Incidents[0].State != "resolved"; i++ {
		if i > 100 {
			t.Fatalf("incident not resolved: %+v", s.Incidents)
		}
		time.Sleep(20 * time.Millisecond)
		res, _ := http.Get(base + "/api/v1/status")
		jsonUnmarshal(readAll(t, res.Body), &s)
		res.Body.Close()
	}
	if in := s.Incidents[0]; len(s.Incidents) != 1 || in.ResolvedAt == nil || len(in.Updates) != 2 {
		t.Fatalf("incidents %+v", s.Incidents)
	}
}

func TestStatus_UnmonitoredIsUnknownNotOperational(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	rec := get(t, app.Handler(), "/api/v1/status")
	s := decode[statusJSON](t, rec)
	if s.National.State != "unknown" || len(s.Components) < 2 || s.Incidents == nil || s.Reports.Threshold != 5 {
		t.Fatalf("status %+v", s)
	}
}

func TestStatus_CrowdReportsRaiseTheBanner(t *testing.T) {
	onEachStore(t, testStatus_CrowdReportsRaiseTheBanner)
}

func testStatus_CrowdReportsRaiseTheBanner(t *testing.T, shared func(*testing.T) string) {
	national := newFakeNational(t)
	app, base := monitoredApp(t, shared, national.srv.URL)
	waitState(t, base, "operational")
	report := func(pharmacy string) {
		_, tok := token(t, app, pharmacy)
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/reports", strings.NewReader(`{"kind": "issuing_failed"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusAccepted {
			t.Fatalf("report: %v %v", res, err)
		}
		res.Body.Close()
	}
	report(pharmacyA)
	report(pharmacyA) // one pharmacy counts once
	res, _ := http.Get(base + "/")
	if strings.Contains(readAll(t, res.Body), `data-state="reported"`) {
		t.Fatal("one pharmacy reporting twice raised the banner")
	}
	report(pharmacyB)
	res, _ = http.Get(base + "/")
	if !strings.Contains(readAll(t, res.Body), `data-state="reported"`) {
		t.Fatal("two pharmacies reporting did not raise the banner")
	}
	if rec := get(t, app.Handler(), "/api/v1/status"); decode[statusJSON](t, rec).Reports.Last15m != 2 {
		t.Fatal("status API does not count the reports")
	}
}

// A citizen sees the banner appear when the national service goes down.
func TestBrowser_BannerWhenNationalServiceIsDown(t *testing.T) {
	national := newFakeNational(t)
	_, base := monitoredApp(t, sharedDBCopy, national.srv.URL)
	waitState(t, base, "operational")
	ctx := startBrowser(t)
	var before []*cdp.Node
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		chromedp.Nodes(`[data-testid=national-banner]`, &before, chromedp.ByQueryAll, chromedp.AtLeast(0))); err != nil {
		t.Fatal(err)
	}
	if len(before) != 0 {
		t.Fatal("banner while the national service works")
	}
	national.setDown(true)
	waitState(t, base, "down")
	var text string
	if err := chromedp.Run(ctx, chromedp.Reload(), chromedp.WaitVisible(`[data-testid=national-banner]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=national-banner]`, &text, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Apotheken nehmen Ihre Daten auf") {
		t.Fatalf("banner says %q", text)
	}
}

// eventuallyContains reports whether url's body contains want within 10 s.
func eventuallyContains(t *testing.T, url, want string) bool {
	t.Helper()
	return containsWithin(t, url, want, 10*time.Second)
}

// containsWithin reports whether url's body contains want within the given time.
func containsWithin(t *testing.T, url, want string, within time.Duration) bool {
	t.Helper()
	for start := time.Now(); time.Since(start) < within; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(url)
		if err != nil {
			continue
		}
		body := readAll(t, res.Body)
		res.Body.Close()
		if strings.Contains(body, want) {
			return true
		}
	}
	return false
}

// The monitor config adds the national service's auth endpoint with a JSON condition; the
// national URL comes from --national-url; the portal's parts are components.
func TestStatus_MonitorConfigFile(t *testing.T) {
	national := newFakeNational(t)
	auth := newFakeNational(t) // answers "ok", which is not the JSON the config expects
	config := filepath.Join(t.TempDir(), "monitor.json")
	os.WriteFile(config, []byte(`{"targets": [
		{"id": "national", "name": "Zentraler Ausstellungsserver", "url": "http://127.0.0.1:1/ignored", "expect": [200]},
		{"id": "national-auth", "name": "Anmeldung am Ausstellungsserver", "url": "`+auth.srv.URL+`",
		 "interval": "1s", "timeout": "500ms", "json_field": "status", "json_equals": "UP", "confirmations": 1}]}`), 0o600)
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL, cfg.ProbeInterval, cfg.MonitorConfig = sharedDBCopy(t), national.srv.URL, time.Second, config
	app, _ := openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	waitState(t, base, "operational") // the flag's URL, not the file's
	want := map[string]string{"national-auth": "down", "store": "operational", "search-local": "operational"}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(base + "/api/v1/status")
		if err != nil {
			t.Fatal(err)
		}
		var s statusJSON
		jsonUnmarshal(readAll(t, res.Body), &s)
		res.Body.Close()
		got := map[string]string{}
		for _, c := range s.Components {
			got[c.ID] = string(c.State)
		}
		if maps.Equal(got, want) {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("components %v, want %v", got, want)
		}
	}
	if !eventuallyContains(t, base+"/status", "Anmeldung am Ausstellungsserver: gestört") {
		t.Error("no incident for the auth endpoint on /status")
	}

	cfg.MonitorConfig = filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(cfg.MonitorConfig, []byte(`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "interval": "soon"}]}`), 0o600)
	if _, err := OpenApp(context.Background(), cfg, slog.New(slog.DiscardHandler), nil); err == nil ||
		!strings.Contains(err.Error(), `bad.json: monitor config: target 1 ("a"): field interval`) {
		t.Fatalf("bad monitor config: %v", err)
	}
}
