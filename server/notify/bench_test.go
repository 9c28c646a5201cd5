package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// The fan-out of one recovery to 20,000 webhook subscriptions through the outbox, to a
// local receiver, against the baseline of the same signed requests posted straight, as many
// at once: what the outbox's reads and writes cost per delivery. It reports deliveries per
// second of both, and the outbox's rows and the database's size after it.
func BenchmarkSender_FanOut20000(b *testing.B) {
	const n = 20_000
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.AllowInternal = true
	for range b.N {
		dir := b.TempDir()
		f := newBenchFixture(b, filepath.Join(dir, "outbox.db"), cfg)
		for i := range n {
			if _, _, err := f.db.Subscribe(context.Background(), data.Subscription{URL: fmt.Sprintf("%s/hook/%d", srv.URL, i)}); err != nil {
				b.Fatal(err)
			}
		}
		got.Store(0)
		start := time.Now()
		if err := f.db.RecordStateChange(context.Background(), data.StateChange{Target: "national", To: data.TopicDown, At: start}); err != nil {
			b.Fatal(err)
		}
		for got.Load() < n {
			f.sender.Work(context.Background())
		}
		outbox := time.Since(start)
		c, err := f.db.CountDeliveries(context.Background())
		if err != nil || c.Sent != n {
			b.Fatalf("counts %+v %v", c, err)
		}
		// The baseline: the same requests, signed, Concurrency at a time, no outbox.
		got.Store(0)
		start = time.Now()
		var wg sync.WaitGroup
		slots := make(chan struct{}, cfg.Concurrency)
		for i := range n {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				_ = post(context.Background(), f.sender.client, fmt.Sprintf("%s/hook/%d", srv.URL, i), data.NewWebhookSecret(), "msg_1", time.Now(), []byte(`{"type":"national_service.down"}`))
			}()
		}
		wg.Wait()
		direct := time.Since(start)
		info, _ := os.Stat(filepath.Join(dir, "outbox.db"))
		b.ReportMetric(float64(n)/outbox.Seconds(), "deliveries/s")
		b.ReportMetric(float64(n)/direct.Seconds(), "baseline/s")
		b.ReportMetric(outbox.Seconds(), "s-to-last")
		b.ReportMetric(float64(info.Size())/(1<<20), "db-MiB")
	}
}

func newBenchFixture(b *testing.B, path string, cfg Config) fixture {
	b.Helper()
	db, err := openSQLite(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return fixture{db: db, sender: New(db, cfg, nil, discard(), time.Now)}
}
