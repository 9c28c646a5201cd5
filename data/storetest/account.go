package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

func postcodesReplaceAndVersion(t *testing.T, open Open) {
	ctx := context.Background()
	c := &clock{time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)}
	db := open(t, c.now)
	if v, _ := db.GazetteerVersion(ctx); v != "" {
		t.Fatalf("empty database has gazetteer version %q", v)
	}
	pcs := []data.Postcode{{Code: "21614", Place: "Buxtehude", State: "Niedersachsen", Lat: 53.4672, Lon: 9.6864},
		{Code: "21680", Place: "Stade", State: "Niedersachsen", District: "Stade", Lat: 53.5976, Lon: 9.4766},
		{Code: "20095", Place: "Hamburg Rathaus", Lat: 53.55, Lon: 10.0, Organisation: true}}
	if err := db.ReplacePostcodes(ctx, pcs); err != nil {
		t.Fatal(err)
	}
	got, v, err := db.Postcodes(ctx)
	if err != nil || len(got) != 3 || got[0] != pcs[0] || got[1] != pcs[1] || got[2] != pcs[2] || v == "" {
		t.Fatalf("got %+v, version %q, %v", got, v, err)
	}
	c.at = c.at.Add(time.Minute)
	// Two replacements at once (two imports, two processes filling the demo): both land, one
	// after the other, and the gazetteer is one of them whole.
	many := make([]data.Postcode, 20000)
	for i := range many {
		many[i] = data.Postcode{Code: fmt.Sprintf("%05d", i), Place: "Ort", Lat: 50, Lon: 10}
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- db.ReplacePostcodes(ctx, many) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent replacement: %v", err)
		}
	}
	if got, _, _ := db.Postcodes(ctx); len(got) != len(many) {
		t.Fatalf("after concurrent replacements: %d postcodes, want %d", len(got), len(many))
	}
	if err := db.ReplacePostcodes(ctx, pcs[:1]); err != nil {
		t.Fatal(err)
	}
	if got, v2, _ := db.Postcodes(ctx); len(got) != 1 || v2 == v {
		t.Fatalf("after replacing: %d postcodes, version %q → %q", len(got), v, v2)
	}
}

func demoCursorSecret(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	if demo, _ := db.IsDemo(ctx); demo {
		t.Fatal("new database is demo")
	}
	if err := db.MarkDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if demo, err := db.IsDemo(ctx); !demo || err != nil {
		t.Fatalf("IsDemo = %v, %v", demo, err)
	}
	if seq, err := db.SearchCursor(ctx, "meilisearch"); err != nil || seq != 0 {
		t.Fatalf("new cursor = %d, %v", seq, err)
	}
	if err := db.SetSearchCursor(ctx, "meilisearch", 42); err != nil {
		t.Fatal(err)
	}
	if seq, err := db.SearchCursor(ctx, "meilisearch"); err != nil || seq != 42 {
		t.Fatalf("cursor = %d, %v", seq, err)
	}
	a, err := db.Secret(ctx, "device_cookie")
	if err != nil || len(a) < 32 {
		t.Fatalf("secret %d bytes, %v", len(a), err)
	}
	b, _ := db.Secret(ctx, "device_cookie")
	other, _ := db.Secret(ctx, "other")
	if string(a) != string(b) || string(a) == string(other) {
		t.Fatal("a secret changed between reads, or two names share one")
	}
}

func accountCodesAndConflicts(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "Buxtehude", true))
	acc, code, err := db.CreateAccount(ctx, data.RolePharmacy, " Rats-Apotheke@Example.org ", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Login != "rats-apotheke@example.org" || acc.PharmacyID != "100000001" || len(code) != 19 {
		t.Errorf("account %+v, code %q", acc, code)
	}
	if _, _, err := db.CreateAccount(ctx, data.RoleOperator, "RATS-apotheke@example.org", "", testActor); data.ErrorCode(err) != data.ECONFLICT {
		t.Errorf("duplicate login: %v", err)
	}
	if _, _, err := db.CreateAccount(ctx, data.RolePharmacy, "fake@example.org", "999999999", testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("account for an unknown pharmacy: %v", err)
	}
	for _, bad := range []struct {
		role  data.Role
		login string
	}{{data.RoleOperator, " "}, {data.RoleOperator, strings.Repeat("a", 101)}, {"admin", "x@example.org"}} {
		if _, _, err := db.CreateAccount(ctx, bad.role, bad.login, "", testActor); data.ErrorCode(err) != data.EINVALID {
			t.Errorf("account %q %q: %v", bad.role, bad.login, err)
		}
	}
	accs, err := db.AccountsOfPharmacy(ctx, "100000001")
	if err != nil || len(accs) != 1 || accs[0].ID != acc.ID || accs[0].Activated || accs[0].CreatedAt.IsZero() {
		t.Fatalf("accounts of the pharmacy: %+v, %v", accs, err)
	}
	if err := db.DisableAccount(ctx, "rats-apotheke@example.org", testActor); err != nil {
		t.Fatal(err)
	}
	if accs, _ := db.AccountsOfPharmacy(ctx, "100000001"); len(accs) != 1 || accs[0].DisabledAt == nil {
		t.Fatalf("disabled account: %+v", accs)
	}
	if _, _, err := db.ActivateAccount(ctx, code, "Rats-Apotheke Kasse 3", testActor); !errors.Is(err, data.ErrActivationCode) {
		t.Errorf("the code of a disabled account works: %v", err)
	}
	if err := db.DisableAccount(ctx, "nobody@example.org", testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("disable unknown: %v", err)
	}
}

func activationLoginSessions(t *testing.T, open Open) {
	ctx := context.Background()
	c := &clock{time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)}
	db := withPharmacies(t, open, c.now, Pharmacy("100000001", "Buxtehude", true))
	acc, code, err := db.CreateAccount(ctx, data.RolePharmacy, "stadt@example.org", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "stadt@example.org", ""); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("unactivated account logged in: %v", err)
	}
	if _, _, err := db.ActivateAccount(ctx, code, "kurz", testActor); data.ErrorCode(err) != data.EINVALID {
		t.Fatalf("short password accepted: %v", err)
	}
	const pw = "Stadt-Apotheke Kasse 3"
	if _, reset, err := db.ActivateAccount(ctx, code, pw, testActor); err != nil || reset {
		t.Fatalf("activate: reset %v, %v", reset, err)
	}
	if _, _, err := db.ActivateAccount(ctx, code, "ein anderes Passwort", testActor); data.ErrorCode(err) != data.EINVALID {
		t.Fatalf("activation code used twice: %v", err)
	}
	got, err := db.Authenticate(ctx, " STADT@example.org ", pw)
	if err != nil || got.ID != acc.ID || got.PharmacyID != "100000001" || got.Role != data.RolePharmacy || !got.Activated {
		t.Fatalf("login: %+v, %v", got, err)
	}
	for _, wrong := range [][2]string{{"stadt@example.org", pw + "x"}, {"nobody@example.org", pw}, {"stadt@example.org\x00", pw}, {"\xff", pw}} {
		if _, err := db.Authenticate(ctx, wrong[0], wrong[1]); data.ErrorCode(err) != data.EUNAUTHORIZED {
			t.Fatalf("login %v: %v", wrong, err)
		}
	}
	s1, err := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := db.CreateSession(ctx, acc.ID, "192.0.2.2", time.Hour)
	if a, err := db.SessionAccount(ctx, s1, time.Hour); err != nil || a.ID != acc.ID {
		t.Fatalf("session: %+v, %v", a, err)
	}
	if err := db.DeleteSession(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionAccount(ctx, s1, time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("session after logout: %v", err)
	}
	c.at = c.at.Add(2 * time.Hour)
	if _, err := db.SessionAccount(ctx, s2, 24*time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("expired session works: %v", err)
	}
	s3, _ := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	s4, _ := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	if err := db.DeleteSessions(ctx, acc.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{s3, s4} {
		if _, err := db.SessionAccount(ctx, s, time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
			t.Fatalf("session survived logout everywhere: %v", err)
		}
	}
	s5, _ := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	if err := db.DisableAccount(ctx, "stadt@example.org", testActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionAccount(ctx, s5, time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatal("session of a disabled account works")
	}
	if _, err := db.Authenticate(ctx, "stadt@example.org", pw); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatal("disabled account logs in")
	}
}

func activationCodeExpires(t *testing.T, open Open) {
	ctx := context.Background()
	c := &clock{time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)}
	db := open(t, c.now)
	_, code, err := db.CreateAccount(ctx, data.RoleOperator, "ops@example.org", "", testActor)
	if err != nil {
		t.Fatal(err)
	}
	c.at = c.at.Add(data.ActivationValidity)
	if _, _, err := db.ActivateAccount(ctx, code, "ein langes Passwort", testActor); data.ErrorCode(err) != data.EINVALID {
		t.Fatalf("expired code worked: %v", err)
	}
	fresh, err := db.ReissueActivationCode(ctx, "ops@example.org", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReissueActivationCode(ctx, "nobody@example.org", testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("reissue for nobody: %v", err)
	}
	// Codes are typed by people: case, dashes and spaces do not matter.
	typed := strings.ToLower(strings.ReplaceAll(fresh, "-", " "))
	if _, _, err := db.ActivateAccount(ctx, typed, "ein langes Passwort", testActor); err != nil {
		t.Fatalf("reissued code: %v", err)
	}
}

func sessionsEndWhenIdle(t *testing.T, open Open) {
	ctx := context.Background()
	c := &clock{time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)}
	db := open(t, c.now)
	acc, code, err := db.CreateAccount(ctx, data.RoleOperator, "ops@example.org", "", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ActivateAccount(ctx, code, "Betrieb rund um die Uhr", testActor); err != nil {
		t.Fatal(err)
	}
	s, err := db.CreateSession(ctx, acc.ID, "test", 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.at = c.at.Add(90 * time.Minute)
	if _, err := db.SessionAccount(ctx, s, 2*time.Hour); err != nil {
		t.Fatalf("used after 90 minutes: %v", err)
	}
	c.at = c.at.Add(90 * time.Minute) // 90 minutes after the last use, 3 hours after the login
	if _, err := db.SessionAccount(ctx, s, 2*time.Hour); err != nil {
		t.Fatalf("the last use did not count: %v", err)
	}
	c.at = c.at.Add(2*time.Hour + time.Second)
	if _, err := db.SessionAccount(ctx, s, 2*time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("idle for two hours: %v", err)
	}
	s2, _ := db.CreateSession(ctx, acc.ID, "test", 12*time.Hour)
	fresh, err := db.ReissueActivationCode(ctx, "ops@example.org", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, reset, err := db.ActivateAccount(ctx, fresh, "Neues Passwort für den Betrieb", testActor); err != nil || !reset {
		t.Fatalf("new password: reset %v, %v", reset, err)
	}
	if _, err := db.SessionAccount(ctx, s2, 2*time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("session of the old password: %v", err)
	}
}

func tokensScopedRevocable(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "A", true), Pharmacy("100000002", "B", true))
	id, token, err := db.CreateAPIToken(ctx, "100000001", testActor)
	if err != nil || !strings.HasPrefix(token, "apo_") || len(token) < 40 {
		t.Fatalf("token %q, %v", token, err)
	}
	if ph, tid, err := db.PharmacyOfToken(ctx, token); err != nil || ph != "100000001" || tid != id {
		t.Fatalf("token → %s %d %v", ph, tid, err)
	}
	if _, _, err := db.PharmacyOfToken(ctx, token+"x"); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Errorf("altered token: %v", err)
	}
	if err := db.RevokeAPIToken(ctx, "100000002", id, testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("pharmacy B revoked A's token: %v", err)
	}
	if err := db.RevokeAPIToken(ctx, "100000001", id, testActor); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.PharmacyOfToken(ctx, token); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Errorf("revoked token still works: %v", err)
	}
	if _, _, err := db.CreateAPIToken(ctx, "999999999", testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("token for unknown pharmacy: %v", err)
	}
}

func tokensDieWithTheirAccount(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "A", true))
	acc, _, err := db.CreateAccount(ctx, data.RolePharmacy, "a@example.org", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	byAccount := data.Actor{Name: "account", Source: "192.0.2.1", AccountID: acc.ID}
	mine, token, err := db.CreateAPIToken(ctx, "100000001", byAccount)
	if err != nil {
		t.Fatal(err)
	}
	_, operators, err := db.CreateAPIToken(ctx, "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	use := data.Actor{Name: "api token", Source: "198.51.100.7", TokenID: mine}
	if err := db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: true, Note: "per API"}, use); err != nil {
		t.Fatal(err)
	}
	tokens, err := db.APITokens(ctx, "100000001")
	if err != nil || len(tokens) != 2 {
		t.Fatalf("tokens %+v, %v", tokens, err)
	}
	if tokens[0].CreatedBy != "a@example.org" || tokens[0].LastUsedAt == nil || tokens[0].LastUsedFrom != "198.51.100.7" || tokens[1].LastUsedAt != nil {
		t.Errorf("tokens %+v", tokens)
	}
	if err := db.DisableAccount(ctx, "a@example.org", testActor); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.PharmacyOfToken(ctx, token); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Errorf("token of a disabled account: %v", err)
	}
	if _, _, err := db.PharmacyOfToken(ctx, operators); err != nil {
		t.Errorf("an operator's token stops with a pharmacy account: %v", err)
	}
	if tokens, _ := db.APITokens(ctx, "100000001"); tokens[0].RevokedAt == nil || tokens[1].RevokedAt != nil {
		t.Errorf("after disabling: %+v", tokens)
	}
}
