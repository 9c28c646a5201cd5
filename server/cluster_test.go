package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
)

// The PostgreSQL primary crashes (SIGKILL) while pharmacies switch through two portals:
// searches go on; switches answer 503 with Retry-After while Patroni fails over to the
// synchronous standby, then go through the new primary without a restart of any portal;
// every acknowledged switch is there; the old primary comes back as the standby.
func TestCluster_PrimaryKilledLosesNoAcknowledgedSwitch(t *testing.T) {
	cluster := testenv.StartCluster(t)
	db := cluster.URL("apoportal")
	store, err := postgres.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, pcs := fixture.SharedRegistry(t)
	fixture.Fill(t, store, ps, pcs)
	store.Close()
	rs := startReplicas(t, db, 2, func(c *Config) { c.APIRate = 0 }) // one test client, one address
	var tokens []string
	for range 8 {
		_, tok := token(t, rs[0].app, pharmacyA)
		tokens = append(tokens, tok)
	}
	var (
		mu        sync.Mutex
		acked     []string
		refused   atomic.Int64
		other     atomic.Int64
		firstAck  atomic.Int64 // unix nanos of the first acknowledgement after the kill
		killedAt  atomic.Int64
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		searches  atomic.Int64
		searchBad atomic.Int64
	)
	wg.Add(2)
	go func() { // a pharmacy's software switching through both portals in turn
		defer wg.Done()
		client := &http.Client{Timeout: 15 * time.Second}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			note := fmt.Sprintf("Meldung %d", n)
			req, _ := http.NewRequest(http.MethodPost, rs[n%2].base+"/api/v1/participation", strings.NewReader(fmt.Sprintf(`{"participating": true, "note": %q}`, note)))
			req.Header.Set("Authorization", "Bearer "+tokens[n%len(tokens)])
			res, err := client.Do(req)
			switch {
			case err != nil:
				other.Add(1)
			case res.StatusCode == http.StatusOK:
				mu.Lock()
				acked = append(acked, note)
				mu.Unlock()
				if k := killedAt.Load(); k != 0 {
					firstAck.CompareAndSwap(0, time.Now().UnixNano())
				}
			case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "":
				refused.Add(1)
			case res.StatusCode == http.StatusTooManyRequests:
			default:
				other.Add(1)
				t.Errorf("switch answered %d", res.StatusCode)
			}
			if res != nil {
				res.Body.Close()
			}
			time.Sleep(70 * time.Millisecond)
		}
	}()
	go func() { // a citizen searching
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := http.Get(rs[1].base + "/api/v1/pharmacies?q=01069")
			searches.Add(1)
			if err != nil || res.StatusCode != http.StatusOK {
				searchBad.Add(1)
			}
			if res != nil {
				res.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(2 * time.Second)
	old := cluster.Primary(t)
	old.KillPostgres(t)
	killedAt.Store(time.Now().UnixNano())
	for firstAck.Load() == 0 && time.Since(time.Unix(0, killedAt.Load())) < 60*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	failover := time.Duration(firstAck.Load() - killedAt.Load())
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if firstAck.Load() == 0 {
		t.Fatalf("no switch acknowledged within 60 s of the primary's crash:\n%s", cluster.Log("db2/patroni.log"))
	}
	rejoined := cluster.WaitRole(t, old, "replica", 90*time.Second)
	audited := auditedNotes(t, rs[0].app.store, pharmacyA)
	missing := 0
	for _, note := range acked {
		if !audited[note] {
			missing++
		}
	}
	t.Logf("primary %s SIGKILLed: first switch acknowledged by the new primary after %s; %d switches refused with 503 + Retry-After meanwhile, %d failed otherwise; %d acknowledged, %d missing; %d searches, %d not answered 200; the old primary rejoined as standby %s later",
		old.Name, failover.Round(10*time.Millisecond), refused.Load(), other.Load(), len(acked), missing, searches.Load(), searchBad.Load(), rejoined.Round(100*time.Millisecond))
	if missing > 0 || other.Load() > 0 || searchBad.Load() > 0 {
		t.Fatal("an acknowledged switch was lost, a switch failed otherwise than 503, or a search failed")
	}
}
