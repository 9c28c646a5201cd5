package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/demo"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/search/local"
	"github.com/apoportal/apoportal/search/meili"
	"github.com/apoportal/apoportal/server/accesslog"
	"github.com/apoportal/apoportal/server/lease"
	"github.com/apoportal/apoportal/server/legal"
	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/server/notify"
	"github.com/apoportal/apoportal/server/pagecache"
	"github.com/apoportal/apoportal/server/status"
	"github.com/apoportal/apoportal/static"
	"github.com/labstack/echo/v4/middleware"
)

// App is the running portal: configuration, store, search and assets. Handlers are its
// methods; it holds no other state.
type App struct {
	cfg      Config
	log      *slog.Logger
	store    data.Store
	engine   *local.Engine
	meili    *meili.Engine   // nil without --meili-url
	breaker  *search.Breaker // guards meili
	searcher *search.Searcher
	assets   *static.Assets
	legal    *legal.Texts
	hours    *openinghours.Cache // opening hours of pharmacies read from the store, parsed once
	demo     bool
	// gazetteerVersion is that of the gazetteer the searcher holds; reloadGazetteer follows imports.
	gazetteerVersion string
	throttle         *throttle
	access           *accessLog
	banner           atomic.Pointer[bannerMemo]  // the banner's last state and cache key
	keys             *answerKeys                 // cache keys of requests seen, for the hit path
	accelSecond      atomic.Pointer[secondValue] // X-Accel-Expires of the current second
	searchLimit      middleware.RateLimiterStore // the search API's limit per address; nil without
	devices          deviceCookies
	monitor          *monitor.Monitor       // the national service (when configured) and the portal's parts
	status           *status.Service        // the status page's rules: history, incidents, reports, banner
	duties           *lease.Keeper          // the lease on work done once across processes: probing, pruning, notifying
	sender           *notify.Sender         // works the outbox of notifications
	mailer           *notify.Mailer         // the mail server's client; nil without one
	postbox          *notify.Postbox        // sends confirmation mails; nil without a mail server
	alerts           *notify.Postbox        // sends the operators' alerts; nil without --alert-mail
	generations      *pagecache.Generations // what cached answers depend on, bumped by writes
	answers          *pagecache.Cache       // public answers, rendered; nil with --cache-mb 0
	computing        chan struct{}          // slots of the compute limit
	inflight         chan struct{}          // slots of requests running at once
	now              func() time.Time
}

func serveCommand(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	cfg := DefaultConfig()
	f := newEnvFlags("serve", stderr, getenv)
	f.serveFlags(&cfg)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	debug.SetMemoryLimit(int64(cfg.MemoryMB) << 20)
	app, err := OpenApp(ctx, cfg, log, time.Now)
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := listen(cfg.Addr, getenv)
	if err != nil {
		return err
	}
	return app.Serve(ctx, ln)
}

// OpenApp opens the store, fills it with the demo registry where asked and empty, and
// loads the search index. now is the clock (nil: time.Now).
func OpenApp(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*App, error) {
	if now == nil {
		now = time.Now
	}
	store, err := openStore(ctx, cfg.DB, now)
	if err != nil {
		return nil, err
	}
	if refusal := store.Refusal(); refusal != nil {
		log.Warn("serving reads only", "db", storeName(cfg.DB), "reason", refusal)
	}
	var files *accesslog.Files
	if cfg.AccessLog != "" {
		if files, err = accesslog.Open(cfg.AccessLog, cfg.LogRetention, now); err != nil {
			store.Close()
			return nil, err
		}
	}
	app := &App{cfg: cfg, log: log, store: store, now: now, hours: openinghours.NewCache(), throttle: &throttle{store: store, now: now, log: log},
		access: newAccessLog(log, files), keys: newAnswerKeys()}
	if cfg.APIRate > 0 {
		app.searchLimit = memoryStore(float64(cfg.APIRate), 3*cfg.APIRate)
	}
	if app.devices, err = openDeviceCookies(ctx, cfg, store, log, now); err != nil {
		store.Close()
		return nil, err
	}
	if err := app.open(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return app, nil
}

// openDeviceCookies signs device cookies with the store's key. A store that refuses writes
// and has no key yet gets one for this process: cookies then last until it restarts.
func openDeviceCookies(ctx context.Context, cfg Config, store data.Store, log *slog.Logger, now func() time.Time) (deviceCookies, error) {
	key, err := store.Secret(ctx, "device_cookie")
	if data.ErrorCode(err) == data.EUNAVAILABLE {
		log.Warn("device cookies signed with a key of this process only", "reason", err)
		key, err = randomKey(), nil
	}
	if err != nil {
		return deviceCookies{}, err
	}
	return deviceCookies{key: key, secure: cfg.CookieSecure, now: now}, nil
}

func (a *App) open(ctx context.Context) error {
	if a.cfg.Demo {
		if err := a.fillDemo(ctx); err != nil {
			return err
		}
	}
	var err error
	if a.demo, err = a.store.IsDemo(ctx); err != nil {
		return err
	}
	if a.assets, err = static.Load(); err != nil {
		return err
	}
	if a.legal, err = legal.Load(a.cfg.LegalDir, a.demo); err != nil {
		return err
	}
	a.engine = local.New(a.store)
	start := time.Now()
	if err := a.engine.Sync(ctx); err != nil {
		return err
	}
	pcs, version, err := a.store.Postcodes(ctx)
	if err != nil {
		return err
	}
	a.generations = pagecache.NewGenerations()
	a.engine.OnChange(a.forgetChanged)
	if a.cfg.CacheMB > 0 {
		a.answers = pagecache.New(pagecache.Config{Fresh: a.cfg.CacheFresh, Keep: time.Hour, MaxBytes: int64(a.cfg.CacheMB) << 20,
			Timeout: a.cfg.SearchTimeout + time.Second}, a.generations, a.now)
	}
	a.computing = make(chan struct{}, a.cfg.ComputeLimit)
	a.inflight = make(chan struct{}, 4*a.cfg.ComputeLimit)
	var engine search.Engine = a.engine
	if a.cfg.MeiliURL != "" {
		a.meili = meili.New(a.cfg.meili(), a.now)
		a.meili.Follows(a.engine.Seq)
		a.breaker = search.NewBreaker(3, time.Second, 30*time.Second, nil)
		engine = search.NewFallback(a.meili, a.engine, a.cfg.MeiliTimeout, a.breaker, func(err error) {
			a.log.Warn("meilisearch failed, the local engine answers", "err", err)
		})
	}
	a.searcher = search.NewSearcher(engine, a.engine, search.NewGazetteer(pcs), a.now)
	a.gazetteerVersion = version
	a.searcher.SetMaxConfirmationAge(a.cfg.ConfirmationMaxAge)
	targets, err := a.monitorTargets()
	if err != nil {
		return err
	}
	a.status = status.New(a.store, a.cfg.ReportThreshold, a.cfg.NotifyHoldUp, a.log, a.now)
	ncfg := notify.DefaultConfig()
	ncfg.FirstRetry, ncfg.GiveUpAfter, ncfg.AllowInternal, ncfg.PublicURL = a.cfg.NotifyRetry, a.cfg.NotifyGiveUp, a.cfg.WebhookAllowInternal, a.cfg.publicBase()
	ncfg.Window = a.cfg.NotifyWindow
	mailer, err := a.cfg.mailer()
	if err != nil {
		return err
	}
	var alerts *notify.Alerts
	if mailer != nil {
		a.mailer, a.postbox = mailer, notify.NewPostbox(mailer, 2, a.cfg.NotifyRetry, a.log)
		if to, _ := a.cfg.alertAddresses(); len(to) > 0 { // checked by Validate
			// Their own queue: confirmations that pile up must not hold the operators' alerts.
			a.alerts = notify.NewPostbox(mailer, 1, a.cfg.NotifyRetry, a.log)
			alerts = notify.NewAlerts(mailer, a.alerts, to, holderName(a.cfg.Instance), a.cfg.NotifyWindow, a.log, a.now)
		}
	}
	a.sender = notify.New(a.store, ncfg, mailer, a.log, a.now)
	a.monitor = monitor.New(targets, a.now, a.status.RecordCheck)
	a.monitor.OnChange(func(ch monitor.Change) {
		a.status.OnChange(ch)
		if alerts != nil {
			alerts.OnChange(ch)
		}
	})
	a.status.Watch(a.monitor)
	// Of several processes on one store, one probes the external services (the national
	// service must not get one probe per portal) and prunes; it loses the lease within its
	// time to live when it dies or loses the store, and another takes over.
	a.duties = lease.New(a.store, "duties", holderName(a.cfg.Instance), max(a.cfg.ProbeInterval, 2*time.Second), a.log)
	a.monitor.Gate(a.duties.Held)
	a.log.Info("search index loaded", "engine", a.engine.Name(), "pharmacies", a.engine.Len(), "postcodes", len(pcs),
		"took", time.Since(start).Round(time.Millisecond), "demo", a.demo)
	return nil
}

// fillDemo stores the demo registry if the database has no pharmacies.
func (a *App) fillDemo(ctx context.Context) error {
	n, err := a.store.CountPharmacies(ctx)
	if err != nil || n > 0 {
		return err
	}
	ps, pcs := demo.Registry()
	if _, err := a.store.UpsertPharmacies(ctx, ps); err != nil {
		return fmt.Errorf("store demo registry: %w", err)
	}
	if err := a.store.ReplacePostcodes(ctx, pcs); err != nil {
		return fmt.Errorf("store demo gazetteer: %w", err)
	}
	if err := a.store.MarkDemo(ctx); err != nil {
		return err
	}
	a.log.Info("empty database filled with the demo registry", "pharmacies", len(ps))
	return nil
}

// Close writes out the access log and releases the store.
func (a *App) Close() error {
	a.access.stop()
	return a.store.Close()
}

// Serve answers HTTP on ln until ctx ends, then lets requests in flight finish.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go a.engine.Follow(bg, a.cfg.SyncInterval, func(err error) { a.log.Warn("search index sync failed", "err", err) })
	go repeat(bg, 10*time.Second, a.reloadGazetteer)
	go a.duties.Run(bg)
	go a.monitor.Run(bg)
	// The postboxes outlive the requests: they stop after the last request is answered and
	// what they hold is sent (a confirmation's token is only in the mail it posts). The
	// outbox's loops finish their round before the store is closed.
	mail, stopMail := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	var postboxes []*notify.Postbox
	for _, p := range []*notify.Postbox{a.postbox, a.alerts} {
		if p != nil {
			postboxes = append(postboxes, p)
			workers.Go(func() { p.Run(mail) }) // in every process: a confirmation's token is only in the mail it posts
		}
	}
	defer func() {
		stopBackground()
		for _, p := range postboxes {
			p.Drain(10 * time.Second)
		}
		stopMail()
		workers.Wait()
	}()
	go repeat(bg, time.Second, a.status.ReadShared) // what the prober, maybe another process, recorded
	go repeat(bg, time.Hour, func(ctx context.Context) {
		if a.duties.Held() {
			a.status.Prune(ctx)
			if _, err := a.store.PruneNotifications(ctx, a.now().Add(-data.NotificationRetention)); err != nil && ctx.Err() == nil {
				a.log.Warn("prune notifications", "err", err)
			}
		}
	})
	go repeat(bg, throttleMemory/10, func(ctx context.Context) {
		if a.duties.Held() {
			a.throttle.forget(ctx)
		}
	})
	go repeat(bg, 10*time.Second, a.status.RecountReports) // reports age out of the window
	for _, ch := range []data.Channel{data.ChannelWebhook, data.ChannelMail} {
		workers.Go(func() {
			repeat(bg, 500*time.Millisecond, func(ctx context.Context) {
				// The outbox, once across the portal's processes, a loop per channel (a slow
				// webhook never holds the mail); after a full round the next at once.
				for a.duties.Held() && a.sender.Work(ctx, ch) {
				}
			})
		})
	}
	go repeat(bg, status.RecordTTL, a.status.Refresh) // keeps the banner's maintenance and /status warm
	if a.meili != nil {
		// Meilisearch may be down at start: Follow prepares it when it answers.
		go a.meili.Follow(bg, a.store, a.cfg.SyncInterval, time.Minute, func(err error) {
			a.log.Warn("meilisearch sync", "err", err)
		})
	}

	busy := &busyConns{state: map[net.Conn]http.ConnState{}} // connections with a request on them, or about to
	srv.ConnState = busy.track
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Drain without failing anyone: stop accepting (with a handed-over socket the next
	// process accepts instead) and answer every request on the connections we hold with
	// "Connection: close", so their clients close them. Shut down once no connection has a
	// request on it or is new (its first request may be on the way: http.Server.Shutdown
	// alone would hang up on it), and the clients have had a moment to use and close the
	// idle ones; those still idle then (a proxy's spare pool) are closed, and the proxy opens
	// new ones to the other portals.
	a.log.Info("shutting down: finishing requests in flight")
	ln.Close()
	<-errc // Serve has let go of the listener: Shutdown must not close it again
	srv.SetKeepAlivesEnabled(false)
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if busyN, openN := busy.count(); busyN == 0 && (openN == 0 || time.Since(start) > idleGrace) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	shutdownCtx, cancel := context.WithDeadline(context.Background(), deadline.Add(time.Second))
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// busyConns counts the connections that are new or carry a request.
type busyConns struct {
	mu    sync.Mutex
	state map[net.Conn]http.ConnState
}

func (b *busyConns) track(c net.Conn, st http.ConnState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(b.state, c)
		return
	}
	b.state[c] = st
}

// count is how many connections are new or carry a request, and how many are open.
func (b *busyConns) count() (busy, open int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, st := range b.state {
		if st == http.StateNew || st == http.StateActive {
			busy++
		}
	}
	return busy, len(b.state)
}

// idleGrace is how long a draining portal leaves idle connections to their clients.
const idleGrace = time.Second

// holderName names this process among the portal's on one store: its instance (or host)
// name, process id and a random part, so a restarted process is a new holder.
func holderName(instance string) string {
	if instance == "" {
		instance, _ = os.Hostname()
	}
	return fmt.Sprintf("%s/%d/%x", instance, os.Getpid(), data.RandomBytes(4))
}

// repeat runs fn now and then every interval until ctx ends.
func repeat(ctx context.Context, every time.Duration, fn func(context.Context)) {
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// reloadGazetteer swaps in the gazetteer when an import replaced it.
func (a *App) reloadGazetteer(ctx context.Context) {
	v, err := a.store.GazetteerVersion(ctx)
	if err != nil || v == a.gazetteerVersion {
		return
	}
	pcs, v, err := a.store.Postcodes(ctx)
	if err != nil {
		a.log.Warn("reload gazetteer", "err", err)
		return
	}
	a.searcher.SetGazetteer(search.NewGazetteer(pcs))
	a.gazetteerVersion = v
	a.log.Info("gazetteer reloaded", "postcodes", len(pcs))
}
