// Package notify delivers the outbox: each delivery a confirmed state change wrote, to its
// webhook or e-mail address, at least once, with the same webhook-id or Message-ID on every
// attempt so that a receiver can tell a repeat; failures are retried with exponential backoff and jitter, and given up
// after a configurable time. The portal runs it in the process holding the duties lease;
// a process killed mid-fan-out leaves the rest pending, and the next holder goes on.
package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	neturl "net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/wneessen/go-mail"
	"golang.org/x/net/publicsuffix"
)

// Store is the outbox as the sender uses it.
type Store interface {
	DueDeliveries(ctx context.Context, q data.DueQuery) ([]data.Delivery, error)
	DeliveriesSent(ctx context.Context, ids []int64, at time.Time) error
	DeliveryFailed(ctx context.Context, id int64, problem string, retry time.Time) error
	UnsubscribeLinks(ctx context.Context, subscriptions []int64) ([]string, error)
}

// Config is how the sender works.
type Config struct {
	Timeout       time.Duration // of one webhook request (10 s)
	GiveUpAfter   time.Duration // a delivery still failing this long after it was due is given up
	FirstRetry    time.Duration // the first retry's delay; each next doubles, up to MaxRetry
	MaxRetry      time.Duration
	Window        time.Duration // at most one message per subscription within it; what falls in it is summarised
	Concurrency   int           // webhook requests at once
	PerSite       int           // of them at most to one site
	AllowInternal bool          // let webhooks reach loopback and private addresses (tests, closed networks)
	PublicURL     string
}

// DefaultConfig are the sender's defaults.
func DefaultConfig() Config {
	return Config{Timeout: 10 * time.Second, GiveUpAfter: 24 * time.Hour, FirstRetry: 30 * time.Second, MaxRetry: time.Hour,
		Window: 10 * time.Minute, Concurrency: 16, PerSite: 4}
}

// Sender works the outbox.
type Sender struct {
	store  Store
	cfg    Config
	client *http.Client
	mailer *Mailer // nil: no e-mail
	log    *slog.Logger
	now    func() time.Time
	// pausedUntil (Unix ns) stops the rounds for a while after the store refused to record
	// what became of a delivery: sending again and again what cannot be recorded would
	// hammer the receivers.
	pausedUntil atomic.Int64
}

// storeFailed pauses the rounds for FirstRetry.
func (s *Sender) storeFailed() { s.pausedUntil.Store(s.now().Add(s.cfg.FirstRetry).UnixNano()) }

func (s *Sender) paused() bool { return s.now().UnixNano() < s.pausedUntil.Load() }

// New returns a sender over store; e-mail goes through mailer, or is given up without one.
func New(store Store, cfg Config, mailer *Mailer, log *slog.Logger, now func() time.Time) *Sender {
	return &Sender{store: store, cfg: cfg, client: newClient(cfg.Timeout, cfg.AllowInternal), mailer: mailer, log: log, now: now}
}

// batch is what one message carries to one subscription: its due deliveries, oldest first
// (several when changes fell within its window, summarised in one message).
type batch []data.Delivery

func (b batch) last() data.Delivery { return b[len(b)-1] }

// batches groups due deliveries by subscription, in the order they came, each batch in the
// order of its changes (not of when they fell due: an "up" waits out its hold).
func batches(due []data.Delivery) []batch {
	var out []batch
	at := map[int64]int{}
	for _, d := range due {
		i, ok := at[d.Subscription.ID]
		if !ok {
			i, at[d.Subscription.ID] = len(out), len(out)
			out = append(out, nil)
		}
		out[i] = append(out[i], d)
	}
	for _, b := range out {
		slices.SortStableFunc(b, func(x, y data.Delivery) int { return cmp.Compare(x.Event.ID, y.Event.ID) })
	}
	return out
}

// Work sends what is due by one channel, up to roundSize deliveries, one message per
// subscription (a summary when several changes are due for it, and none within Window
// after its last): webhooks Concurrency at a time and at most PerSite at once to one site,
// e-mail over the mailer's connections. The portal runs one loop per channel, so that slow
// webhooks never hold the mail. Failures are recorded as they come, what was sent in one
// transaction at the end (a process killed before it sends those again, with the same
// webhook-id or Message-ID). Run it again and again; it reports whether the round was
// full (more may be due at once).
func (s *Sender) Work(ctx context.Context, ch data.Channel) (full bool) {
	if s.paused() {
		return false
	}
	now := s.now()
	due, err := s.store.DueDeliveries(ctx, data.DueQuery{Channel: ch, Now: now, QuietSince: now.Add(-s.cfg.Window), Limit: roundSize})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("read the outbox", "err", err)
		}
		return false
	}
	var sent []int64
	if ch == data.ChannelMail {
		sent = s.mail(ctx, batches(due))
	} else {
		sent = s.post(ctx, batches(due))
	}
	if len(sent) > 0 {
		if err := s.store.DeliveriesSent(context.WithoutCancel(ctx), sent, s.now()); err != nil {
			s.log.Warn("record deliveries sent", "deliveries", len(sent), "err", err)
			s.storeFailed()
		}
	}
	return len(due) == roundSize && !s.paused()
}

// roundSize is how many deliveries one round of Work takes on.
const roundSize = 500

// post sends webhooks, Concurrency at a time and at most PerSite at once to one site (a
// registrable domain: so that one that answers slowly, however many names it has, holds
// few of the slots), and returns the deliveries taken.
func (s *Sender) post(ctx context.Context, due []batch) []int64 {
	var (
		mu      sync.Mutex
		sent    []int64
		wg      sync.WaitGroup
		busy    = map[string]int{}
		running int
	)
	type job struct {
		b    batch
		site string
	}
	pending := make([]job, len(due))
	for i, b := range due {
		pending[i] = job{b, siteOf(b[0].Subscription.URL)}
	}
	done := make(chan string, len(due))
	for len(pending) > 0 && ctx.Err() == nil {
		waiting := pending[:0]
		for _, j := range pending {
			b, site := j.b, j.site
			if running >= max(1, s.cfg.Concurrency) || busy[site] >= max(1, s.cfg.PerSite) {
				waiting = append(waiting, j)
				continue
			}
			busy[site]++
			running++
			wg.Go(func() {
				if s.deliver(ctx, b) {
					mu.Lock()
					for _, d := range b {
						sent = append(sent, d.ID)
					}
					mu.Unlock()
				}
				done <- site
			})
		}
		if pending = waiting; len(pending) > 0 {
			select {
			case site := <-done:
				busy[site]--
				running--
			case <-ctx.Done():
			}
		}
	}
	wg.Wait()
	return sent
}

// siteOf is the site a webhook's URL is on: its registrable domain, or its address.
func siteOf(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return raw
	}
	host := strings.ToLower(u.Hostname())
	if _, err := netip.ParseAddr(host); err == nil {
		return host
	}
	if site, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return site
	}
	return host
}

// mail sends e-mail, each message with an unsubscribe link of its own (minted for the
// round in one transaction before anything is sent), and returns the deliveries the server
// took.
func (s *Sender) mail(ctx context.Context, due []batch) []int64 {
	if len(due) == 0 {
		return nil
	}
	if s.mailer == nil {
		for _, b := range due {
			s.failedAll(ctx, b, errors.New("no mail server is configured"), true)
		}
		return nil
	}
	subscriptions := make([]int64, len(due))
	for i, b := range due {
		subscriptions[i] = b[0].Subscription.ID
	}
	tokens, err := s.store.UnsubscribeLinks(ctx, subscriptions)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("unsubscribe links", "err", err)
			s.storeFailed()
		}
		return nil // due again after the pause
	}
	var msgs []*mail.Msg
	var ready []batch
	for i, b := range due {
		msg, err := s.mailer.notice(b, s.cfg.PublicURL, tokens[i], s.now())
		if err != nil {
			s.failedAll(ctx, b, err, true)
			continue
		}
		msgs, ready = append(msgs, msg), append(ready, b)
	}
	var sent []int64
	for i, err := range s.mailer.Send(ctx, msgs) {
		switch {
		case err == nil:
			for _, d := range ready[i] {
				sent = append(sent, d.ID)
			}
		case ctx.Err() == nil:
			s.failedAll(ctx, ready[i], err, errors.Is(err, ErrRefused))
		}
	}
	return sent
}

// deliver posts one batch to its webhook, records a failure, and reports whether it was
// taken. Its webhook-id is its newest delivery's: the same on every attempt of the same
// batch; each change in it carries its event's id as well, for a receiver to tell a change
// it has seen in an earlier batch.
func (s *Sender) deliver(ctx context.Context, b batch) bool {
	d := b.last()
	id := fmt.Sprintf("msg_%d", d.ID)
	body, err := json.Marshal(message(b, s.cfg.PublicURL))
	if err == nil {
		err = post(ctx, s.client, d.Subscription.URL, d.Subscription.Secret, id, s.now(), body)
	}
	if err == nil {
		return true
	}
	if ctx.Err() != nil {
		return false // stopped: it stays due, and is sent by whoever works next
	}
	s.failedAll(ctx, b, err, errors.Is(err, ErrForbiddenAddress))
	return false
}

// failedAll records a failed attempt of a batch: due again together after one backoff (so
// that it goes again as the same message), or given up, each delivery when it has failed
// too long, all when forGood. A mail server's answer may quote the address: it is never
// logged nor kept.
func (s *Sender) failedAll(ctx context.Context, b batch, err error, forGood bool) {
	problem := err.Error()
	if email := b[0].Subscription.Email; email != "" { // in any case: a server may write it as it likes
		problem = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(email)).ReplaceAllLiteralString(problem, "<Adresse>")
	}
	retry := s.retryAt(b.last())
	for _, d := range b {
		at := retry
		if forGood || at.Sub(d.Event.NotBefore) > s.cfg.GiveUpAfter {
			at = time.Time{}
			s.log.Warn("notification given up", "delivery", d.ID, "subscription", d.Subscription.ID, "attempts", d.Attempts+1, "err", problem)
		}
		if err := s.store.DeliveryFailed(ctx, d.ID, problem, at); err != nil {
			s.log.Warn("record a failed delivery", "delivery", d.ID, "err", err)
			s.storeFailed()
		}
	}
}

// retryAt is when a failed delivery is tried again: FirstRetry doubled per attempt up to
// MaxRetry, each ±25 % at random so that many receivers back do not come back at once.
func (s *Sender) retryAt(d data.Delivery) time.Time {
	delay := s.cfg.FirstRetry
	for range min(d.Attempts, 30) {
		if delay *= 2; delay >= s.cfg.MaxRetry {
			delay = s.cfg.MaxRetry
			break
		}
	}
	return s.now().Add(time.Duration(float64(delay) * (0.75 + rand.Float64()/2)))
}

// stateNames are the status API's names of the states a topic reports.
var stateNames = map[data.Topic]string{data.TopicDown: "down", data.TopicDegraded: "degraded", data.TopicUp: "operational",
	data.TopicMaintenance: "maintenance_scheduled"}

// stateName is what an event reports, as the status API names it.
func stateName(e data.Event) string {
	if e.Cancelled {
		return "maintenance_cancelled"
	}
	return stateNames[e.Topic]
}

// message is a batch's body, as Standard Webhooks shapes it: the type, when, and the
// national service's state as the status API gives it, from its newest change; "changes"
// lists every change it carries, oldest first.
func message(b batch, publicURL string) any {
	d := b.last()
	changes := make([]map[string]any, len(b))
	for i, c := range b {
		changes[i] = map[string]any{"id": fmt.Sprintf("evt_%d", c.Event.ID), "state": stateName(c.Event),
			"since": c.Event.At.UTC().Format(time.RFC3339), "message": c.Event.Message}
	}
	body := map[string]any{
		"target": d.Event.Target, "state": stateName(d.Event), "since": d.Event.At.UTC().Format(time.RFC3339),
		"message": d.Event.Message, "status_url": publicURL + "/status", "changes": changes,
	}
	at, typ := d.Event.At, "national_service."+string(d.Event.Topic)
	if d.Event.Topic == data.TopicMaintenance { // since is its start; it happened when announced
		body["ends_at"], at = d.Event.EndsAt.UTC().Format(time.RFC3339), d.Event.NotBefore
		if d.Event.Cancelled {
			typ += "_cancelled"
		}
	}
	return map[string]any{"type": typ, "timestamp": at.UTC().Format(time.RFC3339), "data": body}
}
