package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/server/notify/mailsink"
)

// Citizens' searches while the portal tells 10,000 addresses and 10,000 webhooks that the
// national service is back, against the same searches just before, on the same portal: the
// p99 of both, and the time from the confirmed recovery to the last delivery (the hold-up
// set to 0). The portal is
// driven as it is served: real HTTP on loopback, its own monitor confirming the outage of a
// fake national service, its own sender working the outbox to a local SMTP server and a
// local receiver.
func BenchmarkNotify_CitizenP99DuringFanOut(b *testing.B) {
	const n = 10_000
	for range b.N {
		var hooks atomic.Int64
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hooks.Add(1) }))
		sink := mailsink.Start(b, mailsink.Options{})
		national := newFakeNational(b)
		cfg := DefaultConfig()
		cfg.DB, cfg.NationalURL, cfg.ProbeInterval = sharedDBCopyIn(b, b.TempDir()), national.srv.URL, 100*time.Millisecond
		cfg.NotifyWindow, cfg.NotifyHoldUp, cfg.WebhookAllowInternal, cfg.PublicURL = 0, 0, true, "https://apoportal.example"
		cfg.SMTPURL, cfg.MailFrom, cfg.SMTPRate = "smtp+plain://"+sink.Addr, "meldungen@apoportal.example", 100_000
		app, _ := openTestApp(b, cfg, nil)
		ctx, up := context.Background(), []data.Topic{data.TopicUp}
		for i := range n {
			if _, _, err := app.store.Subscribe(ctx, data.Subscription{URL: fmt.Sprintf("%s/hook/%d", receiver.URL, i), Topics: up}); err != nil {
				b.Fatal(err)
			}
			token, err := app.store.SubscribeMail(ctx, data.Subscription{Email: fmt.Sprintf("apotheke%d@example.org", i), Topics: up})
			if err == nil {
				_, err = app.store.ConfirmSubscription(ctx, token)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		national.setDown(true) // down from the start: its subscribers, to "up" only, hear nothing
		base := serveApp(b, app)
		for s, _ := app.status.National(); s.State != monitor.Down; s, _ = app.status.National() {
			time.Sleep(10 * time.Millisecond)
		}
		quiet := searchWhile(base, func(elapsed time.Duration) bool { return elapsed < 5*time.Second })
		national.setDown(false)
		for s, _ := app.status.National(); s.State != monitor.Operational; s, _ = app.status.National() {
			time.Sleep(time.Millisecond)
		}
		confirmed := time.Now()
		var last time.Duration
		busy := searchWhile(base, func(time.Duration) bool {
			if hooks.Load() < n || len(sink.Messages()) < n {
				return true
			}
			if last == 0 {
				last = time.Since(confirmed)
			}
			return false
		})
		c, err := app.store.CountDeliveries(ctx) // the last round may still be recording what it sent
		for start := time.Now(); err == nil && c.Sent < 2*n && time.Since(start) < 10*time.Second; c, err = app.store.CountDeliveries(ctx) {
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil || c.Sent != 2*n {
			b.Fatalf("outbox after the fan-out: %+v %v", c, err)
		}
		receiver.Close()
		b.ReportMetric(last.Seconds(), "s-to-last")
		b.ReportMetric(float64(2*n)/last.Seconds(), "deliveries/s")
		b.ReportMetric(quiet.p99(), "p99-ms-quiet")
		b.ReportMetric(busy.p99(), "p99-ms-fan-out")
		b.ReportMetric(float64(quiet.count), "searches-quiet")
		b.ReportMetric(float64(busy.count), "searches-fan-out")
	}
}

// searchLatencies are the citizens' searches' times.
type searchLatencies struct {
	count int
	took  []time.Duration
}

func (l searchLatencies) p99() float64 {
	if len(l.took) == 0 {
		return 0
	}
	slices.Sort(l.took)
	return float64(l.took[len(l.took)*99/100]) / float64(time.Millisecond)
}

// searchWhile searches from 8 clients at once, one search after another, across postcodes and
// result sizes (mostly not in the cache), while more says so.
func searchWhile(base string, more func(elapsed time.Duration) bool) searchLatencies {
	postcodes := []string{"10115", "20095", "80331", "50667", "60311", "70173", "40213", "04109", "01067", "30159", "28195", "90402",
		"44135", "45127", "53111", "55116", "65183", "66111", "69117", "76133", "79098", "86150", "93047", "97070", "99084", "39104"}
	var mu sync.Mutex
	var out searchLatencies
	var stop atomic.Bool
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; !stop.Load(); i += 8 {
				url := fmt.Sprintf("%s/api/v1/pharmacies?q=%s&limit=%d", base, postcodes[i%len(postcodes)], 5+i/len(postcodes)%45)
				t := time.Now()
				res, err := http.Get(url)
				if err == nil {
					res.Body.Close()
				}
				mu.Lock()
				out.count++
				out.took = append(out.took, time.Since(t))
				mu.Unlock()
			}
		})
	}
	for more(time.Since(start)) {
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	return out
}
