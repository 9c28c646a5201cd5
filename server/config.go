package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/search/meili"
	"github.com/apoportal/apoportal/server/notify"
)

// Config is everything the portal can be told, read once at start. Every option is a flag
// and an APOPORTAL_* environment variable; a flag wins over the variable.
type Config struct {
	Addr          string        // --addr, APOPORTAL_ADDR: where to listen
	DB            string        // --db, APOPORTAL_DB: the SQLite file, or postgres://… for PostgreSQL
	Demo          bool          // --demo, APOPORTAL_DEMO: fill an empty database with the demo registry
	TileURL       string        // --tile-url, APOPORTAL_TILE_URL: map tiles ("" hides the map)
	LegalDir      string        // --legal-dir, APOPORTAL_LEGAL_DIR: the operator's legal pages as Markdown (server/legal)
	SearchTimeout time.Duration // --search-timeout, APOPORTAL_SEARCH_TIMEOUT: deadline of one search
	SyncInterval  time.Duration // --sync-interval, APOPORTAL_SYNC_INTERVAL: how often the index follows the store
	LogLevel      string        // --log-level, APOPORTAL_LOG_LEVEL: debug, info, warn, error
	// --access-log, APOPORTAL_ACCESS_LOG: folder of the access log with client addresses, a
	// file a day deleted after LogRetention; "" writes request lines without addresses to the
	// process's log (whose retention the portal cannot know).
	AccessLog    string
	LogRetention time.Duration // --log-retention, APOPORTAL_LOG_RETENTION: how long the access log's files are kept
	MeiliURL     string        // --meili-url, APOPORTAL_MEILI_URL: Meilisearch; "" for the embedded engine alone
	MeiliKey     string        // --meili-key, APOPORTAL_MEILI_KEY: master or admin key, never logged
	MeiliIndex   string        // --meili-index, APOPORTAL_MEILI_INDEX: index uid
	MeiliTimeout time.Duration // --meili-timeout, APOPORTAL_MEILI_TIMEOUT: deadline before falling back
	// --instance, APOPORTAL_INSTANCE: this portal's name among several on one store (the
	// machine's, usually); it names the cursor of its own Meilisearch and the holder of leases.
	// "" for a portal alone.
	Instance     string
	CookieSecure bool          // --cookie-secure, APOPORTAL_COOKIE_SECURE: cookies only over HTTPS (off only for local http)
	SessionTTL   time.Duration // --session-ttl, APOPORTAL_SESSION_TTL: how long a login lasts
	SessionIdle  time.Duration // --session-idle, APOPORTAL_SESSION_IDLE: a login ends after this long without use
	// --public-url, APOPORTAL_PUBLIC_URL: the portal's address as the public reaches it, for
	// links that leave the page (the Atom feed); "" means http://ADDR. Never taken from a request.
	PublicURL string
	// --trusted-proxies, APOPORTAL_TRUSTED_PROXIES: comma-separated CIDRs of the reverse proxies
	// whose X-Forwarded-For is believed; from anywhere else the peer's address is the client's.
	TrustedProxies string
	// --confirmation-max-age, APOPORTAL_CONFIRMATION_MAX_AGE: an "active" participation not
	// confirmed by its pharmacy within this age is shown as "unconfirmed" (0: no limit).
	ConfirmationMaxAge time.Duration
	NationalURL        string        // --national-url, APOPORTAL_NATIONAL_URL: the national issuing service to probe
	ProbeInterval      time.Duration // --probe-interval, APOPORTAL_PROBE_INTERVAL: between probes while it is up
	MonitorConfig      string        // --monitor-config, APOPORTAL_MONITOR_CONFIG: JSON file of further targets to probe
	ReportThreshold    int           // --report-threshold: distinct pharmacies reporting within 15 min that raise "Störung gemeldet"
	CacheMB            int           // --cache-mb, APOPORTAL_CACHE_MB: memory bound of the response cache (0: no cache)
	CacheFresh         time.Duration // --cache-fresh, APOPORTAL_CACHE_FRESH: how long a cached answer is served as it is
	ComputeLimit       int           // --compute-limit, APOPORTAL_COMPUTE_LIMIT: answers computed at once; more wait briefly, then get 503
	MemoryMB           int           // --memory-mb, APOPORTAL_MEMORY_MB: soft memory limit of the process (GOMEMLIMIT); the GC works harder near it
	APIRate            int           // --api-rate, APOPORTAL_API_RATE: search API requests per second and client address (bursts of 3×; 0: no limit)
	// Notifications of the national service's state by webhook and e-mail; each flag has its
	// APOPORTAL_* variable (APOPORTAL_NOTIFY_HOLD_UP, …).
	NotifyHoldUp         time.Duration // --notify-hold-up: how long it must stay up before "up" is sent
	NotifyRetry          time.Duration // --notify-retry: the first retry's delay (doubling, up to an hour)
	NotifyGiveUp         time.Duration // --notify-give-up: a delivery failing this long is given up
	NotifyWindow         time.Duration // --notify-window: at most one message per subscriber within it; more changes are summarised
	WebhookAllowInternal bool          // --webhook-allow-internal: let webhooks reach loopback and private addresses
	// E-mail notifications: without --smtp-url, e-mail subscriptions are not offered.
	SMTPURL         string // --smtp-url, APOPORTAL_SMTP_URL: smtp://user@host:587 (STARTTLS), smtps://…, smtp+plain://host:25
	SMTPPassword    string // APOPORTAL_SMTP_PASSWORD: the password (never in the URL or a flag: flags show in ps)
	MailFrom        string // --mail-from, APOPORTAL_MAIL_FROM: the sender's address
	SMTPConnections int    // --smtp-connections: connections to the mail server at once
	SMTPRate        int    // --smtp-rate: messages per second to the mail server
	AlertMail       string // --alert-mail, APOPORTAL_ALERT_MAIL: comma-separated operators' addresses told when a part of the portal fails
}

// DefaultConfig is the embedded default: a local file, the embedded engine, no map key.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DB:              "apoportal.db",
		TileURL:         "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
		SearchTimeout:   2 * time.Second,
		SyncInterval:    250 * time.Millisecond,
		LogLevel:        "info",
		LogRetention:    7 * 24 * time.Hour,
		MeiliIndex:      "pharmacies",
		MeiliTimeout:    300 * time.Millisecond,
		CookieSecure:    true,
		SessionTTL:      12 * time.Hour,
		SessionIdle:     2 * time.Hour,
		ProbeInterval:   30 * time.Second,
		ReportThreshold: 5,
		CacheMB:         48,
		MemoryMB:        224,
		CacheFresh:      time.Minute,
		ComputeLimit:    16,
		APIRate:         20,
		NotifyHoldUp:    5 * time.Minute,
		NotifyRetry:     30 * time.Second,
		NotifyGiveUp:    24 * time.Hour,
		NotifyWindow:    10 * time.Minute,
		SMTPConnections: 8,
		SMTPRate:        200,
	}
}

// envFlags binds flags to fields with defaults from the environment.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
	// fromEnv applies the environment's strings after parsing, to the flags not given, so
	// that the help and a mistyped flag's message never print a variable's value (a
	// connection string's password, a key).
	fromEnv []func(given map[string]bool)
}

func newEnvFlags(name string, stderr io.Writer, getenv func(string) string) *envFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &envFlags{fs: fs, getenv: getenv}
}

func (f *envFlags) string(p *string, name, env, help string) {
	f.fs.StringVar(p, name, *p, help+" ("+env+")")
	f.fromEnv = append(f.fromEnv, func(given map[string]bool) {
		if v := f.getenv(env); v != "" && !given[name] {
			*p = v
		}
	})
}

func (f *envFlags) bool(p *bool, name, env, help string) {
	if v := f.getenv(env); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a boolean", env, v))
		}
		*p = b
	}
	f.fs.BoolVar(p, name, *p, help+" ("+env+")")
}

func (f *envFlags) int(p *int, name, env, help string) {
	if v := f.getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a whole number", env, v))
		}
		*p = n
	}
	f.fs.IntVar(p, name, *p, help+" ("+env+")")
}

func (f *envFlags) duration(p *time.Duration, name, env, help string) {
	if v := f.getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a duration like 2s", env, v))
		}
		*p = d
	}
	f.fs.DurationVar(p, name, *p, help+" ("+env+")")
}

func (f *envFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if len(f.errs) > 0 {
		return usageError{errors.Join(f.errs...).Error()}
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, apply := range f.fromEnv {
		apply(given)
	}
	return nil
}

func (f *envFlags) storeFlags(c *Config) {
	f.string(&c.DB, "db", "APOPORTAL_DB", "the store: a SQLite file (or sqlite:FILE), or postgres://user@host:port/db?… (libpq's multi-host form finds the primary)")
}

func (f *envFlags) meiliFlags(c *Config) {
	f.string(&c.MeiliURL, "meili-url", "APOPORTAL_MEILI_URL", "Meilisearch URL; empty: the embedded engine alone")
	f.string(&c.MeiliKey, "meili-key", "APOPORTAL_MEILI_KEY", "Meilisearch master or admin key (prefer the variable: flags show in ps)")
	f.string(&c.MeiliIndex, "meili-index", "APOPORTAL_MEILI_INDEX", "Meilisearch index")
	f.string(&c.Instance, "instance", "APOPORTAL_INSTANCE", "this portal's name among several on one store: names its Meilisearch's cursor (empty: a portal alone)")
}

func (f *envFlags) serveFlags(c *Config) {
	f.string(&c.Addr, "addr", "APOPORTAL_ADDR", "address to listen on")
	f.storeFlags(c)
	f.bool(&c.Demo, "demo", "APOPORTAL_DEMO", "fill an empty database with the generated demo registry")
	f.string(&c.TileURL, "tile-url", "APOPORTAL_TILE_URL", "map tile URL template with {z}/{x}/{y}; empty hides the map")
	f.string(&c.LegalDir, "legal-dir", "APOPORTAL_LEGAL_DIR", "folder of impressum.md, datenschutz.md, barrierefreiheit.md (Markdown; missing: the page says so)")
	f.duration(&c.SearchTimeout, "search-timeout", "APOPORTAL_SEARCH_TIMEOUT", "deadline of one search")
	f.duration(&c.SyncInterval, "sync-interval", "APOPORTAL_SYNC_INTERVAL", "how often the search index follows the database")
	f.string(&c.LogLevel, "log-level", "APOPORTAL_LOG_LEVEL", "log level: debug, info, warn, error")
	f.string(&c.AccessLog, "access-log", "APOPORTAL_ACCESS_LOG", "folder of the access log with client addresses (a file a day); empty: request lines without addresses in the process's log")
	f.duration(&c.LogRetention, "log-retention", "APOPORTAL_LOG_RETENTION", "how long the access log's files are kept (1 to 90 days, e.g. 168h); the privacy statement says it")
	f.meiliFlags(c)
	f.bool(&c.CookieSecure, "cookie-secure", "APOPORTAL_COOKIE_SECURE", "send session cookies only over HTTPS; false only for local http")
	f.duration(&c.SessionTTL, "session-ttl", "APOPORTAL_SESSION_TTL", "how long a login lasts (a counter shift)")
	f.duration(&c.SessionIdle, "session-idle", "APOPORTAL_SESSION_IDLE", "a login ends after this long without use (the shared counter PC)")
	f.string(&c.PublicURL, "public-url", "APOPORTAL_PUBLIC_URL", "the portal's public base URL for links in the feed (default http://ADDR)")
	f.string(&c.TrustedProxies, "trusted-proxies", "APOPORTAL_TRUSTED_PROXIES", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	f.string(&c.NationalURL, "national-url", "APOPORTAL_NATIONAL_URL", "URL of the national issuing service to probe; empty: not monitored")
	f.duration(&c.ProbeInterval, "probe-interval", "APOPORTAL_PROBE_INTERVAL", "time between probes of the national service while it is up")
	f.string(&c.MonitorConfig, "monitor-config", "APOPORTAL_MONITOR_CONFIG", "JSON file of targets to probe (see README); --national-url sets the national target's URL")
	f.fs.IntVar(&c.ReportThreshold, "report-threshold", c.ReportThreshold, "distinct pharmacies reporting failures within 15 minutes that raise 'Störung gemeldet'")
	f.duration(&c.ConfirmationMaxAge, "confirmation-max-age", "APOPORTAL_CONFIRMATION_MAX_AGE",
		"show 'active' participation not confirmed within this age as 'unconfirmed' (0: no limit)")
	f.int(&c.CacheMB, "cache-mb", "APOPORTAL_CACHE_MB", "memory bound of the response cache in MB (0: no cache)")
	f.duration(&c.CacheFresh, "cache-fresh", "APOPORTAL_CACHE_FRESH", "how long a cached answer is served as it is (writes refresh the answers they touch at once)")
	f.int(&c.ComputeLimit, "compute-limit", "APOPORTAL_COMPUTE_LIMIT", "answers computed at once; more wait up to 100 ms, then get 503 unless a cached answer exists")
	f.int(&c.MemoryMB, "memory-mb", "APOPORTAL_MEMORY_MB", "soft memory limit of the process in MB (the garbage collector works harder near it)")
	f.int(&c.APIRate, "api-rate", "APOPORTAL_API_RATE", "search API requests per second per client address, bursts of 3× (0: no limit)")
	f.duration(&c.MeiliTimeout, "meili-timeout", "APOPORTAL_MEILI_TIMEOUT", "deadline of a Meilisearch search before the embedded engine answers")
	f.duration(&c.NotifyHoldUp, "notify-hold-up", "APOPORTAL_NOTIFY_HOLD_UP", "how long the national service must stay up before subscribers hear it is back")
	f.duration(&c.NotifyRetry, "notify-retry", "APOPORTAL_NOTIFY_RETRY", "delay of a failed notification's first retry; each next doubles, up to an hour")
	f.duration(&c.NotifyGiveUp, "notify-give-up", "APOPORTAL_NOTIFY_GIVE_UP", "a notification still failing this long after it was due is given up")
	f.string(&c.SMTPURL, "smtp-url", "APOPORTAL_SMTP_URL", "mail server for e-mail notifications: smtp://user@host:587 (STARTTLS), smtps://user@host:465, smtp+plain://host:25 (no TLS, no credentials); the password in APOPORTAL_SMTP_PASSWORD")
	c.SMTPPassword = f.getenv("APOPORTAL_SMTP_PASSWORD")
	f.string(&c.MailFrom, "mail-from", "APOPORTAL_MAIL_FROM", "sender address of e-mail notifications")
	f.int(&c.SMTPConnections, "smtp-connections", "APOPORTAL_SMTP_CONNECTIONS", "connections to the mail server at once")
	f.int(&c.SMTPRate, "smtp-rate", "APOPORTAL_SMTP_RATE", "messages per second to the mail server")
	f.string(&c.AlertMail, "alert-mail", "APOPORTAL_ALERT_MAIL", "comma-separated addresses of the operators, mailed when the store or a search engine fails and when it is back (needs --smtp-url)")
	f.duration(&c.NotifyWindow, "notify-window", "APOPORTAL_NOTIFY_WINDOW", "at most one message per subscriber within this time; changes within it go out together, summarised (0: every change at once)")
	f.bool(&c.WebhookAllowInternal, "webhook-allow-internal", "APOPORTAL_WEBHOOK_ALLOW_INTERNAL", "let webhooks reach loopback, private and link-local addresses (closed networks, tests)")
}

// Validate checks the options that flags cannot.
func (c Config) Validate() error {
	if c.DB == "" {
		return usageError{"--db must name a SQLite file or a postgres:// URL"}
	}
	if c.TileURL != "" {
		u, err := url.Parse(c.TileURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return usageError{fmt.Sprintf("--tile-url %q is not an http(s) URL", c.TileURL)}
		}
	}
	if c.NationalURL != "" {
		u, err := url.Parse(c.NationalURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageError{fmt.Sprintf("--national-url %q is not an http(s) URL", c.NationalURL)}
		}
	}
	if c.ProbeInterval < time.Second || c.ReportThreshold < 1 {
		return usageError{"--probe-interval must be at least 1s and --report-threshold at least 1"}
	}
	if c.CacheMB < 0 || c.CacheFresh < time.Second || c.ComputeLimit < 1 || c.APIRate < 0 || c.MemoryMB < 2*c.CacheMB {
		return usageError{"--cache-mb and --api-rate must not be negative, --memory-mb at least twice --cache-mb, --cache-fresh at least 1s, --compute-limit at least 1"}
	}
	if c.ConfirmationMaxAge < 0 {
		return usageError{"--confirmation-max-age must not be negative"}
	}
	if c.NotifyHoldUp < 0 || c.NotifyWindow < 0 || c.NotifyRetry <= 0 || c.NotifyGiveUp < time.Minute {
		return usageError{"--notify-hold-up and --notify-window must not be negative, --notify-retry must be positive and --notify-give-up at least 1m"}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				return usageError{"--smtp-url must not hold the password (flags show in ps): put it in APOPORTAL_SMTP_PASSWORD"}
			}
		}
		if c.PublicURL == "" {
			return usageError{"--smtp-url needs --public-url: the links in the messages point there"}
		}
		if _, err := c.mailer(); err != nil {
			return usageError{"--smtp-url and --mail-from: " + err.Error()} // the URL may hold credentials: not echoed
		}
	}
	if _, err := c.alertAddresses(); err != nil {
		return usageError{err.Error()}
	}
	if c.SearchTimeout <= 0 || c.SyncInterval <= 0 || c.MeiliTimeout <= 0 || c.SessionTTL <= 0 || c.SessionIdle <= 0 {
		return usageError{"--search-timeout, --sync-interval, --meili-timeout, --session-ttl and --session-idle must be positive"}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return usageError{fmt.Sprintf("--public-url %q is not an http(s) base URL like https://apoportal.de", c.PublicURL)}
		}
	}
	if _, err := c.trustedProxies(); err != nil {
		return usageError{err.Error()}
	}
	if c.MeiliURL != "" {
		u, err := url.Parse(c.MeiliURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageError{"--meili-url is not an http(s) URL"} // the URL may hold credentials: not echoed
		}
		if c.MeiliKey == "" {
			return usageError{"--meili-url needs a key (APOPORTAL_MEILI_KEY)"}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return usageError{fmt.Sprintf("--log-level %q is not one of debug, info, warn, error", c.LogLevel)}
	}
	if c.LogRetention < 24*time.Hour || c.LogRetention > 90*24*time.Hour || c.LogRetention%(24*time.Hour) != 0 {
		return usageError{fmt.Sprintf("--log-retention %s is not a whole number of days from 1 to 90 (24h to 2160h)", c.LogRetention)}
	}
	return nil
}

// publicBase is the portal's public base URL without a trailing slash.
func (c Config) publicBase() string {
	if c.PublicURL == "" {
		return "http://" + c.Addr
	}
	return strings.TrimSuffix(c.PublicURL, "/")
}

// trustedProxies parses --trusted-proxies.
func (c Config) trustedProxies() ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is not a CIDR like 10.0.0.0/8 or 127.0.0.1/32", s)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// alertAddresses are --alert-mail's addresses, each checked.
func (c Config) alertAddresses() ([]string, error) {
	if strings.TrimSpace(c.AlertMail) == "" {
		return nil, nil
	}
	if c.SMTPURL == "" {
		return nil, errors.New("--alert-mail needs --smtp-url")
	}
	var out []string
	for _, a := range strings.Split(c.AlertMail, ",") {
		s, err := data.CheckMailSubscription(data.Subscription{Email: a})
		if err != nil {
			return nil, fmt.Errorf("--alert-mail: %q is not an e-mail address", strings.TrimSpace(a))
		}
		out = append(out, s.Email)
	}
	return out, nil
}

// mailer is the mail server's client, nil without --smtp-url.
func (c Config) mailer() (*notify.Mailer, error) {
	if c.SMTPURL == "" {
		return nil, nil
	}
	if c.SMTPConnections < 1 || c.SMTPRate <= 0 {
		return nil, fmt.Errorf("--smtp-connections must be at least 1 and --smtp-rate positive")
	}
	raw := c.SMTPURL
	if u, err := url.Parse(raw); err == nil && u.User != nil && c.SMTPPassword != "" {
		u.User = url.UserPassword(u.User.Username(), c.SMTPPassword)
		raw = u.String()
	}
	return notify.NewMailer(notify.MailConfig{URL: raw, From: c.MailFrom, Connections: c.SMTPConnections, PerSecond: float64(c.SMTPRate), Timeout: 30 * time.Second})
}

// meili is the Meilisearch engine's configuration: with --instance, the cursor is this
// portal's own (each portal of several feeds the Meilisearch on its machine).
func (c Config) meili() meili.Config {
	cfg := meili.Config{URL: c.MeiliURL, Key: c.MeiliKey, Index: c.MeiliIndex}
	if c.Instance != "" {
		cfg.Cursor = meili.Name + "@" + c.Instance
	}
	return cfg
}
