package main

import (
	"testing"
	"time"
)

// Budgets are reserved together or not at all; a success clears the guessed key's count and
// gives the address back only its own attempt.
func TestThrottle_ReserveSettle(t *testing.T) {
	now := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	login, addr := loginBudget("x"), addressBudget("192.0.2.1")
	for i := range freeLoginFailures {
		if _, wait := th.reserve(login, addr); wait > 0 {
			t.Fatalf("attempt %d waits %s", i+1, wait)
		}
	}
	if _, wait := th.reserve(login, addr); wait != time.Second {
		t.Fatalf("after %d failures the wait is %s, want 1s", freeLoginFailures, wait)
	}
	if th.counts[addr.key].n != freeLoginFailures {
		t.Fatalf("a refused attempt counted on the address: %d", th.counts[addr.key].n)
	}
	now = now.Add(time.Second)
	try, wait := th.reserve(login, addr)
	if wait > 0 {
		t.Fatal("no attempt after the wait")
	}
	try.succeeded()
	if _, ok := th.counts[login.key]; ok || th.counts[addr.key].n != freeLoginFailures {
		t.Fatalf("after a success: login %+v, address %+v", th.counts[login.key], th.counts[addr.key])
	}
	now = now.Add(2 * throttleMemory)
	th.reserve(addressBudget("198.51.100.1"))
	if _, ok := th.counts[addr.key]; ok {
		t.Fatal("an hour-old count was not forgotten")
	}
}

func TestClientKey_IPv6ByItsSlash64(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.1": "192.0.2.1", "2001:db8:1:2:aaaa::1": "2001:db8:1:2::/64", "2001:db8:1:2:ffff::9": "2001:db8:1:2::/64",
		"::ffff:192.0.2.1": "::ffff:192.0.2.1", "not an address": "not an address",
	} {
		if got := clientKey(ip); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", ip, got, want)
		}
	}
}
