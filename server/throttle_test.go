package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/apoportal/apoportal/data"
)

// Failed logins count across portals: guesses spread over two portal processes on one
// PostgreSQL (as nginx spreads them) get the login's 3 free failures in all, not 3 each.
func TestThrottle_CountsAcrossPortals(t *testing.T) {
	rs := startReplicas(t, sharedPostgres(t), 2, func(c *Config) { c.CookieSecure = false })
	actor := data.Actor{Name: "test", Source: "test"}
	_, code, err := rs[0].app.store.CreateAccount(context.Background(), data.RolePharmacy, "neue@example.org", pharmacyA, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rs[0].app.store.ActivateAccount(context.Background(), code, goodPassword, actor); err != nil {
		t.Fatal(err)
	}
	var answers []int
	for i := range 2 * freeLoginFailures {
		// a new address each time: only the login's budget can hold them up
		guesser := from(t, rs[i%2].base, "127.0.3."+itoa64(int64(i+1)))
		answers = append(answers, guesser.login("neue@example.org", "falsches Passwort "+string(rune('a'+i))).StatusCode)
	}
	for i, code := range answers {
		want := http.StatusUnauthorized
		if i >= freeLoginFailures {
			want = http.StatusTooManyRequests
		}
		if code != want {
			t.Fatalf("guesses alternating between two portals answered %v: want %d free failures, then 429", answers, freeLoginFailures)
		}
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
