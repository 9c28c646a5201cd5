package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Subscriptions and the outbox: a state change writes its incident and a delivery for
// each subscription to its topic in one go; due deliveries are handed out until sent or
// given up; "up" waits out its hold, and a "down" within it withdraws it and sends no
// second "down"; unsubscribing deletes what was still to be sent; bad subscriptions change
// nothing; done notifications go after their retention.
func outboxFollowsStateChanges(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	for _, bad := range []struct {
		s     data.Subscription
		field string
	}{
		{data.Subscription{URL: "ftp://example.org/hook"}, "url"},
		{data.Subscription{URL: "/hook"}, "url"},
		{data.Subscription{URL: "https://user:pw@example.org/hook"}, "url"},
		{data.Subscription{URL: "https://example.org/hook\xff"}, "url"},
		{data.Subscription{URL: "https://example.org/hook", Topics: []data.Topic{"down", "bald"}}, "topics"},
	} {
		if _, _, err := db.Subscribe(ctx, bad.s); data.ErrorCode(err) != data.EINVALID || data.ErrorField(err) != bad.field {
			t.Errorf("%+v: %v, want EINVALID on %s", bad.s, err, bad.field)
		}
	}
	a, tokenA, err := db.Subscribe(ctx, data.Subscription{URL: "https://a.example.org/hook", Topics: []data.Topic{data.TopicDown, data.TopicUp, data.TopicDown}})
	if err != nil || a.ID == 0 || len(a.Topics) != 2 || len(a.Secret) < 30 || len(tokenA) < 40 {
		t.Fatalf("subscribe: %+v %q %v", a, tokenA, err)
	}
	b, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://b.example.org/hook", Topics: []data.Topic{data.TopicDegraded}})
	if err != nil {
		t.Fatal(err)
	}
	due := func(at time.Time) []data.Delivery {
		t.Helper()
		ds, err := db.DueDeliveries(ctx, data.DueQuery{Now: at, QuietSince: at, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	down := time.Date(2021, 6, 15, 9, 12, 0, 0, time.UTC)
	// A prober's first look finds it working: nobody needs to hear "up".
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicUp, At: down.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicDown, At: down, Message: "503",
		IncidentTitle: "gestört", IncidentMessage: "Automatisch erkannt"}); err != nil {
		t.Fatal(err)
	}
	if in, err := db.Incidents(ctx, down.Add(-time.Hour)); err != nil || len(in) != 1 || in[0].ResolvedAt != nil {
		t.Fatalf("the incident with the outbox: %+v %v", in, err)
	}
	// The prober restarts during the outage and sees it again: no second "down".
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicDown, At: down.Add(time.Second),
		IncidentTitle: "gestört", IncidentMessage: "Automatisch erkannt"}); err != nil {
		t.Fatal(err)
	}
	ds := due(down.Add(time.Second))
	if len(ds) != 1 || ds[0].Subscription.ID != a.ID || ds[0].Subscription.Secret != a.Secret || ds[0].Event.Topic != data.TopicDown ||
		ds[0].Event.Message != "503" || !ds[0].Event.At.Equal(down) || ds[0].Attempts != 0 {
		t.Fatalf("due after down: %+v", ds)
	}
	if err := db.DeliveryFailed(ctx, ds[0].ID, "HTTP 500", down.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if len(due(down.Add(30*time.Second))) != 0 {
		t.Error("due again before its retry")
	}
	if ds := due(down.Add(time.Minute)); len(ds) != 1 || ds[0].Attempts != 1 {
		t.Fatalf("due at its retry: %+v", ds)
	}
	if err := db.DeliveriesSent(ctx, []int64{ds[0].ID}, down.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Back up, down within the hold, up again: one "up", after the hold of the last.
	up := down.Add(10 * time.Minute)
	hold := 5 * time.Minute
	for _, c := range []data.StateChange{
		{Target: "national", To: data.TopicUp, At: up, HoldUp: hold},
		{Target: "national", To: data.TopicDown, At: up.Add(2 * time.Minute), IncidentTitle: "gestört", IncidentMessage: "wieder"},
		{Target: "national", To: data.TopicUp, At: up.Add(3 * time.Minute), HoldUp: hold},
	} {
		if err := db.RecordStateChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if ds := due(up.Add(7 * time.Minute)); len(ds) != 0 {
		t.Errorf("due before the last up's hold: %+v", ds)
	}
	ds = due(up.Add(8 * time.Minute))
	if len(ds) != 1 || ds[0].Event.Topic != data.TopicUp || !ds[0].Event.At.Equal(up.Add(3*time.Minute)) {
		t.Fatalf("after the hold: %+v", ds)
	}
	if in, _ := db.Incidents(ctx, down.Add(-time.Hour)); len(in) != 2 || in[0].ResolvedAt == nil || in[1].ResolvedAt == nil {
		t.Errorf("incidents: %+v", in)
	}
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicDegraded, At: up.Add(20 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// The "up" is still due (not sent yet), and the degraded for B.
	if ds = due(up.Add(20 * time.Minute)); len(ds) != 2 || ds[1].Subscription.ID != b.ID {
		t.Fatalf("degraded: %+v", ds)
	}
	if err := db.DeliveryFailed(ctx, ds[1].ID, "timeout", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if g, err := db.GivenUpDeliveries(ctx, 10); err != nil || len(g) != 1 || g[0].URL != b.URL || g[0].Topic != data.TopicDegraded ||
		g[0].Attempts != 1 || g[0].Problem != "timeout" || !g[0].At.Equal(up.Add(20*time.Minute)) {
		t.Errorf("given up: %+v %v", g, err)
	}
	if err := db.Unsubscribe(ctx, "unsub_nothing"); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("an unknown token: %v", err)
	}
	if err := db.Unsubscribe(ctx, tokenA); err != nil {
		t.Fatal(err)
	}
	if ds := due(up.Add(time.Hour)); len(ds) != 0 {
		t.Errorf("due after unsubscribing and giving up: %+v", ds)
	}
	if c, err := db.CountDeliveries(ctx); err != nil || c != (data.DeliveryCounts{Pending: 0, Sent: 0, GivenUp: 1}) {
		t.Errorf("counts: %+v %v (A's deliveries went with it)", c, err)
	}
	// Retention: what is done goes after its time; what is pending stays, and so does each
	// target's last event (what subscribers last heard, which says whether a change is news).
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicDown, At: up.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneNotifications(ctx, up.Add(40*time.Minute)); err != nil || n != 3 {
		t.Errorf("pruned %d events (%v), want the three before the last", n, err)
	}
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicDown, At: up.Add(50 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PruneNotifications(ctx, up.Add(time.Hour)); n != 0 {
		t.Errorf("pruned %d: the last event went, and a second down would be news", n)
	}
	if c, _ := db.CountDeliveries(ctx); c != (data.DeliveryCounts{Pending: 0, Sent: 0, GivenUp: 0}) {
		t.Errorf("after pruning: %+v", c)
	}
}

// E-mail subscriptions: a bad address changes nothing and names the field; an address
// hears nothing before it is confirmed, its link works once and for a day, asking again
// voids the old link, a confirmed address stays as it is; each message's own link ends the
// subscription with what it was still to hear; links not clicked in time go.
func mailNeedsConfirmation(t *testing.T, open Open) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := open(t, clock)
	for _, bad := range []string{"", "apotheke", "a@b", "Anna <anna@example.org>", "anna@example.org, bob@example.org",
		"anna@example.org\r\nBcc: x@example.org", strings.Repeat("a", 250) + "@example.org", "anna@[10.0.0.5]", "anna@localhost",
		"anna@example.123", "anna\xff@example.org"} {
		if _, err := db.SubscribeMail(ctx, data.Subscription{Email: bad}); data.ErrorCode(err) != data.EINVALID || data.ErrorField(err) != "email" {
			t.Errorf("%q: %v, want EINVALID on email", bad, err)
		}
	}
	if _, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org", Topics: []data.Topic{"rain"}}); data.ErrorField(err) != "topics" {
		t.Errorf("a bad topic: %v", err)
	}
	if _, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org", Lang: "fr"}); data.ErrorField(err) != "lang" {
		t.Errorf("a language the portal does not write: %v", err)
	}
	first, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@Example.ORG", Topics: []data.Topic{data.TopicDown}})
	if err != nil || !strings.HasPrefix(first, "confirm_") {
		t.Fatalf("subscribe: %q %v", first, err)
	}
	record := func(to data.Topic) {
		t.Helper()
		now = now.Add(time.Minute)
		if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: to, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	record(data.TopicDown)
	if ds, _ := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now, Limit: 10}); len(ds) != 0 {
		t.Fatalf("an unconfirmed address is to hear: %+v", ds)
	}
	second, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org", Lang: "en"}) // asked again: all topics, in English
	if err != nil || second == "" || second == first {
		t.Fatalf("asked again: %q %v", second, err)
	}
	if _, err := db.ConfirmSubscription(ctx, first); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("the first link after a second: %v", err)
	}
	s, err := db.ConfirmSubscription(ctx, second)
	if err != nil || s.Email != "anna@example.org" || len(s.Topics) != len(data.Topics) || !s.Confirmed {
		t.Fatalf("confirm: %+v %v", s, err)
	}
	if _, err := db.ConfirmSubscription(ctx, second); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("a link used twice: %v", err)
	}
	if again, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org", Topics: []data.Topic{data.TopicUp}}); err != nil || again != "" {
		t.Errorf("a confirmed address asked again: %q %v", again, err)
	}
	record(data.TopicUp)
	ds, err := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now, Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].Subscription.Email != "anna@example.org" || ds[0].Subscription.URL != "" || ds[0].Event.Topic != data.TopicUp ||
		ds[0].Subscription.Lang != "en" {
		t.Fatalf("due for the confirmed address: %+v %v", ds, err)
	}
	if hooks, _ := db.DueDeliveries(ctx, data.DueQuery{Channel: data.ChannelWebhook, Now: now, QuietSince: now, Limit: 10}); len(hooks) != 0 {
		t.Errorf("due by webhook: %+v", hooks)
	}
	if mails, _ := db.DueDeliveries(ctx, data.DueQuery{Channel: data.ChannelMail, Now: now, QuietSince: now, Limit: 10}); len(mails) != 1 {
		t.Errorf("due by mail: %+v", mails)
	}
	// Sent to: what comes next waits out the window after it.
	if err := db.DeliveriesSent(ctx, []int64{ds[0].ID}, now); err != nil {
		t.Fatal(err)
	}
	record(data.TopicDown)
	if ds, _ := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now.Add(-10 * time.Minute), Limit: 10}); len(ds) != 0 {
		t.Errorf("due within the window: %+v", ds)
	}
	if ds, _ := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now.Add(-time.Second), Limit: 10}); len(ds) != 1 {
		t.Errorf("due after the window: %+v", ds)
	}
	links, err := db.UnsubscribeLinks(ctx, []int64{s.ID, s.ID})
	if err != nil || len(links) != 2 || links[0] == links[1] || !strings.HasPrefix(links[0], "unsub_") {
		t.Fatalf("links: %q %v", links, err)
	}
	record(data.TopicDown)
	if err := db.Unsubscribe(ctx, links[1]); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now, Limit: 10}); len(ds) != 0 {
		t.Errorf("due after unsubscribing: %+v", ds)
	}
	if err := db.Unsubscribe(ctx, links[0]); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("the other link after unsubscribing: %v", err)
	}
	// The address is gone: it may subscribe anew, and a link not clicked within a day fails
	// and goes with the next pruning.
	late, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org"})
	if err != nil || late == "" {
		t.Fatalf("subscribe anew: %q %v", late, err)
	}
	now = now.Add(data.ConfirmWithin + time.Second)
	if _, err := db.ConfirmSubscription(ctx, late); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("a link after a day: %v", err)
	}
	if _, err := db.PruneNotifications(ctx, now.Add(-data.NotificationRetention)); err != nil {
		t.Fatal(err)
	}
	if fresh, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org"}); err != nil || fresh == "" {
		t.Errorf("after pruning: %q %v", fresh, err)
	}
}

// Subscriptions made in a dashboard are the account's: it lists them, confirmed or not,
// and deletes them; another account can do neither.
func accountsKeepTheirSubscriptions(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	var accounts [2]int64
	for i, login := range []string{"a@example.org", "b@example.org"} {
		acc, _, err := db.CreateAccount(ctx, data.RoleOperator, login, "", testActor)
		if err != nil {
			t.Fatal(err)
		}
		accounts[i] = acc.ID
	}
	hook, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://a.example.org/hook", AccountID: accounts[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SubscribeMail(ctx, data.Subscription{Email: "team@a.example.org", Topics: []data.Topic{data.TopicDown}, AccountID: accounts[0]}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://public.example.org/hook"}); err != nil {
		t.Fatal(err)
	}
	list, err := db.AccountSubscriptions(ctx, accounts[0])
	if err != nil || len(list) != 2 || list[0].URL != hook.URL || !list[0].Confirmed || list[0].Secret != "" ||
		list[1].Email != "team@a.example.org" || list[1].Confirmed || len(list[1].Topics) != 1 {
		t.Fatalf("the account's: %+v %v", list, err)
	}
	if other, err := db.AccountSubscriptions(ctx, accounts[1]); err != nil || len(other) != 0 {
		t.Errorf("another account's: %+v %v", other, err)
	}
	// An address is one subscription per account and one without: the public's confirmed
	// one tells an account nothing, and another account's request leaves the first's alone.
	public, err := db.SubscribeMail(ctx, data.Subscription{Email: "team@b.example.org"})
	if err == nil {
		_, err = db.ConfirmSubscription(ctx, public)
	}
	if err != nil {
		t.Fatal(err)
	}
	if token, err := db.SubscribeMail(ctx, data.Subscription{Email: "team@b.example.org", AccountID: accounts[1]}); err != nil || token == "" {
		t.Errorf("an account asking for an address the public has: %q %v", token, err)
	}
	if token, err := db.SubscribeMail(ctx, data.Subscription{Email: "team@a.example.org", AccountID: accounts[1]}); err != nil || token == "" {
		t.Errorf("another account asking for the first's address: %q %v", token, err)
	}
	if list, _ := db.AccountSubscriptions(ctx, accounts[0]); len(list) != 2 || list[1].Email != "team@a.example.org" {
		t.Errorf("the first account's after another asked: %+v", list)
	}
	if list, _ := db.AccountSubscriptions(ctx, accounts[1]); len(list) != 2 {
		t.Errorf("the second account's: %+v", list)
	}
	if err := db.DeleteAccountSubscription(ctx, accounts[1], hook.ID); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("deleted by another account: %v", err)
	}
	if err := db.DeleteAccountSubscription(ctx, accounts[0], hook.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.AccountSubscriptions(ctx, accounts[0]); len(list) != 1 {
		t.Errorf("after deleting: %+v", list)
	}
}

// An announced maintenance reaches its topic's subscribers from the transaction that
// announces it, with its times and text; it is not a state: the next state change is
// judged news as before.
func maintenanceIsAnnounced(t *testing.T, open Open) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)
	db := open(t, func() time.Time { return now })
	if _, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://a.example.org/hook", Topics: []data.Topic{data.TopicMaintenance}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://b.example.org/hook", Topics: []data.Topic{data.TopicDown}}); err != nil {
		t.Fatal(err)
	}
	m := data.Maintenance{Target: "national", Title: "Update des Servers", Message: "Ausstellen später nachholen.",
		StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour)}
	id, err := db.ScheduleMaintenance(ctx, m, testActor)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now, Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].Event.Topic != data.TopicMaintenance || !ds[0].Event.At.Equal(m.StartsAt) || ds[0].Event.Cancelled ||
		!ds[0].Event.EndsAt.Equal(m.EndsAt) || ds[0].Event.Message != m.Announcement() || ds[0].Subscription.URL != "https://a.example.org/hook" {
		t.Fatalf("due after the announcement: %+v %v", ds, err)
	}
	if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: data.TopicDown, At: now}); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now, Limit: 10}); len(ds) != 2 || !ds[1].Event.EndsAt.IsZero() {
		t.Errorf("a change to down after the announcement: %+v", ds)
	}
	// Called off: those told of it are told it is off.
	if err := db.CancelMaintenance(ctx, id, testActor); err != nil {
		t.Fatal(err)
	}
	ds, _ = db.DueDeliveries(ctx, data.DueQuery{Now: now, QuietSince: now, Limit: 10})
	if len(ds) != 3 || !ds[2].Event.Cancelled || ds[2].Event.Topic != data.TopicMaintenance || !ds[2].Event.EndsAt.Equal(m.EndsAt) ||
		ds[2].Subscription.URL != "https://a.example.org/hook" {
		t.Errorf("after the cancellation: %+v", ds)
	}
}

// A state is news to a subscriber by what it last heard: down, degraded (which only one of
// two hears), back within the hold (withdrawn), down again: the one that heard only "down"
// is not told it twice; the one that heard "degraded" is told it is down again.
func newsIsPerSubscriber(t *testing.T, open Open) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)
	db := open(t, func() time.Time { return now })
	a, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://a.example.org/hook", Topics: []data.Topic{data.TopicDown, data.TopicUp}})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://b.example.org/hook"})
	if err != nil {
		t.Fatal(err)
	}
	for i, to := range []data.Topic{data.TopicUp, data.TopicDown, data.TopicDegraded, data.TopicUp, data.TopicDown} {
		if err := db.RecordStateChange(ctx, data.StateChange{Target: "national", To: to, At: now.Add(time.Duration(i) * time.Minute), HoldUp: 5 * time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	heard := map[int64][]data.Topic{}
	ds, err := db.DueDeliveries(ctx, data.DueQuery{Now: now.Add(time.Hour), QuietSince: now.Add(time.Hour), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		heard[d.Subscription.ID] = append(heard[d.Subscription.ID], d.Event.Topic)
	}
	if fmt.Sprint(heard[a.ID]) != "[down]" || fmt.Sprint(heard[b.ID]) != "[down degraded down]" {
		t.Errorf("a heard %v, b heard %v", heard[a.ID], heard[b.ID])
	}
	// Back after the hold (sent to both), then a new outage: one that hears only "down"
	// hears it, though the last it heard was "down" too; degraded within the next hold
	// withdraws that "up", so nobody is told "up" while it is degraded.
	only, _, err := db.Subscribe(ctx, data.Subscription{URL: "https://c.example.org/hook", Topics: []data.Topic{data.TopicDown}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []data.StateChange{
		{To: data.TopicUp, At: now.Add(11 * time.Minute)},
		{To: data.TopicDown, At: now.Add(20 * time.Minute)},
		{To: data.TopicUp, At: now.Add(21 * time.Minute)},
		{To: data.TopicDown, At: now.Add(30 * time.Minute)},
		{To: data.TopicUp, At: now.Add(31 * time.Minute), HoldUp: 5 * time.Minute},
		{To: data.TopicDegraded, At: now.Add(32 * time.Minute)},
	} {
		c.Target = "national"
		if err := db.RecordStateChange(ctx, c); err != nil {
			t.Fatal(i, err)
		}
	}
	heard = map[int64][]data.Topic{}
	ds, _ = db.DueDeliveries(ctx, data.DueQuery{Now: now.Add(time.Hour), QuietSince: now.Add(time.Hour), Limit: 50})
	for _, d := range ds {
		heard[d.Subscription.ID] = append(heard[d.Subscription.ID], d.Event.Topic)
	}
	if fmt.Sprint(heard[only.ID]) != "[down down]" || fmt.Sprint(heard[a.ID]) != "[down up down up down]" {
		t.Errorf("down only heard %v, a heard %v", heard[only.ID], heard[a.ID])
	}
}

// A message's unsubscribe link works for UnsubscribeLinkLife, then goes with the pruning;
// a newer message's still works.
func unsubscribeLinksExpire(t *testing.T, open Open) {
	ctx := context.Background()
	now := time.Date(2021, 6, 14, 8, 0, 0, 0, time.UTC)
	db := open(t, func() time.Time { return now })
	token, err := db.SubscribeMail(ctx, data.Subscription{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.ConfirmSubscription(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	old, err := db.UnsubscribeLinks(ctx, []int64{s.ID})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(data.UnsubscribeLinkLife - time.Hour)
	newer, err := db.UnsubscribeLinks(ctx, []int64{s.ID})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := db.PruneNotifications(ctx, now.Add(-data.NotificationRetention)); err != nil {
		t.Fatal(err)
	}
	if err := db.Unsubscribe(ctx, old[0]); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("a link older than its life: %v", err)
	}
	if err := db.Unsubscribe(ctx, newer[0]); err != nil {
		t.Errorf("a newer link: %v", err)
	}
}
