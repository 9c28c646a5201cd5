package status

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLastKnown_ServesTheLastValueWhenTheSourceIsSlowOrFails(t *testing.T) {
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	var loads atomic.Int32
	var mode atomic.Value
	mode.Store("ok")
	release := make(chan struct{})
	var failures atomic.Int32
	l := newLastKnown(10*time.Second, 50*time.Millisecond, now, func(ctx context.Context) (int32, error) {
		n := loads.Add(1)
		switch mode.Load() {
		case "fail":
			return 0, errors.New("database is locked")
		case "hang":
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-release:
			}
		}
		return n, nil
	}, func(error) { failures.Add(1) })
	ctx := context.Background()
	if v, at, err := l.get(ctx); v != 1 || err != nil || !at.Equal(now()) {
		t.Fatalf("first get: %d %s %v", v, at, err)
	}
	clock.Add(5)
	if v, _, _ := l.get(ctx); v != 1 || loads.Load() != 1 {
		t.Fatalf("within ttl: value %d after %d loads", v, loads.Load())
	}
	clock.Add(10)
	mode.Store("fail")
	if v, at, err := l.get(ctx); v != 1 || err != nil || at.Unix() != 0 || failures.Load() != 1 {
		t.Fatalf("failing source: %d loaded %s, %v", v, at, err)
	}
	mode.Store("hang")
	start := time.Now()
	if v, _, err := l.get(ctx); v != 1 || err != nil {
		t.Fatalf("hanging source: %d %v", v, err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("waited %s for a hanging source", waited)
	}
	// While one caller reloads, the others get the last value without waiting.
	l.timeout = time.Hour
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.get(ctx) }()
	for loads.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	if v, _, err := l.get(ctx); v != 1 || err != nil {
		t.Fatalf("during a reload: %d %v", v, err)
	}
	close(release)
	wg.Wait()
	if v, at, _ := l.get(ctx); v != 4 || !at.Equal(now()) {
		t.Fatalf("after the reload: %d loaded %s", v, at)
	}
	mode.Store("ok")
	l.forget()
	if v, _, _ := l.get(ctx); v != 5 {
		t.Fatalf("after forget: %d", v)
	}
}

func TestLastKnown_ErrorOnlyWithoutAnyValue(t *testing.T) {
	l := newLastKnown(time.Second, time.Second, time.Now, func(context.Context) (int, error) { return 0, errors.New("no table") }, func(error) {})
	if _, _, err := l.get(context.Background()); err == nil {
		t.Fatal("no error without any value")
	}
}
