package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"golang.org/x/time/rate"
)

// ErrRefused is a message the mail server refused for good (a 5xx answer): it is given up
// at once rather than retried.
var ErrRefused = errors.New("refused by the mail server")

// MailConfig is how e-mail leaves the portal.
type MailConfig struct {
	// URL is the mail server's: smtp://user:password@host:587 (STARTTLS required),
	// smtps://…:465 (TLS from the first byte), or smtp+plain://host:25 (no TLS, for a relay
	// on the same machine or network; it takes no credentials, which would travel in clear).
	URL         string
	From        string  // the sender's address
	Connections int     // connections to the server at once
	PerSecond   float64 // messages per second to the server, across the connections
	Timeout     time.Duration
	TLS         *tls.Config // the roots and name to verify the server by (nil: the system's)
}

// Mailer sends messages through one SMTP server, at most Connections at once and
// PerSecond messages a second.
type Mailer struct {
	client      *mail.Client
	from        string
	connections int
	limit       *rate.Limiter
}

// NewMailer checks cfg and returns its mailer; nothing is dialled before the first message.
func NewMailer(cfg MailConfig) (*Mailer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Hostname() == "" || u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("the SMTP URL must be smtp://[user:password@]host[:port], smtps://… or smtp+plain://host[:port]")
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("the sender's address is required")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("the sender's address %q: %w", cfg.From, err)
	}
	opts := []mail.Option{mail.WithTimeout(max(cfg.Timeout, time.Second)), mail.WithTLSConfig(tlsFor(cfg.TLS, u.Hostname()))}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	case "smtp+plain":
		port = 25
		if u.User != nil {
			return nil, fmt.Errorf("smtp+plain takes no credentials: they would travel in clear; use smtp:// (STARTTLS) or smtps://")
		}
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("the SMTP URL's scheme %q is none of smtp, smtps, smtp+plain", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("the SMTP URL's port %q is not a port", p)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		password, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(u.User.Username()), mail.WithPassword(password))
	}
	client, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("the SMTP client: %w", err)
	}
	perSecond := cfg.PerSecond
	if perSecond <= 0 {
		perSecond = 50
	}
	return &Mailer{client: client, from: cfg.From, connections: max(1, cfg.Connections),
		limit: rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))}, nil
}

func tlsFor(cfg *tls.Config, host string) *tls.Config {
	if cfg == nil {
		return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

// Send sends msgs over up to Connections connections and returns, per message, nil when
// the server took it or why not: ErrRefused wrapped for a refusal for good, anything else
// is worth another try.
func (m *Mailer) Send(ctx context.Context, msgs []*mail.Msg) []error {
	errs := make([]error, len(msgs))
	n := min(m.connections, len(msgs))
	done := make(chan struct{}, n)
	for c := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			var share []int
			for i := c; i < len(msgs); i += n {
				share = append(share, i)
			}
			m.sendOver(ctx, msgs, share, errs)
		}()
	}
	for range n {
		<-done
	}
	return errs
}

// sendOver sends the messages msgs[share] over one connection, one after another.
func (m *Mailer) sendOver(ctx context.Context, msgs []*mail.Msg, share []int, errs []error) {
	conn, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		for _, i := range share {
			errs[i] = fmt.Errorf("connect to the mail server: %w", err)
		}
		return
	}
	defer func() { _ = m.client.CloseWithSMTPClient(conn) }()
	for k, i := range share {
		if err := m.limit.Wait(ctx); err != nil {
			for _, j := range share[k:] {
				errs[j] = err
			}
			return
		}
		if err := m.client.SendWithSMTPClient(conn, msgs[i]); err != nil {
			errs[i] = err
			// Refused for good only by a 5xx answer: a broken connection, a timeout or a
			// reset is worth another try.
			if se := (*mail.SendError)(nil); errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() <= 599 {
				errs[i] = fmt.Errorf("%w: %v", ErrRefused, err)
			}
		}
	}
}

// newMsg is a message from the mailer's sender to one address, with the headers every
// message of the portal carries: Date, Message-ID, Auto-Submitted.
func (m *Mailer) newMsg(to, messageID, subject string, at time.Time) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return nil, err
	}
	if err := msg.To(to); err != nil {
		return nil, fmt.Errorf("the address: %w", err)
	}
	msg.Subject(subject)
	msg.SetDateWithValue(at)
	msg.SetMessageIDWithValue(messageID)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	return msg, nil
}

// alert is a plain-text message to the operators.
func (m *Mailer) alert(to []string, subject, text string, now time.Time) (*mail.Msg, error) {
	msg, err := m.newMsg(to[0], "alert-"+strconv.FormatInt(now.UnixNano(), 36)+"@apoportal.invalid", subject, now)
	if err != nil {
		return nil, err
	}
	if err := msg.To(to...); err != nil {
		return nil, fmt.Errorf("the operators' addresses: %w", err)
	}
	msg.SetBodyString(mail.TypeTextPlain, text)
	return msg, nil
}

// hostOf is the host name of a base URL, for Message-IDs and List-Id.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "apoportal.invalid"
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil {
		return "apoportal.invalid" // a Message-ID's right side is a domain
	}
	return strings.ToLower(u.Hostname())
}
