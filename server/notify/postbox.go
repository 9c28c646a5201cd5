package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wneessen/go-mail"
)

// ErrPostboxFull is a confirmation that cannot be queued: too many wait already.
var ErrPostboxFull = errors.New("too many confirmation mails are waiting")

// Postbox sends mails off the request or the probe that asked for them (confirmations,
// operators' alerts): a queue of at most Capacity, a few sent at once (each over a connection of
// its own), a failure queued again after a backoff (no worker waits for it) and given
// up after six tries or at once on a refusal for good. A confirmation's token exists only in
// its message (the store keeps its hash), so a process that dies with mails in its queue
// loses them: whoever asked may ask again (and the throttle lets them after a while).
type Postbox struct {
	mailer  *Mailer
	workers int // mails sent at once, each over a connection of its own
	queue   chan posted
	retry   time.Duration
	log     *slog.Logger
	stopped atomic.Bool // Run has returned: a retry due later is dropped, and said so
}

type posted struct {
	msg *mail.Msg
	try int
}

// Capacity is how many mails may wait.
const Capacity = 1000

// NewPostbox returns a postbox over mailer sending workers mails at once, its first retry
// after retry.
func NewPostbox(mailer *Mailer, workers int, retry time.Duration, log *slog.Logger) *Postbox {
	return &Postbox{mailer: mailer, workers: max(1, workers), queue: make(chan posted, Capacity), retry: retry, log: log}
}

// Full reports whether the queue is full (ask before doing what the mail is for).
func (p *Postbox) Full() bool { return len(p.queue) == cap(p.queue) }

// Post queues msg, or says the queue is full.
func (p *Postbox) Post(msg *mail.Msg) error {
	return p.post(posted{msg: msg, try: 1})
}

func (p *Postbox) post(m posted) error {
	select {
	case p.queue <- m:
		return nil
	default:
		return ErrPostboxFull
	}
}

// Run sends what is posted until ctx ends.
func (p *Postbox) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-p.queue:
					p.send(ctx, m)
				}
			}
		})
	}
	wg.Wait()
	p.stopped.Store(true)
}

// Drain waits up to within for the queue to empty (at shutdown, before Run's end).
func (p *Postbox) Drain(within time.Duration) {
	for deadline := time.Now().Add(within); len(p.queue) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(p.queue); n > 0 {
		p.log.Warn("mails not sent at shutdown", "mails", n)
	}
}

// send tries m once; a failure worth another try is queued again after retry doubled per
// try. The address is not logged.
func (p *Postbox) send(ctx context.Context, m posted) {
	err := p.mailer.Send(ctx, []*mail.Msg{m.msg})[0]
	if err == nil || ctx.Err() != nil {
		return
	}
	if errors.Is(err, ErrRefused) || m.try == 6 {
		p.log.Warn("mail given up", "attempts", m.try, "refused", errors.Is(err, ErrRefused))
		return
	}
	time.AfterFunc(p.retry<<(m.try-1), func() {
		switch {
		case p.stopped.Load():
			p.log.Warn("mail given up: the portal stopped before its retry", "attempts", m.try)
		case p.post(posted{msg: m.msg, try: m.try + 1}) != nil:
			p.log.Warn("mail given up: the queue is full", "attempts", m.try)
		}
	})
}
