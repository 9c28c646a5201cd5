package status

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// lastKnown keeps the last value a slow source gave. A value younger than ttl is returned
// as it is; an older one is reloaded within timeout by one caller while the others get the
// last value at once. When the reload fails or times out, the last value is returned with
// the time it was loaded, so pages can say how fresh it is: a slow store never turns a
// status page into an error.
type lastKnown[T any] struct {
	ttl, timeout time.Duration
	now          func() time.Time
	load         func(context.Context) (T, error)
	failed       func(error) // hears reload failures that the last value covered

	reloading sync.Mutex
	last      atomic.Pointer[known[T]]
}

type known[T any] struct {
	value T
	at    time.Time
}

func newLastKnown[T any](ttl, timeout time.Duration, now func() time.Time, load func(context.Context) (T, error), failed func(error)) *lastKnown[T] {
	return &lastKnown[T]{ttl: ttl, timeout: timeout, now: now, load: load, failed: failed}
}

// get returns the value and when it was loaded; an error only when there has never been one.
func (l *lastKnown[T]) get(ctx context.Context) (T, time.Time, error) {
	last := l.last.Load()
	if last != nil && l.now().Sub(last.at) < l.ttl {
		return last.value, last.at, nil
	}
	if !l.reloading.TryLock() {
		if last != nil {
			return last.value, last.at, nil // someone is reloading: no pile-up on a slow store
		}
		l.reloading.Lock() // nothing to show yet: wait for the first load
	}
	defer l.reloading.Unlock()
	if cur := l.last.Load(); cur != last && cur != nil {
		return cur.value, cur.at, nil // loaded while we waited
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	value, err := l.load(ctx)
	if err != nil {
		if last != nil {
			l.failed(err)
			return last.value, last.at, nil
		}
		var zero T
		return zero, time.Time{}, err
	}
	at := l.now()
	l.last.Store(&known[T]{value, at})
	return value, at, nil
}

// peek returns the last value without ever loading; ok is false before the first load.
func (l *lastKnown[T]) peek() (value T, ok bool) {
	if last := l.last.Load(); last != nil {
		return last.value, true
	}
	return value, false
}

// forget makes the next get reload, after a change the readers must see at once.
func (l *lastKnown[T]) forget() {
	if last := l.last.Load(); last != nil {
		l.last.CompareAndSwap(last, &known[T]{last.value, time.Time{}})
	}
}
