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
	"github.com/apoportal/apoportal/server/notify/mailsink"
	"github.com/wneessen/go-mail"
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
	cfg.AllowInternal, cfg.PerSite = true, cfg.Concurrency // one receiver: as many at once as the baseline
	for range b.N {
		dir := b.TempDir()
		f := newBenchFixture(b, filepath.Join(dir, "outbox.db"), cfg)
		for i := range n {
			if _, _, err := f.db.Subscribe(context.Background(), data.Subscription{URL: fmt.Sprintf("%s/hook/%d", srv.URL, i), Topics: []data.Topic{data.TopicUp}}); err != nil {
				b.Fatal(err)
			}
		}
		got.Store(0)
		start := recovery(b, f)
		for got.Load() < n {
			f.sender.Work(context.Background(), data.ChannelWebhook)
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

// recovery records the national service going down (which its subscribers, to "up" only,
// do not hear) and coming back, and returns when it came back.
func recovery(b *testing.B, f fixture) time.Time {
	b.Helper()
	if err := f.db.RecordStateChange(context.Background(), data.StateChange{Target: "national", To: data.TopicDown, At: time.Now()}); err != nil {
		b.Fatal(err)
	}
	up := time.Now()
	if err := f.db.RecordStateChange(context.Background(), data.StateChange{Target: "national", To: data.TopicUp, At: up}); err != nil {
		b.Fatal(err)
	}
	return up
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

// The fan-out of one recovery to 10,000 e-mail addresses and 10,000 webhooks through the
// outbox, to a local SMTP server and a local receiver, against the baseline of the same
// messages sent straight (the mailer's Send, the signed posts) at the same concurrency. It
// reports deliveries per second of both and the time to the last.
func BenchmarkSender_FanOutMailAndWebhooks20000(b *testing.B) {
	const n = 10_000
	var hooks atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hooks.Add(1) }))
	defer srv.Close()
	sink := mailsink.Start(b, mailsink.Options{})
	cfg := DefaultConfig()
	cfg.AllowInternal, cfg.Window, cfg.PerSite = true, 0, cfg.Concurrency
	mailer, err := NewMailer(MailConfig{URL: "smtp+plain://" + sink.Addr, From: "meldungen@apoportal.example", Connections: 8, PerSecond: 1e6})
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		dir := b.TempDir()
		f := newBenchFixture(b, filepath.Join(dir, "outbox.db"), cfg)
		f.sender.mailer = mailer
		for i := range n {
			if _, _, err := f.db.Subscribe(context.Background(), data.Subscription{URL: fmt.Sprintf("%s/hook/%d", srv.URL, i), Topics: []data.Topic{data.TopicUp}}); err != nil {
				b.Fatal(err)
			}
			token, err := f.db.SubscribeMail(context.Background(), data.Subscription{Email: fmt.Sprintf("apotheke%d@example.org", i), Topics: []data.Topic{data.TopicUp}})
			if err == nil {
				_, err = f.db.ConfirmSubscription(context.Background(), token)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		hooks.Store(0)
		mails := len(sink.Messages())
		start := recovery(b, f)
		var wg sync.WaitGroup // a loop per channel, as the portal runs them
		for _, ch := range []data.Channel{data.ChannelWebhook, data.ChannelMail} {
			wg.Go(func() {
				for hooks.Load() < n || len(sink.Messages()) < mails+n {
					if !f.sender.Work(context.Background(), ch) {
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		outbox := time.Since(start)
		// The baseline: the same mails sent straight, in rounds of the same size.
		ds, err := f.db.DueDeliveries(context.Background(), data.DueQuery{Now: start, QuietSince: start, Limit: 1}) // (none: all sent)
		if err != nil || len(ds) != 0 {
			b.Fatalf("still due: %d %v", len(ds), err)
		}
		msgs := make([]*mail.Msg, 0, roundSize)
		start = time.Now()
		for i := range n {
			d := data.Delivery{ID: int64(i), Event: data.Event{Topic: data.TopicDown, At: start}, Subscription: data.Subscription{Email: fmt.Sprintf("apotheke%d@example.org", i)}}
			msg, err := mailer.notice(batch{d}, "https://apoportal.example", data.NewUnsubscribeToken(), start)
			if err != nil {
				b.Fatal(err)
			}
			if msgs = append(msgs, msg); len(msgs) == roundSize || i == n-1 {
				mailer.Send(context.Background(), msgs)
				msgs = msgs[:0]
			}
		}
		direct := time.Since(start)
		c, err := f.db.CountDeliveries(context.Background())
		if err != nil || c.Sent != 2*n {
			b.Fatalf("counts %+v %v", c, err)
		}
		info, _ := os.Stat(filepath.Join(dir, "outbox.db"))
		b.ReportMetric(float64(2*n)/outbox.Seconds(), "deliveries/s")
		b.ReportMetric(outbox.Seconds(), "s-to-last")
		b.ReportMetric(float64(n)/direct.Seconds(), "mail-baseline/s")
		b.ReportMetric(float64(c.Sent), "delivery-rows")
		b.ReportMetric(float64(info.Size())/(1<<20), "db-MiB")
	}
}
