package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify/mailsink"
)

var confirmLink = regexp.MustCompile(`https?://\S+/status/bestaetigen\?t=\S+`)

// mailApp is the portal probing a fake national service, with a mail server (a sink).
func mailApp(t *testing.T, options ...func(*Config)) (*App, string, *fakeNational, *mailsink.Sink, *lockedBuilder) {
	t.Helper()
	national := newFakeNational(t)
	sink := mailsink.Start(t, mailsink.Options{})
	cfg := DefaultConfig()
	cfg.DB, cfg.NationalURL, cfg.ProbeInterval = sharedDBCopy(t), national.srv.URL, 50*time.Millisecond
	cfg.NotifyHoldUp, cfg.NotifyRetry, cfg.NotifyWindow = 300*time.Millisecond, 50*time.Millisecond, 0
	cfg.SMTPURL, cfg.MailFrom = "smtp+plain://"+sink.Addr, "meldungen@apoportal.example"
	cfg.PublicURL = "https://apoportal.example"
	for _, o := range options {
		o(&cfg)
	}
	app, logs := openTestApp(t, cfg, nil)
	return app, serveApp(t, app), national, sink, logs
}

// pathOf is a link's path and query, to follow it on the test's server.
func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// A citizen subscribes on /status, hears nothing before confirming with the mail's link,
// then exactly one message per change of the ones asked for, and nothing after the mail's
// one-click unsubscribe; the address is in no log.
func TestMailSubscriptions_OptInOneMessagePerChangeOneClickOut(t *testing.T) {
	_, base, national, sink, logs := mailApp(t)
	b := newBrowserless(t, base)
	if _, d := b.get("/status"); d.Find("[data-testid=subscribe-form] input[name=email]").Length() != 1 {
		t.Fatal("no subscription form on /status")
	}
	const anna = "anna@example.org"
	res, _ := postForm(t, b, "/status/abonnieren", url.Values{"email": {anna}, "topic": {"down", "up"}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/status/abonniert" {
		t.Fatalf("subscribe: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	got := sink.WaitFor(anna, 1, 5*time.Second)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "bestätigen") {
		t.Fatalf("confirmation: %d messages", len(got))
	}
	link := confirmLink.FindString(got[0].Text)
	if link == "" {
		t.Fatalf("no confirmation link in\n%s", got[0].Text)
	}
	// Down before the confirmation: she hears nothing of it.
	waitState(t, base, "operational")
	national.setDown(true)
	waitState(t, base, "down")
	time.Sleep(300 * time.Millisecond)
	if n := len(sink.To(anna)); n != 1 {
		t.Fatalf("%d messages before confirming", n)
	}
	// Opening the link shows a button; only pressing it confirms.
	if _, d := b.get(pathOf(t, link)); d.Find("[data-testid=confirm-form] button").Length() != 1 {
		t.Fatal("no confirm button")
	}
	token, _ := url.Parse(link)
	if res, d := postForm(t, b, "/status/bestaetigen", url.Values{"t": {token.Query().Get("t")}}, nil); res.StatusCode != http.StatusOK ||
		d.Find("[data-testid=confirmed]").Length() != 1 {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	// Asked again once confirmed: the same answer, and no second confirmation mail.
	if res, _ := postForm(t, b, "/status/abonnieren", url.Values{"email": {anna}, "topic": {"up"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("asked again: %d", res.StatusCode)
	}
	national.setDown(false) // back: "up" after the hold
	waitState(t, base, "operational")
	msgs := sink.WaitFor(anna, 2, 10*time.Second)
	if len(msgs) != 2 || msgs[1].Subject != "Der Ausstellungsserver ist wieder erreichbar" {
		t.Fatalf("after recovery: %d messages", len(msgs))
	}
	national.setDown(true)
	waitState(t, base, "down")
	msgs = sink.WaitFor(anna, 3, 10*time.Second)
	if len(msgs) != 3 || msgs[2].Subject != "Der Ausstellungsserver ist gestört" {
		t.Fatalf("after going down again: %d messages", len(msgs))
	}
	// The mail program's one-click unsubscribe: a POST without cookie or origin.
	unsubscribe := strings.Trim(msgs[2].Header.Get("List-Unsubscribe"), "<>")
	req, _ := http.NewRequest(http.MethodPost, base+pathOf(t, unsubscribe), strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %v %v", res, err)
	}
	national.setDown(false)
	waitState(t, base, "operational")
	time.Sleep(time.Second) // past the hold: an "up" would be sent by now
	if n := len(sink.To(anna)); n != 3 {
		t.Errorf("%d messages, want 3 (none after unsubscribing)", n)
	}
	if strings.Contains(logs.String(), anna) {
		t.Error("the address is in the log")
	}
}

// A bad address or no topic is refused naming the field, and sends nothing; a post from
// another site is refused; one address gets only a couple of confirmations in a row; the
// links' pages say when a token is none.
func TestMailSubscriptions_BadInputAndAbuse(t *testing.T) {
	_, base, _, sink, _ := mailApp(t)
	b := newBrowserless(t, base)
	for _, form := range []url.Values{
		{"email": {"kein-at-zeichen"}, "topic": {"down"}},
		{"email": {"a@example.org\r\nBcc: b@example.org"}, "topic": {"down"}},
		{"email": {"a@example.org"}},
		{"email": {"a@example.org"}, "topic": {"rain"}},
	} {
		res, d := postForm(t, b, "/status/abonnieren", form, nil)
		invalid := d.Find("[aria-invalid=true]")
		if res.StatusCode != http.StatusBadRequest || invalid.Length() != 1 || d.Find("[data-testid=error]").Length() != 1 {
			t.Errorf("%v: %d, %d fields marked", form, res.StatusCode, invalid.Length())
		}
	}
	if res, _ := postForm(t, b, "/status/abonnieren", url.Values{"email": {"c@example.org"}, "topic": {"down"}},
		map[string]string{"Origin": "http://evil.example"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("from another site: %d", res.StatusCode)
	}
	codes := []int{}
	for _, victim := range []string{"victim@example.org", "victim+1@example.org", "Victim+2@example.org", "victim+3@example.org"} { // one mailbox
		res, _ := postForm(t, b, "/status/abonnieren", url.Values{"email": {victim}, "topic": {"down"}}, nil)
		codes = append(codes, res.StatusCode)
	}
	if codes[0] != http.StatusSeeOther || codes[3] != http.StatusTooManyRequests {
		t.Errorf("four requests for one address: %v", codes)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(sink.Messages()); n > 3 {
		t.Errorf("%d confirmations to the victim's mailbox", n)
	}
	for path, want := range map[string]int{
		"/status/bestaetigen?t=confirm_nothing": http.StatusNotFound, "/status/abmelden?t=unsub_nothing": http.StatusNotFound,
	} {
		form := url.Values{"t": {strings.SplitN(path, "=", 2)[1]}}
		res, d := postForm(t, b, strings.SplitN(path, "?", 2)[0], form, nil)
		if res.StatusCode != want || d.Find("[data-testid=link-invalid]").Length() != 1 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
}

// Without a mail server, e-mail subscriptions are not offered.
func TestMailSubscriptions_NotOfferedWithoutMailServer(t *testing.T) {
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	b := newBrowserless(t, base)
	if _, d := b.get("/status"); d.Find("[data-testid=subscribe-form]").Length() != 0 {
		t.Error("a form without a mail server")
	}
	if res, _ := postForm(t, b, "/status/abonnieren", url.Values{"email": {"a@example.org"}, "topic": {"down"}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("subscribe without a mail server: %d", res.StatusCode)
	}
}

// A pharmacy sets up, in its dashboard, a webhook (its secret shown once) and an e-mail
// address (heard only once confirmed by the mail's link); both hear of the outage; another
// pharmacy can neither see nor delete them; deleting one ends it.
func TestKonto_PharmacySubscribesWebhookAndMail(t *testing.T) {
	app, base, national, sink, _ := mailApp(t, func(c *Config) { c.CookieSecure, c.WebhookAllowInternal = false, true })
	hook := newHookReceiver(t)
	actor := data.Actor{Name: "test", Source: "test"}
	for login, pharmacy := range map[string]string{"neue@example.org": pharmacyA, "andere@example.org": pharmacyB} {
		_, code, err := app.store.CreateAccount(context.Background(), data.RolePharmacy, login, pharmacy, actor)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := app.store.ActivateAccount(context.Background(), code, goodPassword, actor); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowserless(t, base)
	b.login("neue@example.org", goodPassword)
	_, d := b.get("/konto")
	if v, _ := d.Find("#notify-email").Attr("value"); v != "neue@example.org" {
		t.Errorf("the mail form's address: %q, want the login", v)
	}
	res, d := b.submit("/konto", "/konto/benachrichtigung/webhook", url.Values{"url": {hook.srv.URL + "/hook"}, "topic": {"down", "up"}}, true)
	secret := d.Find("[data-testid=webhook-secret]").Text()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("webhook: %d %q", res.StatusCode, secret)
	}
	hook.mu.Lock()
	hook.secret = secret
	hook.mu.Unlock()
	if _, d := b.get("/konto"); strings.Contains(d.Text(), secret) {
		t.Error("the secret shown again")
	}
	if res, d := b.submit("/konto", "/konto/benachrichtigung/webhook", url.Values{"url": {"ftp://x"}, "topic": {"down"}}, true); res.StatusCode != http.StatusBadRequest ||
		d.Find("#notify-url[aria-invalid=true]").Length() != 1 || d.Find("[data-testid=account-webhook-form] input[name=topic][checked]").Length() != 1 {
		t.Errorf("a bad URL: %d (the form keeps what was ticked)", res.StatusCode)
	}
	if res, d := b.submit("/konto", "/konto/benachrichtigung/webhook", url.Values{"url": {hook.srv.URL}}, true); res.StatusCode != http.StatusBadRequest ||
		d.Find("[data-testid=account-webhook-form] fieldset[aria-invalid=true]").Length() != 1 {
		t.Errorf("nothing ticked: %d", res.StatusCode)
	}
	if res, _ := b.submit("/konto", "/konto/benachrichtigung/email", url.Values{"email": {"team@apotheke.example"}, "topic": {"down"}}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("mail: %d", res.StatusCode)
	}
	got := sink.WaitFor("team@apotheke.example", 1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d confirmation mails", len(got))
	}
	_, d = b.get("/konto")
	if items := d.Find("[data-testid=subscriptions] li"); items.Length() != 2 || !strings.Contains(items.Eq(1).Text(), "wartet auf Bestätigung") {
		t.Fatalf("listed: %q", items.Text())
	}
	token, _ := url.Parse(confirmLink.FindString(got[0].Text))
	if res, _ := postForm(t, b, "/status/bestaetigen", url.Values{"t": {token.Query().Get("t")}}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	// Another pharmacy sees none of it and cannot delete it.
	other := newBrowserless(t, base)
	other.login("andere@example.org", goodPassword)
	if _, d := other.get("/konto"); d.Find("[data-testid=subscriptions] li").Length() != 0 {
		t.Error("another pharmacy sees them")
	}
	subs, _ := app.store.AccountSubscriptions(context.Background(), accountOfPharmacy(t, app, pharmacyA))
	if len(subs) != 2 {
		t.Fatalf("%d subscriptions", len(subs))
	}
	path := "/konto/benachrichtigung/" + strconv.FormatInt(subs[0].ID, 10) + "/loeschen"
	if res, _ := other.submit("/konto", path, url.Values{}, true); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted by another pharmacy: %d", res.StatusCode)
	}
	waitState(t, base, "operational")
	national.setDown(true)
	waitState(t, base, "down")
	if got := sink.WaitFor("team@apotheke.example", 2, 10*time.Second); len(got) != 2 {
		t.Errorf("%d mails after the outage", len(got))
	}
	for start := time.Now(); len(hook.got()) == 0 && time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
	}
	if got := hook.got(); len(got) != 1 || got[0] != "national_service.down" {
		t.Errorf("webhook received %v", got)
	}
	if res, d := b.submit("/konto", path, url.Values{}, true); res.StatusCode != http.StatusOK || d.Find("[data-testid=subscriptions] li").Length() != 1 {
		t.Errorf("delete: %d", res.StatusCode)
	}
}

func accountOfPharmacy(t *testing.T, app *App, pharmacy string) int64 {
	t.Helper()
	accs, err := app.store.AccountsOfPharmacy(context.Background(), pharmacy)
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts of %s: %v %v", pharmacy, accs, err)
	}
	return accs[0].ID
}

// What cannot work or would leak is refused at start: a password in the mail server's URL
// (flags show in ps), mail without a public URL for its links, alerts without a mail
// server, an alert address that is none.
func TestConfig_MailOptionsChecked(t *testing.T) {
	for name, c := range map[string]func(*Config){
		"password in the URL": func(c *Config) { c.SMTPURL = "smtp://portal:geheim@mail.example.org" },
		"no public URL":       func(c *Config) { c.PublicURL = "" },
		"no sender":           func(c *Config) { c.MailFrom = "" },
		"a bad scheme":        func(c *Config) { c.SMTPURL = "http://mail.example.org" },
		"alerts, no mail":     func(c *Config) { c.SMTPURL, c.AlertMail = "", "ops@example.org" },
		"a bad alert address": func(c *Config) { c.AlertMail = "ops@example.org, betrieb" },
	} {
		cfg := DefaultConfig()
		cfg.SMTPURL, cfg.MailFrom, cfg.PublicURL = "smtp://portal@mail.example.org", "meldungen@apoportal.example", "https://apoportal.example"
		c(&cfg)
		var ue usageError
		if err := cfg.Validate(); !errors.As(err, &ue) || strings.Contains(err.Error(), "geheim") {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg := DefaultConfig()
	cfg.SMTPURL, cfg.MailFrom, cfg.PublicURL, cfg.SMTPPassword = "smtp://portal@mail.example.org", "meldungen@apoportal.example", "https://apoportal.example", "geheim"
	cfg.AlertMail = "ops@example.org, bereitschaft@example.org"
	if err := cfg.Validate(); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
}

// A flapping national service sends no message per flap: while it goes down and up and down
// again faster than the hold, a subscriber hears it is down once, and it is back once, after
// it has stayed up.
func TestMailSubscriptions_FlappingSendsOnePerChange(t *testing.T) {
	app, base, national, sink, _ := mailApp(t, func(c *Config) { c.NotifyHoldUp = time.Second })
	token, err := app.store.SubscribeMail(context.Background(), data.Subscription{Email: "anna@example.org", Topics: []data.Topic{data.TopicDown, data.TopicUp}})
	if err == nil {
		_, err = app.store.ConfirmSubscription(context.Background(), token)
	}
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, base, "operational")
	for range 4 { // down, and back for less than the hold, four times
		national.setDown(true)
		waitState(t, base, "down")
		national.setDown(false)
		waitState(t, base, "operational")
	}
	sink.WaitFor("anna@example.org", 2, 15*time.Second)
	time.Sleep(2 * time.Second) // past another hold: nothing more
	if got := sink.To("anna@example.org"); len(got) != 2 || got[0].Subject != "Der Ausstellungsserver ist gestört" ||
		got[1].Subject != "Der Ausstellungsserver ist wieder erreichbar" {
		var subjects []string
		for _, m := range got {
			subjects = append(subjects, m.Subject)
		}
		t.Fatalf("heard %q, want one down and one back", subjects)
	}
}

// Subscribed on the English status page, an address is written to in English, and its
// links lead to the English pages.
func TestMailSubscriptions_EnglishInEnglish(t *testing.T) {
	_, base, national, sink, _ := mailApp(t)
	b := newBrowserless(t, base)
	const ann = "ann@example.org"
	if res, _ := postForm(t, b, "/en/status/abonnieren", url.Values{"email": {ann}, "topic": {"down"}}, nil); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") != "/en/status/abonniert" {
		t.Fatalf("subscribe: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	got := sink.WaitFor(ann, 1, 5*time.Second)
	if len(got) != 1 || got[0].Subject != "Please confirm your subscription to the issuing server's messages" {
		t.Fatalf("confirmation: %d %v", len(got), got)
	}
	link, _ := url.Parse(regexp.MustCompile(`https?://\S+/en/status/bestaetigen\?t=\S+`).FindString(got[0].Text))
	if link == nil || link.Query().Get("t") == "" {
		t.Fatalf("no English confirmation link in\n%s", got[0].Text)
	}
	if _, d := b.get(link.RequestURI()); d.Find("html[lang=en] [data-testid=confirm-form]").Length() != 1 {
		t.Fatal("the English confirmation page")
	}
	if res, d := postForm(t, b, "/en/status/bestaetigen", url.Values{"t": {link.Query().Get("t")}}, nil); res.StatusCode != http.StatusOK ||
		d.Find("[data-testid=confirmed]").Length() != 1 {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	waitState(t, base, "operational")
	national.setDown(true)
	got = sink.WaitFor(ann, 2, 10*time.Second)
	if len(got) != 2 || got[1].Subject != "The issuing server is down" || !strings.Contains(got[1].Header.Get("List-Unsubscribe"), "/en/status/abmelden?t=") ||
		!strings.Contains(got[1].Text, "has been down since") {
		t.Fatalf("notice: %d\n%v", len(got), got)
	}
}
