package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/apoportal/apoportal/data"
)

func TestCreateAccount_CodesAndConflicts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
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
	var stored int
	if err := db.read.QueryRow("SELECT COUNT(*) FROM activation_codes WHERE code_hash = ?", code).Scan(&stored); err != nil || stored != 0 {
		t.Error("activation code stored in plain text")
	}
	if err := db.DisableAccount(ctx, "rats-apotheke@example.org", testActor); err != nil {
		t.Fatal(err)
	}
	if err := db.DisableAccount(ctx, "nobody@example.org", testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("disable unknown: %v", err)
	}
}

func TestAPITokens_ScopedRevocableHashed(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "A", true), pharmacy("100000002", "B", true)}); err != nil {
		t.Fatal(err)
	}
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

func TestChangeParticipation_AuditsOldAndNew(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "A", true)}); err != nil {
		t.Fatal(err)
	}
	actor := data.Actor{Name: "token 1", Source: "192.0.2.7"}
	if err := db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "Server down"}, actor); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, "100000001", 10)
	if err != nil || len(log) != 1 {
		t.Fatalf("audit log %+v, %v", log, err)
	}
	e := log[0]
	if e.Actor != "token 1" || e.Source != "192.0.2.7" || e.Action != "participation.change" ||
		!strings.Contains(e.Old, `"participating":true`) || !strings.Contains(e.New, `"note":"Server down"`) {
		t.Errorf("audit entry %+v", e)
	}
	p, _ := db.Pharmacy(ctx, "100000001")
	if p.Participation.ConfirmedAt == nil || p.Participation.Participating {
		t.Errorf("participation %+v", p.Participation)
	}
}

func TestAPITokens_DieWithTheirAccountAndRecordLastUse(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "A", true)}); err != nil {
		t.Fatal(err)
	}
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
