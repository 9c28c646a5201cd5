package search

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Fallback asks a primary engine under a deadline and, when it errors, times out or its
// circuit is open, the secondary one. The page says which engine answered.
type Fallback struct {
	primary, secondary Engine
	timeout            time.Duration
	breaker            *Breaker
	onFailure          func(error)
}

var _ Engine = (*Fallback)(nil)

// NewFallback composes primary and secondary. onFailure hears every failure of the
// primary (for logs); it may be nil.
func NewFallback(primary, secondary Engine, timeout time.Duration, breaker *Breaker, onFailure func(error)) *Fallback {
	if onFailure == nil {
		onFailure = func(error) {}
	}
	return &Fallback{primary: primary, secondary: secondary, timeout: timeout, breaker: breaker, onFailure: onFailure}
}

// Name implements Engine: the primary's name.
func (f *Fallback) Name() string { return f.primary.Name() }

// Search implements Engine.
func (f *Fallback) Search(ctx context.Context, q Query) (Page, error) {
	if f.breaker.Allow() {
		pctx, cancel := context.WithTimeout(ctx, f.timeout)
		page, err := f.primary.Search(pctx, q)
		cancel()
		if err == nil {
			f.breaker.Success()
			page.Engine = f.primary.Name()
			return page, nil
		}
		switch {
		case ctx.Err() != nil:
			return Page{}, ctx.Err() // the caller gave up; not the engine's fault
		case errors.Is(err, ErrNotReady):
			f.breaker.Success() // it answered, only not yet with the truth
		default:
			f.breaker.Failure()
			f.onFailure(fmt.Errorf("%s: %w", f.primary.Name(), err))
		}
	}
	page, err := f.secondary.Search(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("%s: %w", f.secondary.Name(), err)
	}
	page.Engine = f.secondary.Name()
	return page, nil
}

// Breaker is a circuit breaker: after Threshold consecutive failures it opens and lets no
// call through for a cool-down, then lets one trial call through (half-open); a success
// closes it, a failure opens it again with twice the cool-down, up to MaxCooldown.
type Breaker struct {
	threshold   int
	cooldown    time.Duration
	maxCooldown time.Duration
	now         func() time.Time

	mu       sync.Mutex
	failures int
	openedAt time.Time
	wait     time.Duration
	trial    bool // a half-open trial is under way
}

// NewBreaker returns a closed breaker. now is the clock (nil: time.Now).
func NewBreaker(threshold int, cooldown, maxCooldown time.Duration, now func() time.Time) *Breaker {
	if now == nil {
		now = time.Now
	}
	return &Breaker{threshold: threshold, cooldown: cooldown, maxCooldown: maxCooldown, now: now, wait: cooldown}
}

// Breaker states.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half-open"
)

// State is closed, open or half-open.
func (b *Breaker) State() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state()
}

func (b *Breaker) state() string {
	switch {
	case b.failures < b.threshold:
		return BreakerClosed
	case b.now().Sub(b.openedAt) < b.wait:
		return BreakerOpen
	}
	return BreakerHalfOpen
}

// Allow reports whether a call may go to the primary now.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state() {
	case BreakerClosed:
		return true
	case BreakerHalfOpen:
		if b.trial {
			return false
		}
		b.trial = true
		return true
	}
	return false
}

// Success records a call that worked.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.trial, b.wait = 0, false, b.cooldown
}

// Failure records a call that failed.
func (b *Breaker) Failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.trial {
		b.wait = min(2*b.wait, b.maxCooldown)
	}
	b.trial = false
	b.failures++
	if b.failures >= b.threshold {
		b.openedAt = b.now()
	}
}
