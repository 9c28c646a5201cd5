package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
)

// ErrPostboxFull is a confirmation that cannot be queued: too many wait already.
var ErrPostboxFull = errors.New("too many confirmation mails are waiting")

// Postbox sends the confirmation mails of e-mail subscriptions, off the request that asked
// for one: a queue of at most Capacity, one message at a time, a failure retried with
// backoff for a while. Their link's token exists only in the message (the store keeps
// its hash), so a process that dies with mails in its queue loses them: whoever asked may
// ask again (and the throttle lets them after a while).
type Postbox struct {
	mailer *Mailer
	queue  chan *mail.Msg
	retry  time.Duration
	log    *slog.Logger
}

// Capacity is how many confirmation mails may wait.
const Capacity = 1000

// NewPostbox returns a postbox over mailer, its first retry after retry.
func NewPostbox(mailer *Mailer, retry time.Duration, log *slog.Logger) *Postbox {
	return &Postbox{mailer: mailer, queue: make(chan *mail.Msg, Capacity), retry: retry, log: log}
}

// Post queues msg, or says the queue is full.
func (p *Postbox) Post(msg *mail.Msg) error {
	select {
	case p.queue <- msg:
		return nil
	default:
		return ErrPostboxFull
	}
}

// Run sends what is posted until ctx ends, as many at once as the mailer has connections.
func (p *Postbox) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.mailer.connections {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case msg := <-p.queue:
					p.send(ctx, msg)
				}
			}
		})
	}
	wg.Wait()
}

// send tries msg up to six times, the waits doubling from retry, and gives up at once on
// a refusal for good. The address is not logged.
func (p *Postbox) send(ctx context.Context, msg *mail.Msg) {
	wait := p.retry
	for try := 1; ; try++ {
		err := p.mailer.Send(ctx, []*mail.Msg{msg})[0]
		if err == nil {
			return
		}
		if errors.Is(err, ErrRefused) || try == 6 || ctx.Err() != nil {
			p.log.Warn("confirmation mail given up", "attempts", try, "refused", errors.Is(err, ErrRefused))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}
