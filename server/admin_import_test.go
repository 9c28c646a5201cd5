package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/apoportal/apoportal/data"
)

func (b *browserless) upload(kind, name, body string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	_, page := b.get("/admin/import")
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", page.Find("input[name=_csrf]").First().AttrOr("value", ""))
	w.WriteField("kind", kind)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write([]byte(body))
	w.Close()
	res, err := b.c.Post(b.base+"/admin/import", w.FormDataContentType(), &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	d, _ := goquery.NewDocumentFromReader(res.Body)
	return res, d
}

func TestAdminImport_PreviewThenApply(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	addOperator(t, app)
	ops := newBrowserless(t, base)
	ops.login("ops@example.org", operatorPassword)
	ctx := context.Background()
	if err := app.store.ChangeParticipation(ctx, pharmacyA, data.Participation{Participating: false}, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	const header = "id,name,street,housenumber,postcode,city,state,lat,lon,phone,email,website,opening_hours,issues_certificates,services\n"
	file := header +
		"306345139,Neue-Apotheke im Zentrum,Brückenstraße,115,01069,Dresden,Sachsen,51.041253,13.738137,04412 7001514,,,Mo-Fr 08:00-18:00,true,impfung\n" +
		"399999999,Test-Apotheke,Hauptstraße,1,01069,Dresden,Sachsen,51.04,13.74,,,,Mo-Fr 08:00-18:00,true,\n"
	res, d := ops.upload("registry", "register.csv", file)
	if res.StatusCode != http.StatusOK || d.Find("[data-testid=preview]").Length() != 1 {
		t.Fatalf("preview: %d %s", res.StatusCode, d.Find("[data-testid=error]").Text())
	}
	text := d.Find("[data-testid=preview]").Text()
	if !strings.Contains(text, "1 neue Apotheken, 1 geänderte") || !strings.Contains(text, "housenumber „113“ → „115“") {
		t.Fatalf("preview says %q", text)
	}
	if p, _ := app.store.Pharmacy(ctx, pharmacyA); p.HouseNumber != "113" {
		t.Fatal("the preview changed the registry")
	}
	action := d.Find("[data-testid=preview] form").AttrOr("action", "")
	res, d = ops.submit("/admin/import", action, map[string][]string{}, true)
	if res.StatusCode != http.StatusOK || !strings.Contains(d.Find("[data-testid=notice]").Text(), "1 neu, 1 aktualisiert") {
		t.Fatalf("apply: %d %q", res.StatusCode, d.Find("[data-testid=notice]").Text())
	}
	p, _ := app.store.Pharmacy(ctx, pharmacyA)
	if p.HouseNumber != "115" || p.Participation.Participating {
		t.Fatalf("after import: house number %q, participating %v", p.HouseNumber, p.Participation.Participating)
	}
	if res, _ := ops.submit("/admin/import", action, map[string][]string{}, true); res.StatusCode != http.StatusNotFound {
		t.Fatalf("applying the same preview twice: %d", res.StatusCode)
	}
	if log, _ := app.store.AuditLog(ctx, "", 1); len(log) == 0 || log[0].Action != "registry.import" || !strings.Contains(log[0].New, "register.csv") {
		t.Fatalf("audit %+v", log)
	}

	res, d = ops.upload("registry", "kaputt.csv", header+"399999998,Kaputt,,,01069,Dresden,,51.04,east,,,,,true,\n")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(d.Find("[data-testid=error]").Text(), "line 2, field lon") {
		t.Fatalf("bad file: %d %q", res.StatusCode, d.Find("[data-testid=error]").Text())
	}
	if _, err := app.store.Pharmacy(ctx, "399999998"); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatal("a bad file changed the registry")
	}

	pharmacy := newBrowserless(t, base)
	pharmacy.login("neue@example.org", goodPassword)
	if res, _ := pharmacy.get("/admin/import"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("pharmacy account at /admin/import: %d", res.StatusCode)
	}
}

// Behind nginx an operator's go may reach another portal than the preview did: the
// previewed file waits in the store, not in the portal that read it.
func TestAdminImport_PreviewOnOnePortalAppliedOnAnother(t *testing.T) {
	rs := startReplicas(t, sharedPostgres(t), 2, func(c *Config) { c.CookieSecure = false })
	addOperator(t, rs[0].app)
	ops := newBrowserless(t, rs[0].base)
	if res := ops.login("ops@example.org", operatorPassword); res.Request.URL.Path != "/admin" {
		t.Fatalf("operator login ended at %s", res.Request.URL)
	}
	const file = "id,name,street,housenumber,postcode,city,state,lat,lon,phone,email,website,opening_hours,issues_certificates,services\n" +
		"399999999,Test-Apotheke,Hauptstraße,1,01069,Dresden,Sachsen,51.04,13.74,,,,Mo-Fr 08:00-18:00,true,\n"
	res, d := ops.upload("registry", "register.csv", file)
	if res.StatusCode != http.StatusOK || d.Find("[data-testid=preview]").Length() != 1 {
		t.Fatalf("preview on portal 1: %d %s", res.StatusCode, d.Find("[data-testid=error]").Text())
	}
	action := d.Find("[data-testid=preview] form").AttrOr("action", "")
	ops.base = rs[1].base // the same browser (cookies are per host, not port), the other portal
	res, d = ops.submit("/admin/import", action, map[string][]string{}, true)
	if res.StatusCode != http.StatusOK || !strings.Contains(d.Find("[data-testid=notice]").Text(), "1 neu") {
		t.Fatalf("go on portal 2: %d %q %q", res.StatusCode, d.Find("[data-testid=notice]").Text(), d.Find("[data-testid=error]").Text())
	}
	if p, err := rs[1].app.store.Pharmacy(context.Background(), "399999999"); err != nil || p.Name != "Test-Apotheke" {
		t.Fatalf("after the go on portal 2: %+v %v", p, err)
	}
}
