package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Failed guesses are counted in the store: 20 reservations at once on one budget of 3 free
// failures get 3 attempts (every portal process on the store draws on the one count);
// budgets are reserved together or not at all; a success clears what it guessed and gives
// the address back only its own attempt; old counts are forgotten.
func throttlesCountAcrossCallers(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	now := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	login := data.Budget{Key: "login:1f3a", Free: 3, ClearOnSuccess: true}
	addr := data.Budget{Key: "ip:9c0d", Free: 20}
	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, err := db.ReserveAttempt(ctx, []data.Budget{login, addr}, now)
			if err != nil {
				t.Error(err)
			}
			if err == nil && wait == 0 {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 3 {
		t.Fatalf("20 reservations at once on a budget of 3 free failures: %d granted", granted.Load())
	}
	if wait, err := db.ReserveAttempt(ctx, []data.Budget{login, addr}, now); err != nil || wait != time.Second {
		t.Fatalf("after 3 failures: wait %s, %v; want 1s", wait, err)
	}
	// The refused ones counted on neither budget: another login from the address has its
	// attempts, and the address 17 more before its own wait.
	other := data.Budget{Key: "login:77e2", Free: 3, ClearOnSuccess: true}
	for i := range 3 {
		if wait, err := db.ReserveAttempt(ctx, []data.Budget{other, addr}, now); err != nil || wait != 0 {
			t.Fatalf("another login's attempt %d: wait %s, %v", i+1, wait, err)
		}
	}
	now = now.Add(time.Second)
	if wait, err := db.ReserveAttempt(ctx, []data.Budget{login, addr}, now); err != nil || wait != 0 {
		t.Fatalf("after the wait: %s, %v", wait, err)
	}
	if err := db.SettleAttempt(ctx, []data.Budget{login, addr}, true); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // the login that got in starts afresh
		if wait, err := db.ReserveAttempt(ctx, []data.Budget{login}, now); err != nil || wait != 0 {
			t.Fatalf("after a success, attempt %d waits %s, %v", i+1, wait, err)
		}
	}
	// The address has 3 + 3 + 1 - 1 = 6 of 20 counted: 14 more, then it waits.
	for i := range 14 {
		if wait, err := db.ReserveAttempt(ctx, []data.Budget{addr}, now); err != nil || wait != 0 {
			t.Fatalf("address attempt %d waits %s, %v", i+7, wait, err)
		}
	}
	if wait, _ := db.ReserveAttempt(ctx, []data.Budget{addr}, now); wait != time.Second {
		t.Fatalf("the address's 21st attempt waits %s, want 1s", wait)
	}
	if err := db.SettleAttempt(ctx, []data.Budget{addr}, false); err != nil { // a release gives one back
		t.Fatal(err)
	}
	if wait, _ := db.ReserveAttempt(ctx, []data.Budget{addr}, now); wait != 0 {
		t.Fatalf("after a release the address still waits %s", wait)
	}
	if err := db.ForgetThrottles(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if wait, err := db.ReserveAttempt(ctx, []data.Budget{login, addr}, now); err != nil || wait != 0 {
			t.Fatalf("after forgetting, attempt %d waits %s, %v", i+1, wait, err)
		}
	}
}
