package main

import (
	"context"
	"database/sql"
	"github.com/chromedp/chromedp"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/status"
)

// ninetyDays records a probe per hour for 90 days: down for three hours 10 days ago,
// slow for an hour 20 days ago, and 150–400 ms answers otherwise.
func ninetyDays(now time.Time) []data.Check {
	var out []data.Check
	downDay, slowDay := now.AddDate(0, 0, -10), now.AddDate(0, 0, -20)
	for at := now.AddDate(0, 0, -89); at.Before(now); at = at.Add(time.Hour) {
		c := data.Check{Target: status.National, At: at, State: "operational", LatencyMS: 150 + int64(at.Hour())*10, Status: 200}
		switch {
		case sameBerlinDay(at, downDay) && at.In(data.Berlin()).Hour() >= 9 && at.In(data.Berlin()).Hour() < 12:
			c.State, c.LatencyMS, c.Status, c.Error = "down", 10000, 0, "no answer within the timeout"
		case sameBerlinDay(at, slowDay) && at.In(data.Berlin()).Hour() == 14:
			c.State, c.LatencyMS = "degraded", 2500
		}
		out = append(out, c)
	}
	return out
}

func sameBerlinDay(a, b time.Time) bool {
	return a.In(data.Berlin()).Format(time.DateOnly) == b.In(data.Berlin()).Format(time.DateOnly)
}

func TestStatus_HistoryChartsAndLastKnownWhenTheStoreFails(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL = sharedDBCopy(t), "http://127.0.0.1:1/" // never probed: the handler is called directly
	app, logs := openTestApp(t, cfg, now)
	if err := app.store.RecordChecks(context.Background(), ninetyDays(now())); err != nil {
		t.Fatal(err)
	}
	h := app.Handler()

	rec := get(t, h, "/status")
	body := rec.Body.String()
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=10" {
		t.Errorf("Cache-Control %q", cc)
	}
	days := regexp.MustCompile(`<rect x="\d+" y="0" width="5" height="34" class="day (\w+)" data-state="(\w+)"`).FindAllStringSubmatch(body, -1)
	count := map[string]int{}
	for _, d := range days {
		count[d[2]]++
	}
	if len(days) != 90 || count["down"] != 1 || count["degraded"] != 1 || count["operational"] < 87 {
		t.Fatalf("90-day bar: %d days, %v", len(days), count)
	}
	downDate := now().AddDate(0, 0, -10).In(data.Berlin()).Format("02.01.2006")
	for _, want := range []string{
		`role="img" aria-labelledby="days-title-national days-desc-national"`,
		"mit Ausfällen", // the text alternative counts the days
		"<li>" + downDate + ": gestört – 87,50 % verfügbar, 3 von 24 Prüfungen ohne Antwort</li>",
		`<path d="M0.0 `, `class="avg"`, "langsamste Stunde",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/status lacks %q", want)
		}
	}
	s := decode[statusJSON](t, get(t, h, "/api/v1/status"))
	if u := s.National.Uptime["90d"]; u == nil || *u >= 100 || *u < 99 {
		t.Errorf("90-day uptime %v", u)
	}

	// The store fails to answer (here: another process renamed a table under it; a hanging
	// store is lastKnown's test). The status surfaces answer from the last known record and
	// say so.
	breakTable(t, cfg.DB, "maintenances", "maintenances_away")
	offset.Store(int64(time.Minute))
	rec = get(t, h, "/status")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-testid="stale"`) ||
		len(regexp.MustCompile(`class="day `).FindAllString(rec.Body.String(), -1)) != 90 {
		t.Fatalf("/status with the store failing: %d, stale notice or history missing", rec.Code)
	}
	if s := decode[statusJSON](t, get(t, h, "/api/v1/status")); s.HistoryAsOf == nil || now().Sub(*s.HistoryAsOf) < 50*time.Second {
		t.Errorf("status API does not say its record is old: %v", s.HistoryAsOf)
	}
	if !strings.Contains(logs.String(), "serving the last known") {
		t.Error("the slow store was not logged")
	}
	breakTable(t, cfg.DB, "maintenances_away", "maintenances")
	offset.Store(int64(2 * time.Minute))
	if body := get(t, h, "/status").Body.String(); strings.Contains(body, `data-testid="stale"`) {
		t.Error("still stale after the database is free again")
	}
}

// breakTable renames a table from another connection, as a careless operator might.
func breakTable(t *testing.T, file, from, to string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("ALTER TABLE " + from + " RENAME TO " + to); err != nil {
		t.Fatal(err)
	}
}

// In a real browser the 90-day bar and the chart are images with accessible names, and
// the page fits a phone's width.
func TestBrowser_StatusHistory(t *testing.T) {
	national := newFakeNational(t)
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL = sharedDBCopy(t), national.srv.URL
	app, _ := openTestApp(t, cfg, nil)
	if err := app.store.RecordChecks(context.Background(), ninetyDays(time.Now())); err != nil {
		t.Fatal(err)
	}
	base := serveApp(t, app)
	ctx := startBrowser(t)
	var days int
	var label string
	var overflow bool
	var shot []byte
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/status"),
		chromedp.WaitVisible(`[data-testid=days]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=days] rect.day').length`, &days),
		chromedp.Evaluate(`(() => { const s = document.querySelector('[data-testid=latency]');
			return s.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id).textContent).join(' | ') })()`, &label),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
		chromedp.FullScreenshot(&shot, 100),
	); err != nil {
		t.Fatal(err)
	}
	if days != 90 || !strings.Contains(label, "Antwortzeiten von Zentraler Ausstellungsserver") || !strings.Contains(label, "langsamste Stunde") {
		t.Errorf("%d day bars; chart labelled %q", days, label)
	}
	if overflow {
		t.Error("the status page is wider than a phone")
	}
	if err := os.WriteFile(artifact(t, "status.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
