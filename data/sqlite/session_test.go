package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

func TestActivationLoginSessions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)
	db, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
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
	if _, _, err := db.ActivateAccount(ctx, code, pw, testActor); err != nil {
		t.Fatalf("activate: %v", err)
	}
	if _, _, err := db.ActivateAccount(ctx, code, "ein anderes Passwort", testActor); data.ErrorCode(err) != data.EINVALID {
		t.Fatalf("activation code used twice: %v", err)
	}
	got, err := db.Authenticate(ctx, " STADT@example.org ", pw)
	if err != nil || got.ID != acc.ID || got.PharmacyID != "100000001" {
		t.Fatalf("login: %+v, %v", got, err)
	}
	if _, err := db.Authenticate(ctx, "stadt@example.org", pw+"x"); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("wrong password: %v", err)
	}
	s1, err := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := db.CreateSession(ctx, acc.ID, "192.0.2.2", time.Hour)
	if a, err := db.SessionAccount(ctx, s1, time.Hour); err != nil || a.ID != acc.ID {
		t.Fatalf("session: %+v, %v", a, err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := db.SessionAccount(ctx, s1, time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatalf("expired session works: %v", err)
	}
	s3, _ := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	if err := db.DeleteSessions(ctx, acc.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{s2, s3} {
		if _, err := db.SessionAccount(ctx, s, time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
			t.Fatalf("session survived logout everywhere: %v", err)
		}
	}
	s4, _ := db.CreateSession(ctx, acc.ID, "192.0.2.1", time.Hour)
	if err := db.DisableAccount(ctx, "stadt@example.org", testActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionAccount(ctx, s4, time.Hour); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatal("session of a disabled account works")
	}
	if _, err := db.Authenticate(ctx, "stadt@example.org", pw); data.ErrorCode(err) != data.EUNAUTHORIZED {
		t.Fatal("disabled account logs in")
	}
}

func TestActivationCode_Expires(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)
	db, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, code, err := db.CreateAccount(ctx, data.RoleOperator, "ops@example.org", "", testActor)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(ActivationValidity)
	if _, _, err := db.ActivateAccount(ctx, code, "ein langes Passwort", testActor); data.ErrorCode(err) != data.EINVALID {
		t.Fatalf("expired code worked: %v", err)
	}
	fresh, err := db.ReissueActivationCode(ctx, "ops@example.org", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ActivateAccount(ctx, fresh, "ein langes Passwort", testActor); err != nil {
		t.Fatalf("reissued code: %v", err)
	}
}

func TestSessions_EndWhenIdleAndWithANewPassword(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	db := MustOpenDBAt(t, func() time.Time { return now })
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
	now = now.Add(90 * time.Minute)
	if _, err := db.SessionAccount(ctx, s, 2*time.Hour); err != nil {
		t.Fatalf("used after 90 minutes: %v", err)
	}
	now = now.Add(90 * time.Minute) // 90 minutes after the last use, 3 hours after the login
	if _, err := db.SessionAccount(ctx, s, 2*time.Hour); err != nil {
		t.Fatalf("the last use did not count: %v", err)
	}
	now = now.Add(2*time.Hour + time.Second)
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
