package main

import (
	"context"
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
	if _, err := app.store.ActivateAccount(context.Background(), code, operatorPassword, data.Actor{Name: "test", Source: "test"}); err != nil {
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
