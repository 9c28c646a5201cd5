package data

import (
	"context"
	"time"
)

// Throttles count failed guesses (of passwords, activation codes) in the store, so every
// portal process on it draws on the same budgets: N portals behind a proxy allow no more
// guesses than one.
type Throttles interface {
	// ReserveAttempt takes one attempt from every budget at once, or from none: when any
	// budget must still wait, it returns how long, and nothing is counted. Concurrent
	// reservations on one budget are counted one after another.
	ReserveAttempt(ctx context.Context, budgets []Budget, now time.Time) (wait time.Duration, err error)
	// SettleAttempt settles a reserved attempt: a success forgets the failures of the budgets
	// that clear on success; otherwise (and for the others) the reservation is given back.
	SettleAttempt(ctx context.Context, budgets []Budget, success bool) error
	// ForgetThrottles drops the counts without a failure since before.
	ForgetThrottles(ctx context.Context, before time.Time) error
}

// Budget is one count an attempt draws on: a few free failures, then each further attempt
// waits twice as long as the last, up to MaxThrottleWait.
type Budget struct {
	Key  string // names what is counted; the server keys it by a secret (no login or address in the store)
	Free int
	// ClearOnSuccess: a success forgets the failures (those of the login that got in);
	// otherwise it only gives back its own reservation (an address shared with others).
	ClearOnSuccess bool
}

// MaxThrottleWait bounds the wait a budget imposes: nobody is locked out for good.
const MaxThrottleWait = 15 * time.Minute

// Failures is a budget's count as stored.
type Failures struct {
	N     int
	Until time.Time // no attempt before this
	Last  time.Time
}

// Reserved is f with one more attempt at now.
func (f Failures) Reserved(b Budget, now time.Time) Failures {
	f.N++
	f.Last = now
	if f.N >= b.Free {
		f.Until = now.Add(min(MaxThrottleWait, time.Second<<min(f.N-b.Free, 20)))
	}
	return f
}

// Settled is f once a reserved attempt is settled; forget says to drop the count.
func (f Failures) Settled(b Budget, success bool) (settled Failures, forget bool) {
	if success && b.ClearOnSuccess {
		return Failures{}, true
	}
	f.N = max(0, f.N-1)
	if f.N < b.Free {
		f.Until = time.Time{}
	}
	return f, false
}

// ThrottleRows is how an engine reads and writes budgets' counts inside one transaction.
type ThrottleRows struct {
	Read   func(key string) (f Failures, found bool, err error) // for Reserve, locks the row
	Save   func(key string, f Failures) error
	Forget func(key string) error
}

// Reserve is ReserveAttempt's rule over an engine's rows: every budget's count is read;
// when one must still wait, nothing is written and the longest wait returned; otherwise
// each gets one attempt more.
func (r ThrottleRows) Reserve(budgets []Budget, now time.Time) (time.Duration, error) {
	var wait time.Duration
	counts := make([]Failures, len(budgets))
	for i, b := range budgets {
		f, _, err := r.Read(b.Key)
		if err != nil {
			return 0, err
		}
		counts[i] = f
		wait = max(wait, f.Until.Sub(now))
	}
	if wait > 0 {
		return wait, nil
	}
	for i, b := range budgets {
		if err := r.Save(b.Key, counts[i].Reserved(b, now)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Settle is SettleAttempt's rule over an engine's rows; a count forgotten meanwhile stays so.
func (r ThrottleRows) Settle(budgets []Budget, success bool) error {
	for _, b := range budgets {
		f, found, err := r.Read(b.Key)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		settled, forget := f.Settled(b, success)
		if forget {
			err = r.Forget(b.Key)
		} else {
			err = r.Save(b.Key, settled)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
