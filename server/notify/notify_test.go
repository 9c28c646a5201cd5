package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/sqlite"
)

// receiver is a webhook endpoint that checks each message's signature as the Standard
// Webhooks specification says a receiver must, and answers as told.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter) // the n-th request (from 1)
}

type received struct {
	id, typ, state string
	changes        int
	valid          bool
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{t: t, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var msg struct {
			Type string `json:"type"`
			Data struct {
				State   string `json:"state"`
				Changes []any  `json:"changes"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &msg)
		valid := r.verify(req, body)
		r.mu.Lock()
		r.got = append(r.got, received{id: req.Header.Get("webhook-id"), typ: msg.Type, state: msg.Data.State, changes: len(msg.Data.Changes), valid: valid})
		n := len(r.got)
		r.mu.Unlock()
		if r.answer != nil {
			r.answer(n, w)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// verify is the receiver's side, written apart from Sign: HMAC-SHA256 over
// "id.timestamp.body" with the base64 key after "whsec_", a timestamp within five minutes.
func (r *receiver) verify(req *http.Request, body []byte) bool {
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts, err2 := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	if err != nil || err2 != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(req.Header.Get("webhook-id") + "." + strconv.FormatInt(ts, 10) + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(req.Header.Get("webhook-signature")), []byte(want))
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type fixture struct {
	db     *sqlite.DB
	sender *Sender
}

func newFixture(t *testing.T, cfg Config) fixture {
	t.Helper()
	db, err := openSQLite(filepath.Join(t.TempDir(), "outbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return fixture{db: db, sender: New(db, cfg, nil, discard(), time.Now)}
}

func openSQLite(path string) (*sqlite.DB, error) { return sqlite.Open(context.Background(), path, nil) }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (f fixture) subscribe(t *testing.T, r *receiver, url string) {
	t.Helper()
	s, _, err := f.db.Subscribe(context.Background(), data.Subscription{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.secret = s.Secret
	r.mu.Unlock()
}

func (f fixture) goDown(t *testing.T) {
	t.Helper()
	if err := f.db.RecordStateChange(context.Background(), data.StateChange{Target: "national", To: data.TopicDown, At: time.Now(),
		Message: "HTTP 503", IncidentTitle: "gestört", IncidentMessage: "erkannt"}); err != nil {
		t.Fatal(err)
	}
}

// work runs the sender until the outbox has nothing pending or the time is up.
func (f fixture) work(t *testing.T, within time.Duration) data.DeliveryCounts {
	t.Helper()
	var c data.DeliveryCounts
	for start := time.Now(); time.Since(start) < within; time.Sleep(20 * time.Millisecond) {
		f.sender.Work(context.Background(), data.ChannelWebhook)
		f.sender.Work(context.Background(), data.ChannelMail)
		var err error
		if c, err = f.db.CountDeliveries(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c.Pending == 0 {
			break
		}
	}
	return c
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.FirstRetry, cfg.MaxRetry, cfg.Timeout, cfg.AllowInternal = 20*time.Millisecond, 100*time.Millisecond, 300*time.Millisecond, true
	return cfg
}

// A delivery is signed as Standard Webhooks says, with the status API's state; a failing
// receiver gets it again with the same webhook-id until it takes it.
func TestSender_SignedRetriedUntilTaken(t *testing.T) {
	f := newFixture(t, testConfig())
	flaky := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n <= 2 {
			http.Error(w, "busy", http.StatusInternalServerError)
		}
	})
	f.subscribe(t, flaky, flaky.srv.URL+"/hook")
	f.goDown(t)
	if c := f.work(t, 5*time.Second); c != (data.DeliveryCounts{Sent: 1}) {
		t.Fatalf("outbox after the retries: %+v", c)
	}
	got := flaky.received()
	if len(got) != 3 || got[0].id == "" || got[1].id != got[0].id || got[2].id != got[0].id {
		t.Fatalf("attempts: %+v (want three with one webhook-id)", got)
	}
	for _, g := range got {
		if !g.valid || g.typ != "national_service.down" || g.state != "down" {
			t.Errorf("message %+v", g)
		}
	}
}

// A receiver that stays broken is given up once GiveUpAfter has passed; one that takes too
// long fails by the timeout; a redirect is not followed.
func TestSender_GivesUpTimesOutFollowsNoRedirect(t *testing.T) {
	cfg := testConfig()
	cfg.GiveUpAfter = 400 * time.Millisecond
	f := newFixture(t, cfg)
	broken := newReceiver(t, func(_ int, w http.ResponseWriter) { http.Error(w, "no", http.StatusBadGateway) })
	slow := newReceiver(t, func(int, http.ResponseWriter) { time.Sleep(time.Second) })
	elsewhere := newReceiver(t, nil)
	redirecting := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", elsewhere.srv.URL)
		w.WriteHeader(http.StatusFound)
	})
	for _, r := range []*receiver{broken, slow, redirecting} {
		f.subscribe(t, r, r.srv.URL)
	}
	f.goDown(t)
	start := time.Now()
	c := f.work(t, 10*time.Second)
	if c != (data.DeliveryCounts{GivenUp: 3}) {
		t.Fatalf("outbox: %+v", c)
	}
	if len(broken.received()) < 2 || len(elsewhere.received()) != 0 || len(redirecting.received()) < 2 {
		t.Errorf("broken %d, redirecting %d, followed %d", len(broken.received()), len(redirecting.received()), len(elsewhere.received()))
	}
	given, err := f.db.GivenUpDeliveries(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range given {
		if strings.Contains(g.Problem, "127.0.0.1") { // a webhook's URL is often a secret
			t.Errorf("the problem kept names the URL: %s", g.Problem)
		}
	}
	t.Logf("given up after %s", time.Since(start).Round(10*time.Millisecond))
}

// Without the operator's leave, a webhook does not reach a loopback address, whatever its
// name says: the connection is refused before it is made, and the delivery given up.
func TestSender_RefusesInternalAddresses(t *testing.T) {
	cfg := testConfig()
	cfg.AllowInternal = false
	f := newFixture(t, cfg)
	inside := newReceiver(t, nil)
	port := inside.srv.URL[strings.LastIndex(inside.srv.URL, ":"):]
	for _, host := range []string{"127.0.0.1", "localhost", "[::1]"} {
		f.subscribe(t, inside, "http://"+host+port+"/hook")
		if err := CheckHost(strings.Trim(host, "[]"), false); err == nil {
			t.Errorf("CheckHost(%s) allowed it", host)
		}
	}
	for _, host := range []string{"10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "fd00::1", "::ffff:127.0.0.1",
		"64:ff9b::a00:5", "64:ff9b:1::7f00:1", "2002:a00:1::1", "2001:0:4136:e378::1", "198.18.0.1", "240.0.0.1", "fec0::1"} {
		if err := CheckHost(host, false); err == nil {
			t.Errorf("CheckHost(%s) allowed it", host)
		}
	}
	for _, host := range []string{"apotheken.example.org", "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e"} {
		if err := CheckHost(host, false); err != nil {
			t.Errorf("a public host %s refused: %v", host, err)
		}
	}
	f.goDown(t)
	if c := f.work(t, 5*time.Second); c != (data.DeliveryCounts{GivenUp: 3}) {
		t.Fatalf("outbox: %+v", c)
	}
	if n := len(inside.received()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
}

// A site that answers slowly gets at most PerSite requests at once, whatever its names: the
// other sites' webhooks do not wait for it.
func TestSender_OneSlowSiteHoldsFewSlots(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout, cfg.PerSite = 5*time.Second, 2
	f := newFixture(t, cfg)
	var mu sync.Mutex
	var now, most int
	slow := newReceiver(t, func(int, http.ResponseWriter) {
		mu.Lock()
		now++
		most = max(most, now)
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		now--
		mu.Unlock()
	})
	for i := range 8 {
		f.subscribe(t, slow, fmt.Sprintf("%s/hook/%d", slow.srv.URL, i))
	}
	if site := siteOf("https://a.hooks.example.co.uk/x"); site != siteOf("https://b.example.co.uk:8443/y") || site != "example.co.uk" {
		t.Errorf("sites: %s", site)
	}
	f.goDown(t)
	if c := f.work(t, 10*time.Second); c != (data.DeliveryCounts{Sent: 8}) {
		t.Fatalf("outbox: %+v", c)
	}
	if most != 2 {
		t.Errorf("%d requests at once to one site, want 2", most)
	}
}
