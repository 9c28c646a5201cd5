package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/sqlite"
)

// The portal is killed (SIGKILL) in the middle of telling 2,000 webhooks that the national
// service is down. The next process goes on where it stopped: every subscription hears it,
// and what is heard twice (sent, but not yet recorded as sent) carries the same webhook-id,
// so that the receiver can drop it.
func TestServe_KilledMidFanOutResumes(t *testing.T) {
	const n = 2000
	var mu sync.Mutex
	heard := map[string]int{} // webhook-id → times
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond) // a receiver that takes its time: the fan-out lasts
		mu.Lock()
		heard[r.Header.Get("webhook-id")]++
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	distinct := func() (ids, total int) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range heard {
			ids, total = ids+1, total+c
		}
		return ids, total
	}
	db := sharedDBCopy(t)
	store, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, _, err := store.Subscribe(context.Background(), data.Subscription{URL: fmt.Sprintf("%s/hook/%d", receiver.URL, i), Topics: []data.Topic{data.TopicDown}}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	national := newFakeNational(t)
	national.setDown(true)
	env := []string{"APOPORTAL_NATIONAL_URL=" + national.srv.URL, "APOPORTAL_PROBE_INTERVAL=1s", "APOPORTAL_WEBHOOK_ALLOW_INTERNAL=true",
		"APOPORTAL_NOTIFY_WINDOW=0"}
	sock := newHandedSocket(t, db)
	portal := sock.start(env...)
	sock.waitUp(t)
	for ids, _ := distinct(); ids < 700; ids, _ = distinct() { // in the middle of the second round of 500
		time.Sleep(5 * time.Millisecond)
	}
	if err := portal.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	portal.Wait()
	before, _ := distinct()
	sock.start(env...)
	sock.waitUp(t)
	deadline := time.Now().Add(60 * time.Second)
	for ids, _ := distinct(); ids < n && time.Now().Before(deadline); ids, _ = distinct() {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // and nothing more
	ids, total := distinct()
	t.Logf("%d of %d heard before SIGKILL; after the restart all %d, %d twice (same webhook-id)", before, n, ids, total-ids)
	if ids != n || total-ids > 500 { // at most the round in flight
		t.Fatalf("%d of %d subscriptions heard it, %d repeats\n%s", ids, n, total-ids, sock.logs())
	}
}
