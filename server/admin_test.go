package main

import (
	"context"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/apoportal/apoportal/data"
)

const operatorPassword = "Betrieb rund um die Uhr"

func addOperator(t *testing.T, app *App) {
	t.Helper()
	_, code, err := app.store.CreateAccount(context.Background(), data.RoleOperator, "ops@example.org", "", data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.store.ActivateAccount(context.Background(), code, operatorPassword, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
}

func TestAdmin_OperatorManagesAccounts(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	addOperator(t, app)
	ops := newBrowserless(t, base)
	if res := ops.login("ops@example.org", operatorPassword); res.Request.URL.Path != "/admin" {
		t.Fatalf("operator login ended at %s", res.Request.URL)
	}
	if _, d := ops.get("/admin?q=" + pharmacyB); d.Find("[data-testid=admin-results] a").Length() != 1 {
		t.Fatal("pharmacy not found by registry id")
	}
	if _, d := ops.get("/admin?q=Dresden"); d.Find("[data-testid=admin-results] a").Length() == 0 {
		t.Fatal("no pharmacies found by town")
	}
	page := "/admin/apotheke/" + pharmacyB
	_, d := ops.submit(page, page+"/zugang", url.Values{"login": {"vital@example.org"}}, true)
	code := d.Find("[data-testid=activation-code]").Text()
	if len(code) != 19 {
		t.Fatalf("activation code %q", code)
	}
	if _, d := ops.get(page); strings.Contains(d.Text(), code) {
		t.Fatal("activation code shown again")
	}
	if res, d := ops.submit(page, page+"/zugang", url.Values{"login": {"VITAL@example.org"}}, true); res.StatusCode != http.StatusBadRequest || d.Find("[data-testid=error]").Length() != 1 {
		t.Fatalf("duplicate login: %d", res.StatusCode)
	}
	// An account of another pharmacy cannot be reached through this one's page.
	if res, _ := ops.submit(page, page+"/zugang/sperren", url.Values{"login": {"neue@example.org"}}, true); res.StatusCode != http.StatusNotFound {
		t.Fatalf("disabling another pharmacy's account via B's page: %d", res.StatusCode)
	}
	if res, _ := ops.submit(page, page+"/zugang/code", url.Values{"login": {"vital@example.org"}}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("reissue: %d", res.StatusCode)
	}
	if _, d := ops.get("/admin/protokoll?apotheke=" + pharmacyB); d.Find("[data-testid=audit] tbody tr").Length() < 2 {
		t.Fatal("audit log lacks the account changes")
	}
	pharmacy := newBrowserless(t, base)
	pharmacy.login("neue@example.org", goodPassword)
	for _, path := range []string{"/admin", "/admin/protokoll", "/admin/apotheke/" + pharmacyA} {
		if res, _ := pharmacy.get(path); res.StatusCode != http.StatusForbidden {
			t.Errorf("pharmacy account at %s: %d", path, res.StatusCode)
		}
	}
	if res, _ := pharmacy.submit("/konto", page+"/zugang", url.Values{"login": {"evil@example.org"}}, true); res.StatusCode != http.StatusForbidden {
		t.Errorf("pharmacy created an account: %d", res.StatusCode)
	}
	anonymous := newBrowserless(t, base)
	if res, _ := anonymous.get("/admin"); res.Request.URL.Path != "/login" {
		t.Errorf("anonymous /admin: %s", res.Request.URL)
	}
	ops.submit(page, page+"/zugang/sperren", url.Values{"login": {"vital@example.org"}}, true)
	accounts, _ := app.store.AccountsOfPharmacy(context.Background(), pharmacyB)
	if len(accounts) != 1 || accounts[0].DisabledAt == nil {
		t.Fatalf("account not disabled: %+v", accounts)
	}
}

func TestCorrection_ReportedByPharmacySeenByOperator(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	addOperator(t, app)
	pharmacy := newBrowserless(t, base)
	pharmacy.login("neue@example.org", goodPassword)
	res, d := pharmacy.submit("/konto", "/konto/korrektur", url.Values{"message": {"Hausnummer ist 115, nicht 113. <b>Danke</b>"}}, true)
	if res.StatusCode != http.StatusOK || d.Find("[data-testid=notice]").Length() != 1 {
		t.Fatalf("report: %d", res.StatusCode)
	}
	if res, _ := pharmacy.submit("/konto", "/konto/korrektur", url.Values{"message": {"   "}}, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty report: %d", res.StatusCode)
	}
	ops := newBrowserless(t, base)
	ops.login("ops@example.org", operatorPassword)
	_, d = ops.get("/admin/apotheke/" + pharmacyA)
	html, _ := d.Find("[data-testid=corrections]").Html()
	if !strings.Contains(html, "Hausnummer ist 115") || strings.Contains(html, "<b>") {
		t.Fatalf("operator sees %q", html)
	}
}

func TestKonto_ReportFailureButton(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	b := newBrowserless(t, base)
	b.login("neue@example.org", goodPassword)
	res, d := b.submit("/konto", "/konto/stoerung", url.Values{"message": {"Zeitüberschreitung beim Server"}}, true)
	if res.StatusCode != http.StatusOK || d.Find("[data-testid=notice]").Length() != 1 {
		t.Fatalf("report: %d", res.StatusCode)
	}
	if n, _ := app.status.Reporting(); n != 1 {
		t.Fatalf("%d reporting pharmacies, want 1", n)
	}
	if res, _ := b.submit("/konto", "/konto/stoerung", url.Values{"message": {"a\nb"}}, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("two-line report: %d", res.StatusCode)
	}
	if res, _ := b.submit("/konto", "/konto/stoerung", url.Values{}, false); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest {
		t.Fatalf("report without CSRF token: %d", res.StatusCode)
	}
}

// After every flow that handles secrets, no page and no log line holds a password, its
// hash, a token, a session id or an activation code.
func TestSecrets_NeverInPagesOrLogs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure = sharedDBCopy(t), false
	app, logs := openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	_, code, err := app.store.CreateAccount(context.Background(), data.RolePharmacy, "neue@example.org", pharmacyA, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowserless(t, base)
	var pages strings.Builder
	keep := func(d *goquery.Document) {
		h, _ := d.Html()
		pages.WriteString(h)
	}
	_, d := b.submit("/aktivieren", "/aktivieren", url.Values{"code": {code}, "password": {goodPassword}, "password2": {goodPassword}}, true)
	keep(d)
	b.login("neue@example.org", "falsches Passwort!!")
	b.login("neue@example.org", goodPassword)
	_, d = b.submit("/konto", "/konto/token", url.Values{}, true)
	token := d.Find("[data-testid=new-token]").Text()
	for _, path := range []string{"/konto", "/", "/suche?q=01069", "/apotheke/" + pharmacyA, "/readyz"} {
		_, d := b.get(path)
		keep(d)
	}
	accounts, _ := app.store.AccountsOfPharmacy(context.Background(), pharmacyA)
	if len(accounts) != 1 || !accounts[0].Activated {
		t.Fatal("account not activated")
	}
	session := b.cookie(sessionCookie)
	for name, secret := range map[string]string{"password": goodPassword, "password hash": "$argon2id$", "activation code": code,
		"session id": session} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a log line holds the %s", name)
		}
		if strings.Contains(pages.String(), secret) {
			t.Errorf("a page holds the %s", name)
		}
	}
	if token == "" || strings.Contains(logs.String(), token) || strings.Contains(pages.String(), token) {
		t.Error("the API token is in a log line or shown again")
	}
}
