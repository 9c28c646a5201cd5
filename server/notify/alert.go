package notify

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/apoportal/apoportal/server/monitor"
)

// Alerts mails the operators when one of the portal's own parts (the store, the search
// engines) goes down or degraded, and when it is back. They go straight to the postbox,
// not through the outbox: the store may be the part that is down. Each process probes its
// own parts and says which it is. No storm: only the monitor's confirmed states count, a
// part is alerted once until it is back, and not again within the window after its
// recovery was sent.
type Alerts struct {
	mailer   *Mailer
	postbox  *Postbox
	to       []string
	instance string
	window   time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	alerted map[string]bool      // parts whose trouble was mailed, until their recovery is
	quiet   map[string]time.Time // parts whose recovery was mailed: no new alert before
}

// NewAlerts returns the alerts of this process (instance names it) to the addresses to.
func NewAlerts(mailer *Mailer, postbox *Postbox, to []string, instance string, window time.Duration, log *slog.Logger, now func() time.Time) *Alerts {
	return &Alerts{mailer: mailer, postbox: postbox, to: to, instance: instance, window: window, log: log, now: now,
		alerted: map[string]bool{}, quiet: map[string]time.Time{}}
}

// OnChange hears the monitor's confirmed changes; those of external services are the
// outbox's, not the operators' mail.
func (a *Alerts) OnChange(ch monitor.Change) {
	if ch.Target.Check == nil {
		return
	}
	id := ch.Target.ID
	a.mu.Lock()
	var subject string
	switch {
	case ch.To == monitor.Operational && a.alerted[id]:
		delete(a.alerted, id)
		a.quiet[id] = a.now().Add(a.window)
		subject = "wieder in Ordnung"
	case (ch.To == monitor.Down || ch.To == monitor.Degraded) && !a.alerted[id] && !a.now().Before(a.quiet[id]):
		a.alerted[id] = true
		subject = map[monitor.State]string{monitor.Down: "ausgefallen", monitor.Degraded: "eingeschränkt"}[ch.To]
	}
	a.mu.Unlock()
	if subject == "" {
		return
	}
	msg, err := a.mailer.alert(a.to, fmt.Sprintf("apoportal %s: %s %s", a.instance, ch.Target.Name, subject), alertText(ch, a.instance), a.now())
	if err == nil {
		err = a.postbox.Post(msg)
	}
	if err != nil {
		a.log.Warn("operator alert not posted", "part", id, "err", err)
	}
}

func alertText(ch monitor.Change, instance string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Portalprozess: %s\nTeil: %s (%s)\nZustand: %s, seit %s\n", instance, ch.Target.Name, ch.Target.ID, ch.To, berlinTime(ch.At))
	if ch.Message != "" {
		fmt.Fprintf(&b, "Befund: %s\n", ch.Message)
	}
	b.WriteString("\nDiese Nachricht geht an die mit --alert-mail eingetragenen Adressen des Betriebs; abbestellen heißt, die Einstellung zu ändern.\n")
	return b.String()
}
