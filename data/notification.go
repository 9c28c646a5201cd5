package data

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Topic is what a subscriber hears of: the national issuing service going down, degraded,
// back to normal, and its maintenance announced.
type Topic string

const (
	TopicDown        Topic = "down"
	TopicDegraded    Topic = "degraded"
	TopicUp          Topic = "up"
	TopicMaintenance Topic = "maintenance"
)

// Topics are every topic, in the order they are shown.
var Topics = []Topic{TopicDown, TopicDegraded, TopicUp, TopicMaintenance}

// Subscription is a webhook (apps and other portals) or an e-mail address (people) that
// hears of topics; no account needed. An address hears nothing before it is confirmed.
type Subscription struct {
	ID     int64
	URL    string // a webhook's
	Email  string // an e-mail subscription's address
	Lang   string // the language it hears in: "de" (when empty) or "en"
	Topics []Topic
	// Secret signs the deliveries (Standard Webhooks, "whsec_" and base64): shown once, at
	// subscribing; the store keeps it to sign, as every webhook sender must.
	Secret    string
	Confirmed bool
	AccountID int64 // of the account whose dashboard made it; 0 for none
	CreatedAt time.Time
}

// CheckSubscription validates and normalises a subscription's URL and topics: an absolute
// http(s) URL of at most 2,000 characters without credentials or a fragment, and one or
// more known topics (all when none are named). Where it may point is the sender's to judge
// when it connects (its address may change).
func CheckSubscription(s Subscription) (Subscription, error) {
	s.URL = strings.TrimSpace(s.URL)
	u, err := url.Parse(s.URL)
	switch {
	case s.URL == "" || len(s.URL) > 2000 || !utf8.ValidString(s.URL):
		return s, &Error{Code: EINVALID, Field: "url", Message: "a URL of 1 to 2000 characters is required"}
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "":
		return s, &Error{Code: EINVALID, Field: "url", Message: "the URL must be absolute, http or https, with a host"}
	case u.User != nil || u.Fragment != "":
		return s, &Error{Code: EINVALID, Field: "url", Message: "the URL must have neither credentials nor a fragment"}
	}
	return checkTopics(s)
}

// MaxEmailLength is the longest address a mail subscription takes (RFC 5321's path).
const MaxEmailLength = 254

// CheckMailSubscription validates and normalises an e-mail subscription: one bare address
// (no name, no comment) of at most MaxEmailLength characters, its domain lower-cased, and
// one or more known topics (all when none are named).
func CheckMailSubscription(s Subscription) (Subscription, error) {
	s.Email = strings.TrimSpace(s.Email)
	a, err := mail.ParseAddress(s.Email)
	at := strings.LastIndexByte(s.Email, '@')
	if s.Email == "" || len(s.Email) > MaxEmailLength || !utf8.ValidString(s.Email) || err != nil || a.Name != "" || a.Address != s.Email ||
		at < 1 || !domainName(s.Email[at+1:]) || strings.ContainsAny(s.Email, "\r\n<>,;\"[]") {
		return s, &Error{Code: EINVALID, Field: "email", Message: "an e-mail address like name@example.org is required"}
	}
	s.Email = s.Email[:at] + strings.ToLower(s.Email[at:])
	switch s.Lang {
	case "":
		s.Lang = "de"
	case "de", "en":
	default:
		return s, &Error{Code: EINVALID, Field: "lang", Message: "the language must be de or en"}
	}
	return checkTopics(s)
}

// domainName reports whether s is a domain name with a top-level domain of letters (not an
// address literal, not a bare host).
func domainName(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if dot < 1 || dot == len(s)-1 {
		return false
	}
	for _, r := range s[dot+1:] {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func checkTopics(s Subscription) (Subscription, error) {
	if len(s.Topics) == 0 {
		s.Topics = Topics
	}
	seen := map[Topic]bool{}
	var topics []Topic
	for _, t := range s.Topics {
		if !slices.Contains(Topics, t) {
			return s, &Error{Code: EINVALID, Field: "topics", Message: fmt.Sprintf("%q is not a topic (down, degraded, up, maintenance)", t)}
		}
		if !seen[t] {
			seen[t] = true
			topics = append(topics, t)
		}
	}
	s.Topics = topics
	return s, nil
}

// JoinTopics writes topics as the stores keep them: ",down,up,", so that one LIKE
// "%,up,%" finds a topic's subscriptions.
func JoinTopics(ts []Topic) string {
	var b strings.Builder
	b.WriteString(",")
	for _, t := range ts {
		b.WriteString(string(t) + ",")
	}
	return b.String()
}

// SplitTopics reads what JoinTopics wrote.
func SplitTopics(s string) []Topic {
	var out []Topic
	for _, t := range strings.Split(strings.Trim(s, ","), ",") {
		if t != "" {
			out = append(out, Topic(t))
		}
	}
	return out
}

// NullID is an id as the stores keep an optional reference: NULL for 0.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// NewWebhookSecret is a subscription's signing secret as Standard Webhooks writes it.
func NewWebhookSecret() string {
	return "whsec_" + base64.StdEncoding.EncodeToString(RandomBytes(24))
}

// NewUnsubscribeToken is the bearer credential that ends a subscription (256 bits).
func NewUnsubscribeToken() string {
	return "unsub_" + base64.RawURLEncoding.EncodeToString(RandomBytes(32))
}

// NewConfirmToken is the credential of an e-mail subscription's confirmation link (256 bits).
func NewConfirmToken() string {
	return "confirm_" + base64.RawURLEncoding.EncodeToString(RandomBytes(32))
}

// ConfirmWithin is how long a confirmation link is valid; an address not confirmed by then
// is deleted.
const ConfirmWithin = 24 * time.Hour

// StateChange is a confirmed change of a monitored service's state, as the monitor decides
// it after its confirmations.
type StateChange struct {
	Target  string
	To      Topic
	At      time.Time
	Message string
	// Incident is the automatic incident's title and first message for a change to down;
	// a change to up resolves it with Message.
	IncidentTitle, IncidentMessage string
	// HoldUp is how long the service must stay up before "up" is sent: a change to down
	// within it withdraws the "up", and the "down" subscribers heard stands.
	HoldUp time.Duration
}

// News reports whether a change to topic is news to subscribers who last heard of last
// ("" for nothing): the same again is not (a prober that restarts mid-outage), nor "up"
// when nothing was wrong (a prober's first look).
func News(last, topic Topic) bool {
	return last != topic && !(last == "" && topic == TopicUp)
}

// Event is one notification: a state change, or a maintenance announced (from At to
// EndsAt, Message its title and text), sent from NotBefore on.
type Event struct {
	ID        int64
	Target    string
	Topic     Topic
	Message   string
	At        time.Time
	EndsAt    time.Time // of a maintenance; zero otherwise
	Cancelled bool      // the maintenance is called off
	NotBefore time.Time
}

// Delivery is an event on its way to one subscription.
type Delivery struct {
	ID           int64
	Event        Event
	Subscription Subscription
	Attempts     int
	DueAt        time.Time
}

// Channel is how a subscription hears: by webhook or by e-mail.
type Channel string

const (
	ChannelWebhook Channel = "webhook"
	ChannelMail    Channel = "mail"
)

// DueQuery asks the outbox for up to Limit deliveries of Channel ("" for both) due at Now,
// of subscriptions last sent a message at or before QuietSince (the others wait out their
// window).
type DueQuery struct {
	Channel         Channel
	Now, QuietSince time.Time
	Limit           int
}

// GivenUp is a delivery the sender gave up on, for the operators' page.
type GivenUp struct {
	ID       int64
	Topic    Topic
	At       time.Time // of the event
	URL      string    // a webhook's
	Email    string    // or an address's
	Attempts int
	Problem  string // the last attempt's
}

// DeliveryCounts are the outbox's deliveries by what became of them.
type DeliveryCounts struct {
	Pending, Sent, GivenUp int
}

// Notifications are the subscriptions and the outbox of what they are to hear.
type Notifications interface {
	// Subscribe keeps a checked subscription with a new secret and returns it with the
	// token that ends it (the store keeps only its hash).
	Subscribe(ctx context.Context, s Subscription) (Subscription, string, error)
	// SubscribeMail keeps a checked e-mail subscription, unconfirmed, and returns the token
	// of its confirmation link (valid ConfirmWithin; the store keeps its hash). An address is
	// one subscription per account (and one without): already confirmed there, it stays as
	// it is and gets "" (the caller answers the same either way); not yet confirmed, it takes
	// the new topics and token, the old link void.
	SubscribeMail(ctx context.Context, s Subscription) (string, error)
	// ConfirmSubscription confirms the subscription of a confirmation token and returns it;
	// ENOTFOUND for a token that is not one, or no longer.
	ConfirmSubscription(ctx context.Context, token string) (Subscription, error)
	// AccountSubscriptions are the subscriptions an account made, confirmed or not,
	// oldest first (without their secrets).
	AccountSubscriptions(ctx context.Context, account int64) ([]Subscription, error)
	// DeleteAccountSubscription deletes one of an account's subscriptions and what it was
	// still to hear; ENOTFOUND for one that is not the account's.
	DeleteAccountSubscription(ctx context.Context, account, id int64) error
	// UnsubscribeLinks mints for each subscription a new token that ends it, for the
	// unsubscribe link of one message, and keeps their hashes, in one transaction.
	UnsubscribeLinks(ctx context.Context, subscriptions []int64) ([]string, error)
	// Unsubscribe deletes the subscription of token (its own or one of its links'), and
	// what it was still to hear; ENOTFOUND for a token that is not one.
	Unsubscribe(ctx context.Context, token string) error
	// RecordStateChange records a confirmed state change in one transaction: the automatic
	// incident opened (down) or resolved (up), and, when it is News, the event with a
	// delivery for every subscription that hears of it (the outbox).
	RecordStateChange(ctx context.Context, c StateChange) error
	// DueDeliveries are pending deliveries due as q says, the longest due first.
	DueDeliveries(ctx context.Context, q DueQuery) ([]Delivery, error)
	// DeliveriesSent marks deliveries done and their subscriptions sent to at at, in one
	// transaction.
	DeliveriesSent(ctx context.Context, ids []int64, at time.Time) error
	// DeliveryFailed records a failed attempt: due again at retry, or given up when retry
	// is zero.
	DeliveryFailed(ctx context.Context, id int64, problem string, retry time.Time) error
	// CountDeliveries counts the outbox's deliveries.
	CountDeliveries(ctx context.Context) (DeliveryCounts, error)
	// GivenUpDeliveries are the last limit deliveries given up, newest first.
	GivenUpDeliveries(ctx context.Context, limit int) ([]GivenUp, error)
	// PruneNotifications deletes the events due before before, with their deliveries,
	// unless one is still pending or it is its target's last (which News needs), and the
	// e-mail subscriptions whose confirmation expired and the unsubscribe links older than
	// UnsubscribeLinkLife; it returns how many events went.
	PruneNotifications(ctx context.Context, before time.Time) (int, error)
}

// UnsubscribeLinkLife is how long a message's unsubscribe link works (every later message
// has a new one).
const UnsubscribeLinkLife = 365 * 24 * time.Hour

// NotificationRetention is how long sent and given-up notifications are kept.
const NotificationRetention = 30 * 24 * time.Hour
