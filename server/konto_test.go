package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/apoportal/apoportal/data"
)

const goodPassword = "Rezeptur am Dienstag früh"

// browserless is a client with cookies, like a browser without JavaScript.
type browserless struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowserless(t *testing.T, base string) *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (b *browserless) get(path string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	d, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, d
}

// submit posts a form of the page at path, with the page's CSRF token unless omitted.
func (b *browserless) submit(path, action string, form url.Values, withToken bool) (*http.Response, *goquery.Document) {
	b.t.Helper()
	_, page := b.get(path)
	if withToken {
		form.Set("_csrf", page.Find("input[name=_csrf]").First().AttrOr("value", ""))
	}
	res, err := b.c.PostForm(b.base+action, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	d, _ := goquery.NewDocumentFromReader(res.Body)
	return res, d
}

func (b *browserless) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// kontoApp serves the shared registry with cookies allowed over http, and a pharmacy
// account for pharmacy A, activated unless told otherwise.
func kontoApp(t *testing.T, activate bool, options ...func(*Config)) (*App, string, string, *clock) {
	t.Helper()
	cl := &clock{now: time.Now()}
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure = sharedDBCopy(t), false
	for _, o := range options {
		o(&cfg)
	}
	app, _ := openTestApp(t, cfg, cl.Now)
	_, code, err := app.store.CreateAccount(context.Background(), data.RolePharmacy, "neue@example.org", pharmacyA, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if activate {
		if _, _, err := app.store.ActivateAccount(context.Background(), code, goodPassword, data.Actor{Name: "test", Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return app, serveApp(t, app), code, cl
}

func (b *browserless) login(login, pw string) *http.Response {
	b.t.Helper()
	res, _ := b.submit("/login", "/login", url.Values{"login": {login}, "password": {pw}}, true)
	return res
}

func issuing(t *testing.T, base, id string) bool {
	t.Helper()
	res, err := http.Get(base + "/api/v1/pharmacies?q=01069&certificates=true&limit=100")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return strings.Contains(readAll(t, res.Body), `"id":"`+id+`"`)
}

func TestKonto_ActivateLoginSwitchLogout(t *testing.T) {
	app, base, code, _ := kontoApp(t, false)
	b := newBrowserless(t, base)
	res, d := b.submit("/aktivieren", "/aktivieren", url.Values{"code": {strings.ToLower(code)}, "password": {goodPassword}, "password2": {goodPassword}}, true)
	if res.Request.URL.Path != "/login" || d.Find("[data-testid=notice]").Length() != 1 {
		t.Fatalf("activation ended at %s", res.Request.URL)
	}
	res, d = b.submit("/aktivieren", "/aktivieren", url.Values{"code": {code}, "password": {goodPassword}, "password2": {goodPassword}}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(d.Find("[data-testid=error]").Text(), "Aktivierungscode") {
		t.Fatalf("second use of the code: %d", res.StatusCode)
	}
	if res := b.login("neue@example.org", goodPassword); res.Request.URL.Path != "/konto" {
		t.Fatalf("login ended at %s (%d)", res.Request.URL, res.StatusCode)
	}
	res, d = b.get("/konto")
	if d.Find("[data-testid=dashboard-name]").Text() != "Neue-Apotheke im Zentrum" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("dashboard: %q, Cache-Control %q", d.Find("[data-testid=dashboard-name]").Text(), res.Header.Get("Cache-Control"))
	}
	if !issuing(t, base, pharmacyA) {
		t.Fatal("pharmacy not issuing before the switch")
	}
	// The form cannot name another pharmacy: an added field is ignored.
	b.submit("/konto", "/konto/teilnahme", url.Values{"participating": {"false"}, "pharmacy_id": {pharmacyB}}, true)
	if issuing(t, base, pharmacyA) {
		t.Fatal("switch not visible in public search")
	}
	if !issuing(t, base, pharmacyB) {
		t.Fatal("another pharmacy's switch changed")
	}
	if log, _ := app.store.AuditLog(context.Background(), pharmacyA, 1); len(log) == 0 || !strings.Contains(log[0].Actor, "neue@example.org") {
		t.Fatalf("audit %+v", log)
	}
	b.submit("/konto", "/logout", url.Values{}, true)
	if res, _ := b.get("/konto"); res.Request.URL.Path != "/login" {
		t.Fatalf("after logout /konto shows %s", res.Request.URL)
	}
}

func TestKonto_CSRF(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	b := newBrowserless(t, base)
	b.login("neue@example.org", goodPassword)
	if res, _ := b.submit("/konto", "/konto/teilnahme", url.Values{"participating": {"false"}}, false); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest {
		t.Fatalf("post without token: %d", res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/konto/teilnahme", strings.NewReader("participating=false&_csrf=forged"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, err := b.c.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %v %v", res, err)
	}
	if p, _ := app.store.Pharmacy(context.Background(), pharmacyA); !p.Participation.Participating {
		t.Fatal("a forged request switched the pharmacy off")
	}
}

func TestKonto_SessionFixation(t *testing.T) {
	_, base, _, _ := kontoApp(t, true)
	b := newBrowserless(t, base)
	u, _ := url.Parse(base)
	planted := "attacker-chosen-session-id"
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	b.login("neue@example.org", goodPassword)
	if got := b.cookie(sessionCookie); got == planted || got == "" {
		t.Fatalf("session id after login: %q", got)
	}
	attacker := newBrowserless(t, base)
	attacker.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	if res, _ := attacker.get("/konto"); res.Request.URL.Path != "/login" {
		t.Fatal("the planted session id is logged in")
	}
}

// Guessing is slowed down, and the owner still gets in once the wait is over.
func TestKonto_BruteForceThrottledOwnerGetsIn(t *testing.T) {
	_, base, _, cl := kontoApp(t, true)
	attacker := newBrowserless(t, base)
	var last *http.Response
	for i := 0; i < 6; i++ {
		last = attacker.login("neue@example.org", "falsches Passwort "+string(rune('a'+i)))
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("6th wrong password: %d", last.StatusCode)
	}
	owner := newBrowserless(t, base)
	if res := owner.login("neue@example.org", goodPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("login during the wait: %d", res.StatusCode)
	}
	cl.Add(data.MaxThrottleWait)
	if res := owner.login("neue@example.org", goodPassword); res.Request.URL.Path != "/konto" {
		t.Fatalf("owner after the wait: %d at %s", res.StatusCode, res.Request.URL)
	}
}

func TestKonto_TokensShownOnceAndScoped(t *testing.T) {
	app, base, _, _ := kontoApp(t, true)
	b := newBrowserless(t, base)
	b.login("neue@example.org", goodPassword)
	_, d := b.submit("/konto", "/konto/token", url.Values{}, true)
	token := d.Find("[data-testid=new-token]").Text()
	if !strings.HasPrefix(token, "apo_") {
		t.Fatalf("new token %q", token)
	}
	_, d = b.get("/konto")
	if strings.Contains(d.Text(), token) || d.Find("[data-testid=tokens] li").Length() != 1 {
		t.Fatal("token shown again, or not listed")
	}
	otherID, _, err := app.store.CreateAPIToken(context.Background(), pharmacyB, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := b.submit("/konto", "/konto/token/"+itoa64(otherID)+"/widerrufen", url.Values{}, true)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoking another pharmacy's token: %d", res.StatusCode)
	}
	body, _ := d.Html()
	for _, secret := range []string{"$argon2id$", token} {
		if strings.Contains(body, secret) {
			t.Fatalf("dashboard contains a secret")
		}
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// After an outage of the national service the dashboard says since when it is reachable
// again and that what was taken down on paper can be entered now, until the pharmacy puts
// the notice away; the next recovery brings it back.
func TestKonto_RecoveryNoticeAfterAnOutageUntilDismissed(t *testing.T) {
	national := newFakeNational(t)
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure, cfg.NationalURL, cfg.ProbeInterval = sharedDBCopy(t), false, national.srv.URL, 50*time.Millisecond
	app, _ := openTestApp(t, cfg, nil)
	base := serveApp(t, app)
	ctx := context.Background()
	_, code, err := app.store.CreateAccount(ctx, data.RolePharmacy, "neue@example.org", pharmacyA, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.store.ActivateAccount(ctx, code, goodPassword, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowserless(t, base)
	b.login("neue@example.org", goodPassword)
	notice := func() string {
		_, d := b.get("/konto")
		return strings.TrimSpace(d.Find("[data-testid=recovery-notice] p").Text())
	}
	outage := func() {
		t.Helper()
		national.setDown(true)
		waitState(t, base, "down")
		national.setDown(false)
		waitState(t, base, "operational")
	}
	waitState(t, base, "operational")
	if got := notice(); got != "" {
		t.Fatalf("a notice without an outage: %q", got)
	}
	outage()
	var got string
	for start := time.Now(); got == "" && time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		got = notice() // the incident is resolved just after the state changes
	}
	want := "Der Ausstellungsserver ist seit " + time.Now().In(data.Berlin()).Format("15:04") // the minute may turn
	if !strings.HasPrefix(got, want[:len(want)-1]) || !strings.HasSuffix(got, "Uhr wieder erreichbar — aufgenommene Daten können jetzt nachgetragen werden.") {
		t.Fatalf("after the outage: %q", got)
	}
	if res, _ := b.submit("/konto", "/konto/hinweis", url.Values{}, true); res.Request.URL.Path != "/konto" {
		t.Fatalf("dismissing ended at %s", res.Request.URL)
	}
	if got := notice(); got != "" {
		t.Fatalf("still there after it was put away: %q", got)
	}
	outage()
	got = ""
	for start := time.Now(); got == "" && time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		got = notice()
	}
	if got == "" {
		t.Fatal("the next recovery has no notice")
	}
}
