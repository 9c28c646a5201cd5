package main

import (
	"sync"
	"time"
)

// throttle slows down guessing of passwords and activation codes. Each attempt draws on
// budgets: one for what is guessed (a login, a code, a device cookie) and one for where it
// comes from (a client address). A budget allows a few free failures; after them each
// further attempt must wait twice as long as the last, up to 15 minutes. Nobody is locked
// out for good, and an attempt is reserved before the password is verified, so a burst of
// concurrent guesses gets no more tries than one guess after another. Counts live in
// memory and fade after an hour without failures.
type throttle struct {
	mu     sync.Mutex
	counts map[string]failures
	pruned time.Time
	now    func() time.Time
}

type failures struct {
	n     int
	until time.Time // no attempt before this
	last  time.Time
}

// budget is one count an attempt draws on.
type budget struct {
	key  string
	free int
	// clearOnSuccess: a success forgets the failures (those of the login that got in);
	// otherwise it only gives back its own reservation (an address shared with others).
	clearOnSuccess bool
}

const (
	freeLoginFailures  = 3
	freeCodeFailures   = 3
	freeDeviceFailures = 5
	freeIPFailures     = 20
	maxThrottleWait    = 15 * time.Minute
	throttleMemory     = time.Hour
)

func loginBudget(login string) budget { return budget{"login:" + login, freeLoginFailures, true} }
func codeBudget(code string) budget   { return budget{"code:" + code, freeCodeFailures, true} }
func addressBudget(ip string) budget  { return budget{"ip:" + clientKey(ip), freeIPFailures, false} }
func deviceBudget(nonce string) budget {
	return budget{"device:" + nonce, freeDeviceFailures, true}
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{counts: map[string]failures{}, now: now}
}

// attempt is a reserved try: it counts as failed unless succeeded or released.
type attempt struct {
	t       *throttle
	budgets []budget
}

// reserve takes one attempt from every budget at once, or from none: when any budget must
// still wait, it returns how long, and nothing is counted.
func (t *throttle) reserve(budgets ...budget) (attempt, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.prune(now)
	var wait time.Duration
	for _, b := range budgets {
		wait = max(wait, t.counts[b.key].until.Sub(now))
	}
	if wait > 0 {
		return attempt{}, wait
	}
	for _, b := range budgets {
		f := t.counts[b.key]
		f.n++
		f.last = now
		if f.n >= b.free {
			f.until = now.Add(min(maxThrottleWait, time.Second<<min(f.n-b.free, 20)))
		}
		t.counts[b.key] = f
	}
	return attempt{t: t, budgets: budgets}, 0
}

// succeeded settles an attempt that got in.
func (a attempt) succeeded() { a.settle(true) }

// release settles an attempt that guessed nothing (the store failed, the form was
// incomplete): it counts as no attempt at all.
func (a attempt) release() { a.settle(false) }

func (a attempt) settle(success bool) {
	if a.t == nil {
		return
	}
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	for _, b := range a.budgets {
		f, ok := a.t.counts[b.key]
		switch {
		case !ok:
		case success && b.clearOnSuccess:
			delete(a.t.counts, b.key)
		default:
			f.n = max(0, f.n-1)
			if f.n < b.free {
				f.until = time.Time{}
			}
			a.t.counts[b.key] = f
		}
	}
}

// prune forgets counts without a failure for throttleMemory, at most every few minutes.
func (t *throttle) prune(now time.Time) {
	if now.Sub(t.pruned) < throttleMemory/10 {
		return
	}
	t.pruned = now
	for k, f := range t.counts {
		if now.Sub(f.last) > throttleMemory {
			delete(t.counts, k)
		}
	}
}
