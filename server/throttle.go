package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
)

// throttle slows down guessing of passwords and activation codes. Each attempt draws on
// budgets: one for what is guessed (a login, a code, a device cookie) and one for where it
// comes from (a client address). A budget allows a few free failures; after them each
// further attempt must wait twice as long as the last, up to 15 minutes. Nobody is locked
// out for good, and an attempt is reserved before the password is verified, so a burst of
// concurrent guesses gets no more tries than one guess after another. The counts are the
// store's (data.Throttles), so every portal process on it draws on the same budgets; they
// fade after an hour without failures. The store knows a budget by an HMAC of what it
// counts under a secret of its own: no login, code or address is in the table, nor can one
// be found by trying them.
type throttle struct {
	store throttleStore
	now   func() time.Time
	log   *slog.Logger
	key   atomic.Pointer[[]byte] // the store's secret for budget names, read on first use
}

// throttleStore is what the throttle needs of the store.
type throttleStore interface {
	data.Throttles
	Secret(ctx context.Context, name string) ([]byte, error)
}

const (
	freeLoginFailures  = 3
	freeCodeFailures   = 3
	freeDeviceFailures = 5
	freeIPFailures     = 20
	throttleMemory     = time.Hour
)

// A budget's Key is "kind:what" until reserve names it for the store.
func loginBudget(login string) data.Budget {
	return data.Budget{Key: "login:" + login, Free: freeLoginFailures, ClearOnSuccess: true}
}
func codeBudget(code string) data.Budget {
	return data.Budget{Key: "code:" + code, Free: freeCodeFailures, ClearOnSuccess: true}
}
func addressBudget(ip string) data.Budget {
	return data.Budget{Key: "ip:" + clientKey(ip), Free: freeIPFailures}
}
func deviceBudget(nonce string) data.Budget {
	return data.Budget{Key: "device:" + nonce, Free: freeDeviceFailures, ClearOnSuccess: true}
}

// attempt is a reserved try: it counts as failed unless succeeded or released.
type attempt struct {
	t       *throttle
	budgets []data.Budget
}

// reserve takes one attempt from every budget at once, or from none: when any budget must
// still wait, it returns how long, and nothing is counted.
func (t *throttle) reserve(ctx context.Context, budgets ...data.Budget) (attempt, time.Duration, error) {
	budgets, err := t.named(ctx, budgets)
	if err != nil {
		return attempt{}, 0, err
	}
	wait, err := t.store.ReserveAttempt(ctx, budgets, t.now())
	if err != nil || wait > 0 {
		return attempt{}, wait, err
	}
	return attempt{t: t, budgets: budgets}, 0, nil
}

// named is budgets as the store knows them: "kind:" and the HMAC of "kind:what".
func (t *throttle) named(ctx context.Context, budgets []data.Budget) ([]data.Budget, error) {
	key := t.key.Load()
	if key == nil {
		secret, err := t.store.Secret(ctx, "throttle")
		if err != nil {
			return nil, err
		}
		key = &secret
		t.key.Store(key)
	}
	out := make([]data.Budget, len(budgets))
	for i, b := range budgets {
		kind, _, _ := strings.Cut(b.Key, ":")
		mac := hmac.New(sha256.New, *key)
		mac.Write([]byte(b.Key))
		b.Key = kind + ":" + hex.EncodeToString(mac.Sum(nil)[:16])
		out[i] = b
	}
	return out, nil
}

// succeeded settles an attempt that got in.
func (a attempt) succeeded(ctx context.Context) { a.settle(ctx, true) }

// release settles an attempt that guessed nothing (the store failed, the form was
// incomplete): it counts as no attempt at all.
func (a attempt) release(ctx context.Context) { a.settle(ctx, false) }

func (a attempt) settle(ctx context.Context, success bool) {
	if a.t == nil {
		return
	}
	// A store that fails here keeps the attempt counted: it errs on the side of the owner's
	// budget, never the guesser's.
	if err := a.t.store.SettleAttempt(context.WithoutCancel(ctx), a.budgets, success); err != nil {
		a.t.log.Warn("settle a throttled attempt", "err", err)
	}
}

// forget drops the counts without a failure for throttleMemory.
func (t *throttle) forget(ctx context.Context) {
	if err := t.store.ForgetThrottles(ctx, t.now().Add(-throttleMemory)); err != nil {
		t.log.Warn("forget old throttle counts", "err", err)
	}
}
