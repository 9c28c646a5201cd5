package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// replica is one portal process of several on one store, served until stop.
type replica struct {
	cfg  Config
	app  *App
	base string
	stop func()
}

// startReplicas opens n portals on db, each with its own instance name, and serves them.
func startReplicas(t *testing.T, db string, n int, configure func(*Config)) []*replica {
	t.Helper()
	var rs []*replica
	for i := range n {
		cfg := DefaultConfig()
		cfg.DB, cfg.Instance = db, fmt.Sprintf("portal-%d", i+1)
		configure(&cfg)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{cfg: cfg, base: "http://" + ln.Addr().String()}
		r.serve(t, ln)
		rs = append(rs, r)
	}
	return rs
}

// serve opens the portal and serves it on ln until stop or the test's end.
func (r *replica) serve(t *testing.T, ln net.Listener) {
	t.Helper()
	r.app, _ = openTestApp(t, r.cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.app.Serve(ctx, ln) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(r.stop)
}

// restart starts a stopped portal again on its address, as a new process would.
func (r *replica) restart(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(r.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, ln)
}

// Three portals on one PostgreSQL: one of them probes the national service (not three),
// every one shows the state it found; when that one stops, another takes the probing over
// within two of the lease's times to live, and all follow it.
func TestReplicas_OneProbesAllShowTheSameState(t *testing.T) {
	national := newFakeNational(t)
	const interval = 200 * time.Millisecond
	rs := startReplicas(t, sharedPostgres(t), 3, func(c *Config) { c.NationalURL, c.ProbeInterval = national.srv.URL, interval })
	for _, r := range rs {
		waitState(t, r.base, "operational")
	}
	before := national.requests.Load()
	time.Sleep(3 * time.Second)
	probes := national.requests.Load() - before
	t.Logf("3 portals, probe interval %s: %d probes of the national service in 3 s", interval, probes)
	if probes > int64(3*time.Second/interval)+3 {
		t.Fatalf("%d probes in 3 s: more than one portal probes", probes)
	}
	national.setDown(true)
	for _, r := range rs {
		t.Logf("%s: down seen after %s", r.app.cfg.Instance, waitState(t, r.base, "down").Round(time.Millisecond))
	}
	holder := slices.IndexFunc(rs, func(r *replica) bool { return r.app.duties.Held() })
	if holder < 0 {
		t.Fatal("no portal holds the probing lease")
	}
	rs[holder].stop()
	stopped := time.Now()
	national.setDown(false)
	rest := slices.Delete(slices.Clone(rs), holder, holder+1)
	for _, r := range rest {
		waitState(t, r.base, "operational")
	}
	t.Logf("the prober stopped: the others show the service back after %s", time.Since(stopped).Round(time.Millisecond))
	if n := len(slices.DeleteFunc(slices.Clone(rest), func(r *replica) bool { return !r.app.duties.Held() })); n != 1 {
		t.Fatalf("%d of the remaining portals hold the probing lease, want 1", n)
	}
}

// A switch through one portal is visible in the search API of the others within 2 s: each
// follows the store's change sequence and drops the cached answers it touches.
func TestReplicas_SwitchVisibleOnTheOthers(t *testing.T) {
	rs := startReplicas(t, sharedPostgres(t), 3, func(*Config) {})
	switchVisible(t, rs)
}

func switchVisible(t *testing.T, rs []*replica) {
	var tokens []string
	for range 5 {
		_, tok := token(t, rs[0].app, pharmacyA)
		tokens = append(tokens, tok)
	}
	var took []time.Duration
	for i := 0; i < 40; i++ {
		on := i%2 == 1
		start := time.Now()
		status := switchParticipation(t, rs[0].base, tokens[i%len(tokens)], on)
		if status == http.StatusTooManyRequests {
			time.Sleep(500 * time.Millisecond)
			i--
			continue
		}
		if status != http.StatusOK {
			t.Fatalf("switch %d: %d", i, status)
		}
		for _, r := range rs[1:] {
			for issuing(t, r.base, pharmacyA) != on {
				if time.Since(start) > 2*time.Second {
					t.Fatalf("switch %d through portal 1 not visible on %s after 2 s", i, r.app.cfg.Instance)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("switch through portal 1 → visible on portals 2 and 3, %d switches: p50 %s, p99 %s", len(took),
		took[len(took)/2].Round(time.Millisecond), took[len(took)*99/100].Round(time.Millisecond))
}

// switchParticipation switches pharmacy software's participation through the API at base
// with token and returns the answer's status.
func switchParticipation(t *testing.T, base, token string, on bool) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", strings.NewReader(fmt.Sprintf(`{"participating": %t}`, on)))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
