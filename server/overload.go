package main

import (
	"context"
	"errors"
	"time"

	"github.com/labstack/echo/v4"
)

// Overload: requests beyond what the machine can run wait their turn, and answers beyond
// what it can compute get a fast 503 instead of a queue that grows.

// errOverloaded is what a request gets when no answer is cached and the portal computes
// as many answers as it may: a fast 503 with Retry-After, not a queue that grows.
var errOverloaded = errors.New("too many answers being computed")

// inflight lets at most cap(a.inflight) requests run at once; the others wait their turn
// (channel senders queue in order) until their context ends. With thousands of connections
// Go's scheduler would otherwise share the CPU among thousands of runnable handlers, and the
// one computing a missed answer — which many others wait for — would get a thousandth of it.
// Health checks skip the queue.
func (a *App) limitInflight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().URL.Path {
		case "/healthz", "/readyz":
			return next(c)
		}
		select {
		case a.inflight <- struct{}{}:
			defer func() { <-a.inflight }()
			return next(c)
		case <-c.Request().Context().Done():
			return c.Request().Context().Err()
		}
	}
}

// computeWait is how long a computation waits for a free slot before the request gets 503.
const computeWait = 100 * time.Millisecond

// computeSlot takes one of the --compute-limit slots, waiting up to computeWait; release
// gives it back.
func (a *App) computeSlot(ctx context.Context) (release func(), err error) {
	wait := time.NewTimer(computeWait)
	defer wait.Stop()
	select {
	case a.computing <- struct{}{}:
		return func() { <-a.computing }, nil
	case <-wait.C:
		return nil, errOverloaded
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
