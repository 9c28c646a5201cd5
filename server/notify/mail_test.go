package notify

import (
	"context"
	"crypto/tls"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify/mailsink"
)

// mailFixture is a sender with a mailer to a sink.
func mailFixture(t *testing.T, sink *mailsink.Sink, rawURL string, cfg Config) fixture {
	t.Helper()
	f := newFixture(t, cfg)
	var roots *tls.Config
	if sink.Roots != nil {
		roots = &tls.Config{RootCAs: sink.Roots, MinVersion: tls.VersionTLS12}
	}
	m, err := NewMailer(MailConfig{URL: rawURL, From: "meldungen@apoportal.example", Connections: 2, PerSecond: 1000, Timeout: 2 * time.Second, TLS: roots})
	if err != nil {
		t.Fatal(err)
	}
	f.sender.mailer = m
	return f
}

// confirmed subscribes addr and confirms it.
func (f fixture) confirmed(t *testing.T, addr string) {
	t.Helper()
	token, err := f.db.SubscribeMail(context.Background(), data.Subscription{Email: addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ConfirmSubscription(context.Background(), token); err != nil {
		t.Fatal(err)
	}
}

// Mail goes over STARTTLS with a password, in German text and HTML, with the headers a
// mailbox needs (Date, Message-ID, Auto-Submitted, List-Id, RFC 8058's one-click
// unsubscribe) and a working unsubscribe link of its own.
func TestMailer_StartTLSAuthHeadersAndUnsubscribe(t *testing.T) {
	sink := mailsink.Start(t, mailsink.Options{TLS: true, Username: "portal", Password: "geheim: sehr"})
	f := mailFixture(t, sink, "smtp://"+url.UserPassword("portal", "geheim: sehr").String()+"@"+sink.Addr, testConfig())
	f.sender.cfg.PublicURL = "https://apoportal.example"
	f.confirmed(t, "anna@example.org")
	f.goDown(t)
	if c := f.work(t, 5*time.Second); c != (data.DeliveryCounts{Sent: 1}) {
		ds, _ := f.db.DueDeliveries(context.Background(), data.DueQuery{Now: time.Now().Add(time.Hour), QuietSince: time.Now(), Limit: 1})
		t.Fatalf("outbox: %+v %+v", c, ds)
	}
	got := sink.To("anna@example.org")
	if len(got) != 1 {
		t.Fatalf("received %d messages", len(got))
	}
	m := got[0]
	for name, want := range map[string]string{
		"From": "<meldungen@apoportal.example>", "Auto-Submitted": "auto-generated",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "List-Id": "<ausstellungsserver.apoportal.example>",
		"Message-Id": "@apoportal.example>", "List-Unsubscribe": "<https://apoportal.example/status/abmelden?t=unsub_",
	} {
		if v := m.Header.Get(name); !strings.Contains(v, want) {
			t.Errorf("%s: %q, want it to contain %q", name, v, want)
		}
	}
	if m.Subject != "Der Ausstellungsserver ist gestört" {
		t.Errorf("Subject: %q", m.Subject)
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if !strings.Contains(m.Text, "ist seit ") || !strings.Contains(m.HTML, "<h1") ||
		!strings.Contains(m.Text, "HTTP 503") || !strings.Contains(m.Text, "https://apoportal.example/status\n") {
		t.Errorf("bodies:\n%s\n%s", m.Text, m.HTML)
	}
	link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if !strings.Contains(m.Text, link) {
		t.Errorf("the text lacks the unsubscribe link %s", link)
	}
	u, _ := url.Parse(link)
	if err := f.db.Unsubscribe(context.Background(), u.Query().Get("t")); err != nil {
		t.Fatalf("the message's link: %v", err)
	}
	f.goDown(t) // (not news, and nobody left)
	if err := f.db.RecordStateChange(context.Background(), data.StateChange{Target: "national", To: data.TopicUp, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.work(t, time.Second)
	if n := len(sink.To("anna@example.org")); n != 1 {
		t.Errorf("%d messages after unsubscribing", n)
	}
}

// A server that answers 451 gets the message again after a backoff, with the same
// Message-ID, until it takes it; a 550 is given up at once; no address is in what is kept.
func TestMailer_TempFailureRetriedRefusalGivenUp(t *testing.T) {
	sink := mailsink.Start(t, mailsink.Options{})
	f := mailFixture(t, sink, "smtp+plain://"+sink.Addr, testConfig())
	f.confirmed(t, "anna@example.org")
	f.confirmed(t, "gone@example.org")
	sink.Refuse("gone@example.org") // its answer quotes the address, as GONE@EXAMPLE.ORG
	sink.TempFail(3)
	f.goDown(t)
	start := time.Now()
	if c := f.work(t, 10*time.Second); c != (data.DeliveryCounts{Sent: 1, GivenUp: 1}) {
		t.Fatalf("outbox: %+v", c)
	}
	got := sink.To("anna@example.org")
	if len(got) != 1 {
		t.Fatalf("anna received %d", len(got))
	}
	t.Logf("taken after 3 × 451 in %s", time.Since(start).Round(10*time.Millisecond))
	given, err := f.db.GivenUpDeliveries(context.Background(), 10)
	if err != nil || len(given) != 1 || given[0].Attempts != 1 || strings.Contains(strings.ToLower(given[0].Problem), "gone@") || !strings.Contains(given[0].Problem, "550") {
		t.Errorf("given up: %+v %v", given, err)
	}
}

// The mail server's URL says how to reach it; what cannot work is refused at start.
func TestNewMailer_RefusesWhatCannotWork(t *testing.T) {
	for _, bad := range []MailConfig{
		{URL: "http://mail.example.org", From: "a@example.org"},
		{URL: "smtp+plain://user:pw@mail.example.org", From: "a@example.org"},
		{URL: "smtp://mail.example.org:99999", From: "a@example.org"},
		{URL: "smtp://mail.example.org", From: ""},
		{URL: "smtp://mail.example.org", From: "kein Absender"},
		{URL: "smtp://", From: "a@example.org"},
	} {
		if _, err := NewMailer(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Within the window after a message, a subscriber gets nothing; what changed meanwhile goes
// out after it in one message that lists every change, by webhook and by mail alike.
func TestSender_OneMessagePerWindowSummarised(t *testing.T) {
	sink := mailsink.Start(t, mailsink.Options{})
	cfg := testConfig()
	cfg.Window = 700 * time.Millisecond
	f := mailFixture(t, sink, "smtp+plain://"+sink.Addr, cfg)
	f.confirmed(t, "anna@example.org")
	hook := newReceiver(t, nil)
	f.subscribe(t, hook, hook.srv.URL)
	f.goDown(t)
	if c := f.work(t, 5*time.Second); c.Sent != 2 {
		t.Fatalf("outbox after down: %+v", c)
	}
	sent := time.Now()
	for _, to := range []data.Topic{data.TopicDegraded, data.TopicUp} {
		if err := f.db.RecordStateChange(context.Background(), data.StateChange{Target: "national", To: to, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for time.Since(sent) < 400*time.Millisecond {
		f.sender.Work(context.Background(), data.ChannelWebhook)
		f.sender.Work(context.Background(), data.ChannelMail)
		time.Sleep(20 * time.Millisecond)
	}
	if len(hook.received()) != 1 || len(sink.To("anna@example.org")) != 1 {
		t.Fatalf("within the window: %d webhooks, %d mails", len(hook.received()), len(sink.To("anna@example.org")))
	}
	if c := f.work(t, 5*time.Second); c != (data.DeliveryCounts{Sent: 6}) {
		t.Fatalf("outbox after the window: %+v", c)
	}
	got := hook.received()
	if len(got) != 2 || got[1].typ != "national_service.up" || got[1].changes != 2 || !got[1].valid || got[1].id == got[0].id {
		t.Errorf("webhooks: %+v", got)
	}
	mails := sink.To("anna@example.org")
	if len(mails) != 2 || mails[1].Subject != "Der Ausstellungsserver ist wieder erreichbar" ||
		!strings.Contains(mails[1].Text, "Seit der letzten Nachricht:") || strings.Count(mails[1].Text, "\n- ") != 2 {
		t.Errorf("mails: %d\n%s", len(mails), mails[len(mails)-1].Text)
	}
}

// An announced maintenance reaches its subscribers with its times and text, by webhook and
// by mail.
func TestSender_MaintenanceAnnouncedAndCancelled(t *testing.T) {
	sink := mailsink.Start(t, mailsink.Options{})
	cfg := testConfig()
	cfg.Window = 0
	f := mailFixture(t, sink, "smtp+plain://"+sink.Addr, cfg)
	f.confirmed(t, "anna@example.org")
	hook := newReceiver(t, nil)
	f.subscribe(t, hook, hook.srv.URL)
	start := time.Date(2031, 6, 14, 18, 0, 0, 0, time.UTC)
	id, err := f.db.ScheduleMaintenance(context.Background(), data.Maintenance{Target: "national", Title: "Update des Ausstellungsservers",
		StartsAt: start, EndsAt: start.Add(2 * time.Hour)}, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.work(t, 5*time.Second); c != (data.DeliveryCounts{Sent: 2}) {
		t.Fatalf("outbox: %+v", c)
	}
	if got := hook.received(); len(got) != 1 || got[0].typ != "national_service.maintenance" || !got[0].valid {
		t.Errorf("webhook: %+v", got)
	}
	m := sink.To("anna@example.org")
	if len(m) != 1 || m[0].Subject != "Angekündigte Wartung des Ausstellungsservers" ||
		!strings.Contains(m[0].Text, "von 14.06.2031, 20:00 Uhr bis 14.06.2031, 22:00 Uhr gewartet.") || !strings.Contains(m[0].Text, "Update des Ausstellungsservers") {
		t.Errorf("mail: %d\n%s", len(m), m[0].Text)
	}
	if err := f.db.CancelMaintenance(context.Background(), id, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	if c := f.work(t, 5*time.Second); c != (data.DeliveryCounts{Sent: 4}) {
		t.Fatalf("outbox after the cancellation: %+v", c)
	}
	if got := hook.received(); len(got) != 2 || got[1].typ != "national_service.maintenance_cancelled" || got[1].state != "maintenance_cancelled" {
		t.Errorf("webhooks: %+v", got)
	}
	if m := sink.To("anna@example.org"); len(m) != 2 || m[1].Subject != "Angekündigte Wartung abgesagt" || !strings.Contains(m[1].Text, "ist abgesagt") {
		t.Errorf("mails: %d", len(m))
	}
}

// The postbox tries a mail the server answers 451 again after a backoff, without holding
// a worker meanwhile: a mail posted after it goes out at once.
func TestPostbox_RetriesWithoutWaiting(t *testing.T) {
	sink := mailsink.Start(t, mailsink.Options{})
	m, err := NewMailer(MailConfig{URL: "smtp+plain://" + sink.Addr, From: "meldungen@apoportal.example", Connections: 1, PerSecond: 100})
	if err != nil {
		t.Fatal(err)
	}
	box := NewPostbox(m, 1, 2*time.Second, discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go box.Run(ctx)
	sink.TempFail(1)
	for _, to := range []string{"first@example.org", "second@example.org"} {
		msg, err := m.Confirmation(to, "de", "https://apoportal.example", data.NewConfirmToken(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := box.Post(msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := sink.WaitFor("first@example.org", 1, 10*time.Second); len(got) != 1 {
		t.Fatal("the first mail was not tried again")
	}
	if got := sink.Messages(); len(got) != 2 || got[0].To[0] != "second@example.org" {
		t.Fatalf("received %d, the first to %v: the second waited for the first's retry", len(got), got[0].To)
	}
}
