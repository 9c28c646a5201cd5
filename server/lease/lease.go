// Package lease keeps a named lease in the store for this process, so that work which must
// happen once across the portal's processes (probing the national service, pruning the
// history) runs in one of them: the holder renews it every third of its time to live; when
// the holder dies or loses the store, the lease expires and another process takes it.
package lease

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Store is where leases are kept (data.Leases).
type Store interface {
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Keeper tries to take and keep one lease. It is safe for concurrent use.
type Keeper struct {
	store  Store
	name   string
	holder string
	ttl    time.Duration
	log    *slog.Logger
	// until is when this process stops believing it holds the lease (monotonic clock, in
	// nanoseconds since start): a renewal's start plus the time to live, less a margin for
	// clocks that run apart, so the holder stops before another may start.
	until atomic.Int64
	start time.Time
}

// New returns a keeper of the named lease for holder (unique per process), with the given
// time to live. Run keeps it.
func New(store Store, name, holder string, ttl time.Duration, log *slog.Logger) *Keeper {
	return &Keeper{store: store, name: name, holder: holder, ttl: ttl, log: log, start: time.Now()}
}

// Held reports whether this process holds the lease now.
func (k *Keeper) Held() bool { return time.Since(k.start).Nanoseconds() < k.until.Load() }

// Run takes or renews the lease every third of its time to live until ctx ends, then
// releases it, so another process takes over at once after a clean stop.
func (k *Keeper) Run(ctx context.Context) {
	tick := time.NewTicker(k.ttl / 3)
	defer tick.Stop()
	for {
		k.renew(ctx)
		select {
		case <-ctx.Done():
			held := k.Held()
			k.until.Store(0)
			if held {
				release, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				if err := k.store.ReleaseLease(release, k.name, k.holder); err != nil {
					k.log.Warn("release lease", "lease", k.name, "err", err)
				}
				cancel()
			}
			return
		case <-tick.C:
		}
	}
}

func (k *Keeper) renew(ctx context.Context) {
	asked := time.Since(k.start)
	ctx, cancel := context.WithTimeout(ctx, k.ttl/3)
	defer cancel()
	was := k.Held()
	held, err := k.store.Lease(ctx, k.name, k.holder, k.ttl)
	switch {
	case err != nil:
		// Until the lease's time is up we may still hold it; after, we must not assume so.
		k.log.Warn("renew lease", "lease", k.name, "err", err)
	case held:
		k.until.Store((asked + k.ttl - k.ttl/10).Nanoseconds())
	default:
		k.until.Store(0)
	}
	if now := k.Held(); now != was {
		k.log.Info("lease", "lease", k.name, "holder", k.holder, "held", now)
	}
}
