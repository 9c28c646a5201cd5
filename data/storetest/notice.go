package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// An account's dismissal of the recovery notice is kept, only a later one replaces it,
// another account's is its own, and an unknown account is refused.
func recoveryNoticeDismissed(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "Buxtehude", true), Pharmacy("100000002", "Stade", true))
	a, _, err := db.CreateAccount(ctx, data.RolePharmacy, "a@example.org", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := db.CreateAccount(ctx, data.RolePharmacy, "b@example.org", "100000002", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := db.RecoveryNoticeDismissed(ctx, a.ID); err != nil || !at.IsZero() {
		t.Fatalf("never dismissed: %v %v", at, err)
	}
	recovered := time.Date(2021, 6, 15, 14, 32, 0, 0, time.UTC)
	if err := db.DismissRecoveryNotice(ctx, a.ID, recovered); err != nil {
		t.Fatal(err)
	}
	if err := db.DismissRecoveryNotice(ctx, a.ID, recovered.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if at, err := db.RecoveryNoticeDismissed(ctx, a.ID); err != nil || !at.Equal(recovered) {
		t.Errorf("dismissed up to %v (%v), want %v: an earlier one replaced it", at, err, recovered)
	}
	if at, err := db.RecoveryNoticeDismissed(ctx, b.ID); err != nil || !at.IsZero() {
		t.Errorf("another account's: %v %v", at, err)
	}
	if err := db.DismissRecoveryNotice(ctx, a.ID, recovered.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if at, _ := db.RecoveryNoticeDismissed(ctx, a.ID); !at.Equal(recovered.Add(24 * time.Hour)) {
		t.Errorf("the next recovery's dismissal: %v", at)
	}
	if err := db.DismissRecoveryNotice(ctx, 999999, recovered); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("an unknown account: %v", err)
	}
}
