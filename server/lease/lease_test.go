package lease

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data/sqlite"
)

// cut is a store that can be cut off, as a machine that loses the network.
type cut struct {
	Store
	off atomic.Bool
}

func (c *cut) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if c.off.Load() {
		return false, errors.New("connection refused")
	}
	return c.Store.Lease(ctx, name, holder, ttl)
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// One of two processes holds the lease; when it stops, the other takes it over at once
// (released); when the holder is cut off from the store, it stops holding within the time
// to live and the other takes over within two.
func TestKeeper_OneHolderHandsOverAndStopsWhenCutOff(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 600 * time.Millisecond
	store := &cut{Store: db}
	run := func(k *Keeper) context.CancelFunc {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { k.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	a, b := New(store, "duties", "a", ttl, log), New(db, "duties", "b", ttl, log)
	stopA := run(a)
	waitFor(t, "a takes the lease", ttl, a.Held)
	stopB := run(b)
	defer stopB()
	time.Sleep(ttl)
	if !a.Held() || b.Held() {
		t.Fatalf("held by a %v, b %v", a.Held(), b.Held())
	}
	stopA()
	t.Logf("a stopped: b holds after %s", waitFor(t, "b takes a released lease", ttl/2, b.Held).Round(time.Millisecond))

	c := New(store, "other", "c", ttl, log)
	d := New(db, "other", "d", ttl, log)
	stopC := run(c)
	defer stopC()
	waitFor(t, "c takes the lease", ttl, c.Held)
	stopD := run(d)
	defer stopD()
	store.off.Store(true)
	cutAt := time.Now()
	waitFor(t, "c stops holding once cut off", ttl, func() bool { return !c.Held() })
	t.Logf("c cut off: stops after %s, d holds after %s", time.Since(cutAt).Round(time.Millisecond),
		waitFor(t, "d takes over", 2*ttl, d.Held).Round(time.Millisecond))
}
