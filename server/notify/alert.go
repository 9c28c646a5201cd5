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
// engines) goes down or degraded, and when it is back. They go straight to a postbox, not
// through the outbox: the store may be the part that is down. Each process probes its own
// parts and says which it is. No storm: only the monitor's confirmed states count, a part is
// alerted once until it is back, and "back" is mailed only after it has stayed so for the
// window (trouble within it cancels the "back", and the alert stands).
type Alerts struct {
	mailer   *Mailer
	postbox  *Postbox
	to       []string
	instance string
	window   time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	alerted map[string]bool        // parts whose trouble was mailed, until their recovery is
	back    map[string]*time.Timer // parts back, whose recovery is mailed when the timer fires
}

// NewAlerts returns the alerts of this process (instance names it) to the addresses to.
func NewAlerts(mailer *Mailer, postbox *Postbox, to []string, instance string, window time.Duration, log *slog.Logger, now func() time.Time) *Alerts {
	return &Alerts{mailer: mailer, postbox: postbox, to: to, instance: instance, window: window, log: log, now: now,
		alerted: map[string]bool{}, back: map[string]*time.Timer{}}
}

// OnChange hears the monitor's confirmed changes; those of external services are the
// outbox's, not the operators' mail.
func (a *Alerts) OnChange(ch monitor.Change) {
	if ch.Target.Check == nil {
		return
	}
	id := ch.Target.ID
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case ch.To == monitor.Operational && a.alerted[id] && a.back[id] == nil:
		a.back[id] = time.AfterFunc(a.window, func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.back[id] == nil { // trouble again meanwhile
				return
			}
			delete(a.back, id)
			delete(a.alerted, id)
			a.mail(ch, "wieder in Ordnung")
		})
	case ch.To == monitor.Down || ch.To == monitor.Degraded:
		if t := a.back[id]; t != nil {
			t.Stop()
			delete(a.back, id) // not back after all: the alert stands
			return
		}
		if !a.alerted[id] {
			a.alerted[id] = true
			a.mail(ch, map[monitor.State]string{monitor.Down: "ausgefallen", monitor.Degraded: "eingeschränkt"}[ch.To])
		}
	}
}

// mail posts one alert of ch.
func (a *Alerts) mail(ch monitor.Change, what string) {
	msg, err := a.mailer.alert(a.to, fmt.Sprintf("apoportal %s: %s %s", a.instance, ch.Target.Name, what), alertText(ch, a.instance), a.now())
	if err == nil {
		err = a.postbox.Post(msg)
	}
	if err != nil {
		a.log.Warn("operator alert not posted", "part", ch.Target.ID, "err", err)
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
