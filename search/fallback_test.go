package search

import (
	"testing"
	"time"
)

func TestBreaker_OpensHalfOpensAndCloses(t *testing.T) {
	now := time.Date(2021, 6, 15, 9, 0, 0, 0, time.UTC)
	b := NewBreaker(3, time.Second, 4*time.Second, func() time.Time { return now })
	for i := 0; i < 2; i++ {
		b.Failure()
	}
	if b.State() != BreakerClosed || !b.Allow() {
		t.Fatal("two failures opened the breaker")
	}
	b.Failure()
	if b.State() != BreakerOpen || b.Allow() {
		t.Fatal("three failures did not open the breaker")
	}
	now = now.Add(time.Second)
	if !b.Allow() || b.Allow() {
		t.Fatal("half-open breaker must let exactly one trial through")
	}
	b.Failure() // the trial failed: open for twice as long
	now = now.Add(time.Second)
	if b.Allow() {
		t.Fatal("breaker let a call through during the doubled cool-down")
	}
	now = now.Add(time.Second)
	if !b.Allow() {
		t.Fatal("no trial after the doubled cool-down")
	}
	b.Success()
	if b.State() != BreakerClosed || !b.Allow() || !b.Allow() {
		t.Fatal("a successful trial did not close the breaker")
	}
}
