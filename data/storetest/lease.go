package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// A lease has one holder at a time, however many ask at once; it passes on when it expires
// or is released, and its holder keeps it by renewing.
func leaseOneHolder(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	const ttl = 400 * time.Millisecond
	var holders atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held, err := db.Lease(ctx, "probe", fmt.Sprintf("portal-%d", i), ttl)
			if err != nil {
				t.Error(err)
			}
			if held {
				holders.Add(1)
			}
		}()
	}
	wg.Wait()
	if holders.Load() != 1 {
		t.Fatalf("%d holders of one lease", holders.Load())
	}
	take := func(holder string) bool {
		t.Helper()
		held, err := db.Lease(ctx, "probe", holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return held
	}
	// Find the holder, and have it renew past the first expiry.
	var holder string
	for i := range 8 {
		if h := fmt.Sprintf("portal-%d", i); take(h) {
			holder = h
		}
	}
	other := "portal-x"
	for range 3 {
		time.Sleep(ttl / 2)
		if !take(holder) || take(other) {
			t.Fatal("a renewed lease passed on")
		}
	}
	time.Sleep(ttl + 100*time.Millisecond)
	if !take(other) || take(holder) {
		t.Fatal("an expired lease did not pass on")
	}
	if err := db.ReleaseLease(ctx, "probe", holder); err != nil { // not its lease any more: no effect
		t.Fatal(err)
	}
	if take(holder) {
		t.Fatal("a release by a former holder freed the lease")
	}
	if err := db.ReleaseLease(ctx, "probe", other); err != nil {
		t.Fatal(err)
	}
	if !take(holder) {
		t.Fatal("a released lease was not free")
	}
	if held, err := db.Lease(ctx, "prune", other, ttl); err != nil || !held {
		t.Fatalf("another lease's name: %v, %v", held, err)
	}
}

func targetStatuses(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	at := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	down := data.TargetStatus{Target: "national", State: "down", Since: at, CheckedAt: at.Add(30 * time.Second), Message: "503", P50MS: 120, P95MS: 900}
	for _, st := range []data.TargetStatus{{Target: "national", State: "operational", CheckedAt: at}, down,
		{Target: "auth", State: "unknown", CheckedAt: at}} {
		if err := db.SaveTargetStatus(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.TargetStatuses(ctx)
	if err != nil || len(got) != 2 || got[0].Target != "auth" || !got[0].Since.IsZero() || got[1] != down {
		t.Fatalf("statuses %+v, %v", got, err)
	}
}
