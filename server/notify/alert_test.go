package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/server/notify/mailsink"
)

// The operators hear of one of the portal's own parts failing once, and once of its
// recovery after it has stayed back for the window (a flap within it sends nothing); a new
// outage after that is alerted again; external services are not theirs.
func TestAlerts_OperatorsHearOfTheirPartsOnce(t *testing.T) {
	sink := mailsink.Start(t, mailsink.Options{})
	m, err := NewMailer(MailConfig{URL: "smtp+plain://" + sink.Addr, From: "portal@apoportal.example", Connections: 1, PerSecond: 100})
	if err != nil {
		t.Fatal(err)
	}
	postbox := NewPostbox(m, 1, 20*time.Millisecond, discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go postbox.Run(ctx)
	alerts := NewAlerts(m, postbox, []string{"ops@example.org", "bereitschaft@example.org"}, "portal-2", 300*time.Millisecond, discard(), time.Now)
	store := monitor.Target{ID: "store", Name: "Datenbank", Check: func(context.Context) error { return nil }}
	national := monitor.Target{ID: "national", Name: "Zentraler Ausstellungsserver"}
	for _, ch := range []monitor.Change{
		{Target: national, To: monitor.Down, At: time.Now()},
		{Target: store, To: monitor.Down, At: time.Now(), Message: "database does not answer"},
		{Target: store, To: monitor.Degraded, At: time.Now()}, // still in trouble: no second alert
		{Target: store, To: monitor.Operational, At: time.Now()},
		{Target: store, To: monitor.Down, At: time.Now()}, // a flap within the window: not back
		{Target: store, To: monitor.Operational, At: time.Now()},
	} {
		alerts.OnChange(ch)
	}
	sink.WaitFor("bereitschaft@example.org", 2, 5*time.Second)
	alerts.OnChange(monitor.Change{Target: store, To: monitor.Down, At: time.Now()}) // a new outage
	sink.WaitFor("bereitschaft@example.org", 3, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	got := sink.To("ops@example.org")
	if len(got) != 3 {
		t.Fatalf("%d alerts, want 3", len(got))
	}
	if got[0].Subject != "apoportal portal-2: Datenbank ausgefallen" || !strings.Contains(got[0].Text, "database does not answer") ||
		got[1].Subject != "apoportal portal-2: Datenbank wieder in Ordnung" || got[2].Subject != got[0].Subject {
		t.Errorf("alerts: %q, %q, %q\n%s", got[0].Subject, got[1].Subject, got[2].Subject, got[0].Text)
	}
}
