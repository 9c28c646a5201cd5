package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

func TestAdmin_IncidentTimelineAndMaintenance(t *testing.T) {
	national := newFakeNational(t)
	cl := &clock{now: time.Now()}
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure, cfg.NationalURL = sharedDBCopy(t), false, national.srv.URL
	app, _ := openTestApp(t, cfg, cl.Now)
	base, h := serveApp(t, app), app.Handler()
	addOperator(t, app)
	ops := newBrowserless(t, base)
	ops.login("ops@example.org", operatorPassword)

	// Nobody else gets in, and no form works without its CSRF token.
	if res, _ := newBrowserless(t, base).get("/admin/status"); res.Request.URL.Path != "/login" {
		t.Fatalf("anonymous /admin/status ended at %s", res.Request.URL)
	}
	incident := url.Values{"target": {"national"}, "title": {"Zertifikate kommen verzögert"}, "state": {"identified"},
		"message": {"Der Ausstellungsserver antwortet langsam; Apotheken stellen später aus."}}
	if res, _ := ops.submit("/admin/status", "/admin/status/stoerung", incident, false); res.StatusCode != http.StatusForbidden {
		t.Fatalf("post without CSRF token: %d", res.StatusCode)
	}
	for field, bad := range map[string]url.Values{
		"title":   {"target": {"national"}, "title": {""}, "state": {"investigating"}, "message": {"m"}},
		"target":  {"target": {"elsewhere"}, "title": {"t"}, "state": {"investigating"}, "message": {"m"}},
		"state":   {"target": {"national"}, "title": {"t"}, "state": {"resolved"}, "message": {"m"}},
		"message": {"target": {"national"}, "title": {"t"}, "state": {"investigating"}, "message": {""}},
	} {
		res, d := ops.submit("/admin/status", "/admin/status/stoerung", bad, true)
		if res.StatusCode != http.StatusBadRequest || d.Find("[data-testid=error]").AttrOr("data-field", "") != field {
			t.Errorf("bad %s: %d %q", field, res.StatusCode, d.Find("[data-testid=error]").Text())
		}
	}
	if s := decode[statusJSON](t, get(t, h, "/api/v1/status")); len(s.Incidents) != 0 {
		t.Fatalf("bad posts opened incidents: %+v", s.Incidents)
	}

	res, d := ops.submit("/admin/status", "/admin/status/stoerung", incident, true)
	if res.StatusCode != http.StatusOK || d.Find("[data-testid=open-incident]").Length() != 1 {
		t.Fatalf("open incident: %d", res.StatusCode)
	}
	// The public page shows it at once, not after the status record's 10 s.
	if text := doc(t, get(t, h, "/status").Body.String()).Find("[data-testid=incident]").Text(); !strings.Contains(text, "Zertifikate kommen verzögert (Ursache erkannt)") {
		t.Fatal("/status does not show the operator's incident")
	}
	action, _ := d.Find("[data-testid=update-form]").Attr("action")
	for _, state := range []string{"monitoring", "resolved"} {
		if res, _ := ops.submit("/admin/status", action, url.Values{"state": {state}, "message": {"Stand: " + state}}, true); res.StatusCode != http.StatusOK {
			t.Fatalf("update %s: %d", state, res.StatusCode)
		}
	}
	if res, _ := ops.submit("/admin/status", action, url.Values{"state": {"monitoring"}, "message": {"noch einmal"}}, true); res.StatusCode != http.StatusConflict {
		t.Fatalf("update of a resolved incident: %d", res.StatusCode)
	}
	s := decode[statusJSON](t, get(t, h, "/api/v1/status"))
	if len(s.Incidents) != 1 || s.Incidents[0].State != "resolved" || len(s.Incidents[0].Updates) != 3 || s.Incidents[0].Target != "national" {
		t.Fatalf("incident in the API: %+v", s.Incidents)
	}

	berlin := func(d time.Duration) string { return cl.Now().Add(d).In(data.Berlin()).Format("2006-01-02T15:04") }
	for field, bad := range map[string]url.Values{
		"starts_at": {"target": {"national"}, "title": {"Update"}, "starts_at": {"morgen"}, "ends_at": {berlin(2 * time.Hour)}},
		"ends_at":   {"target": {"national"}, "title": {"Update"}, "starts_at": {berlin(2 * time.Hour)}, "ends_at": {berlin(time.Hour)}},
	} {
		if res, d := ops.submit("/admin/status", "/admin/status/wartung", bad, true); res.StatusCode != http.StatusBadRequest ||
			d.Find("[data-testid=error]").AttrOr("data-field", "") != field {
			t.Errorf("bad maintenance %s: %d", field, res.StatusCode)
		}
	}
	maintenance := url.Values{"target": {"national"}, "title": {"Update des Ausstellungsservers"}, "message": {"Keine Ausstellung in dieser Zeit."},
		"starts_at": {berlin(time.Hour)}, "ends_at": {berlin(3 * time.Hour)}}
	if res, _ := ops.submit("/admin/status", "/admin/status/wartung", maintenance, true); res.StatusCode != http.StatusOK {
		t.Fatalf("schedule maintenance: %d", res.StatusCode)
	}
	s = decode[statusJSON](t, get(t, h, "/api/v1/status"))
	if len(s.Maintenances) != 1 || s.Maintenances[0].State != "scheduled" {
		t.Fatalf("maintenance in the API: %+v", s.Maintenances)
	}
	cl.Add(2 * time.Hour)
	app.status.Forget()
	if body := get(t, h, "/status").Body.String(); !strings.Contains(body, `data-testid="maintenance" data-state="in_progress"`) {
		t.Fatal("/status does not show the maintenance in progress")
	}
	if body := get(t, h, "/suche?q=21614").Body.String(); !strings.Contains(body, `data-state="maintenance"`) ||
		!strings.Contains(body, "Update des Ausstellungsservers") {
		t.Fatal("public pages do not announce the maintenance in progress")
	}
	ops.login("ops@example.org", operatorPassword) // two idle hours ended the session
	_, d = ops.get("/admin/status")
	cancel, _ := d.Find("[data-testid=admin-maintenance] form").Attr("action")
	if res, _ := ops.submit("/admin/status", cancel, url.Values{}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("cancel maintenance: %d", res.StatusCode)
	}
	if s := decode[statusJSON](t, get(t, h, "/api/v1/status")); len(s.Maintenances) != 0 {
		t.Fatalf("cancelled maintenance still public: %+v", s.Maintenances)
	}
	_, d = ops.get("/admin/protokoll")
	for _, action := range []string{"incident.open", "incident.update", "maintenance.schedule", "maintenance.cancel"} {
		if !strings.Contains(d.Find("[data-testid=audit]").Text(), action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}
