package main

// The attack suite: each test is one attack, made as an attacker would make it — real HTTP
// over loopback to the real router, from clients of their own loopback addresses, knowing
// no secret — and the refusal it must meet. Issue 12's holes first, then the defences that
// were already in place.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/server/notify"
	"github.com/apoportal/apoportal/server/notify/mailsink"
)

// from is a browserless client whose connections come from the loopback address ip.
func from(t *testing.T, base, ip string) *browserless {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &browserless{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext}}}
}

// noRedirects makes b answer with redirects instead of following them.
func (b *browserless) noRedirects() *browserless {
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browserless{t: b.t, base: b.base, c: &c}
}

// countingBody serves n bytes of a multipart upload and counts what the server took.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (cb *countingBody) Read(p []byte) (int, error) {
	n, err := cb.r.Read(p)
	cb.read.Add(int64(n))
	return n, err
}

// bigUpload is a multipart registry upload with a file of size bytes (no CSRF token).
func bigUpload(size int) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("kind", "registry")
	fw, _ := w.CreateFormFile("file", "register.csv")
	fw.Write(bytes.Repeat([]byte("x"), size))
	w.Close()
	return &buf, w.FormDataContentType()
}

// postUpload posts body; chunked hides its length as a streaming client would.
func (b *browserless) postUpload(body *bytes.Buffer, contentType string, chunked bool) (*http.Response, int64) {
	b.t.Helper()
	cb := &countingBody{r: body}
	length := int64(body.Len())
	req, _ := http.NewRequest(http.MethodPost, b.base+"/admin/import", cb)
	req.Header.Set("Content-Type", contentType)
	if !chunked {
		req.ContentLength = length
	}
	res, err := b.c.Do(req)
	if err != nil {
		// The server may close the connection while the client is still sending: that is
		// a refusal too; it must then not have read the body.
		return nil, cb.read.Load()
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res, cb.read.Load()
}

// attackApp is kontoApp plus an operator, with a mail server (a sink), so that every route
// is there: the e-mail subscriptions' too.
func attackApp(t *testing.T) (*App, string, string, *clock) {
	app, base, code, cl, _ := attackAppWithMail(t)
	return app, base, code, cl
}

func attackAppWithMail(t *testing.T) (*App, string, string, *clock, *mailsink.Sink) {
	sink := mailsink.Start(t, mailsink.Options{})
	app, base, code, cl := kontoApp(t, true, func(c *Config) {
		c.SMTPURL, c.MailFrom, c.PublicURL = "smtp+plain://"+sink.Addr, "meldungen@apoportal.example", "https://apoportal.example"
	})
	addOperator(t, app)
	return app, base, code, cl, sink
}

func tempFiles(t *testing.T, dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "multipart-") {
			n++
		}
	}
	return n
}

// Attack 1: fill the disk with uploads to /admin/import. Whoever is not an operator is
// refused before the body is read; an operator's upload past the limit is refused as soon
// as it passes; every temp file of a parsed form is gone once the answer is out.
func TestAttack_UploadsCannotFillTheDisk(t *testing.T) {
	_, base, _, _ := attackApp(t)
	tmp := t.TempDir() // where this test's uploads' temp files go
	t.Setenv("TMPDIR", tmp)
	const big = 30 << 20
	// What the client managed to send; loopback socket buffers take a few MiB the server
	// never reads. Reading the body in full (the hole) shows as all 30 MiB.
	const unread = 8 << 20
	anonymous := from(t, base, "127.0.0.2").noRedirects()
	body, ct := bigUpload(big)
	res, read := anonymous.postUpload(body, ct, false)
	if res == nil || res.StatusCode != http.StatusSeeOther || read > unread {
		t.Fatalf("anonymous 30 MiB upload: %v, server read %d bytes", res, read)
	}
	body, ct = bigUpload(big)
	if res, read = anonymous.postUpload(body, ct, true); res == nil || res.StatusCode != http.StatusSeeOther || read > unread {
		t.Fatalf("anonymous chunked upload: %v, server read %d bytes", res, read)
	}
	pharmacy := from(t, base, "127.0.0.3")
	pharmacy.login("neue@example.org", goodPassword)
	body, ct = bigUpload(big)
	if res, read = pharmacy.postUpload(body, ct, false); res == nil || res.StatusCode != http.StatusForbidden || read > unread {
		t.Fatalf("a pharmacy's upload: %v, server read %d bytes", res, read)
	}
	ops := from(t, base, "127.0.0.4")
	ops.login("ops@example.org", operatorPassword)
	body, ct = bigUpload(big)
	if res, read = ops.postUpload(body, ct, false); res == nil || res.StatusCode != http.StatusRequestEntityTooLarge || read > unread {
		t.Fatalf("operator's announced 30 MiB: %v, server read %d bytes", res, read)
	}
	body, ct = bigUpload(big)
	if res, read = ops.postUpload(body, ct, true); res != nil && res.StatusCode != http.StatusRequestEntityTooLarge || read > maxUploadBytes+unread {
		t.Fatalf("operator's chunked 30 MiB: %v, server read %d bytes", res, read)
	}
	// Within the limit but without the form's CSRF token: parsed (to temp files), refused,
	// and the temp files removed.
	body, ct = bigUpload(8 << 20)
	if res, _ = ops.postUpload(body, ct, false); res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("upload without CSRF token: %v", res)
	}
	if n := tempFiles(t, tmp); n != 0 {
		t.Fatalf("%d temp files of uploads left in TMPDIR", n)
	}
}

// Attack 6: a registry just over the limit is refused whole with 413 naming the limit,
// never imported without its last rows.
func TestAttack_UploadJustOverTheLimitIsRefusedNotCut(t *testing.T) {
	_, base, _, _ := attackApp(t)
	ops := from(t, base, "127.0.0.5")
	ops.login("ops@example.org", operatorPassword)
	const header = "id,name,street,housenumber,postcode,city,state,lat,lon,phone,email,website,opening_hours,issues_certificates,services\n"
	row := "399999999,Test-Apotheke,Hauptstraße,1,01069,Dresden,Sachsen,51.04,13.74,,,,Mo-Fr 08:00-18:00,true,\n"
	file := header + strings.Repeat(row, (maxUploadBytes+1024)/len(row))
	res, d := ops.upload("registry", "register.csv", file)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(d.Text(), "20 MiB") {
		t.Fatalf("upload of %d bytes: %d %q", len(file), res.StatusCode, d.Find("main").Text())
	}
}

// Attack 2: a token made in /konto keeps switching after its account was disabled; nobody
// can see or revoke it. Now it fails at once, and operators list and revoke tokens.
func TestAttack_TokensDieWithTheirAccount(t *testing.T) {
	app, base, _, _ := attackApp(t)
	ctx := context.Background()
	pharmacy := from(t, base, "127.0.0.6")
	pharmacy.login("neue@example.org", goodPassword)
	_, d := pharmacy.submit("/konto", "/konto/token", url.Values{}, true)
	made := d.Find("[data-testid=new-token]").Text()
	if code := apiSwitch(t, base, "Bearer "+made, "127.0.0.7", "vor der Sperre"); code != http.StatusOK {
		t.Fatalf("token before the account is disabled: %d", code)
	}
	ops := from(t, base, "127.0.0.8")
	ops.login("ops@example.org", operatorPassword)
	_, d = ops.get("/admin/apotheke/" + pharmacyA)
	listed := d.Find("[data-testid=tokens] li").First().Text()
	if !strings.Contains(listed, "neue@example.org") || !strings.Contains(listed, "zuletzt benutzt") || !strings.Contains(listed, "127.0.0.7") {
		t.Fatalf("operators see the token as %q", listed)
	}
	ops.submit("/admin/apotheke/"+pharmacyA, "/admin/apotheke/"+pharmacyA+"/zugang/sperren", url.Values{"login": {"neue@example.org"}}, true)
	if code := apiSwitch(t, base, "Bearer "+made, "127.0.0.7", "nach der Sperre"); code != http.StatusUnauthorized {
		t.Fatalf("token of a disabled account: %d", code)
	}
	// A token an operator issued (no account) is revoked by an operator.
	id, other := token(t, app, pharmacyA)
	res, _ := ops.submit("/admin/apotheke/"+pharmacyA, fmt.Sprintf("/admin/apotheke/%s/token/%d/widerrufen", pharmacyA, id), url.Values{}, true)
	if res.StatusCode != http.StatusOK || apiSwitch(t, base, "Bearer "+other, "127.0.0.7", "widerrufen") != http.StatusUnauthorized {
		t.Fatalf("operator's revocation: %d", res.StatusCode)
	}
	if res, _ := ops.submit("/admin/apotheke/"+pharmacyB, fmt.Sprintf("/admin/apotheke/%s/token/%d/widerrufen", pharmacyB, id), url.Values{}, true); res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoking a token under another pharmacy: %d", res.StatusCode)
	}
	log, _ := app.store.AuditLog(ctx, pharmacyA, 10)
	revokes := 0
	for _, e := range log {
		if e.Action == "token.revoke" {
			revokes++
		}
	}
	if revokes != 2 {
		t.Fatalf("audit log has %d token revocations, want 2: %+v", revokes, log)
	}
}

// apiSwitch switches pharmacy A's participation through the API with the given
// Authorization header, from ip; it returns the status.
func apiSwitch(t *testing.T, base, authorization, ip, note string) int {
	t.Helper()
	b := from(t, base, ip)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", strings.NewReader(`{"participating": true, "note": "`+note+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// Attack 3: five wrong activation codes from one address used to make every other
// address's valid code wait. Now the wait falls on that address and those codes only.
func TestAttack_WrongCodesDoNotHoldUpOthersActivation(t *testing.T) {
	app, base, _, _ := attackApp(t)
	_, code, err := app.store.CreateAccount(context.Background(), data.RolePharmacy, "vital@example.org", pharmacyB, data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	attacker := from(t, base, "127.0.0.9")
	var last *http.Response
	for i := range freeIPFailures + 2 {
		last, _ = attacker.submit("/aktivieren", "/aktivieren", url.Values{"code": {fmt.Sprintf("AAAA-BBBB-CCCC-%04d", i)},
			"password": {goodPassword}, "password2": {goodPassword}}, true)
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the guessing address after %d wrong codes: %d", freeIPFailures+2, last.StatusCode)
	}
	pharmacy := from(t, base, "127.0.0.10")
	res, _ := pharmacy.submit("/aktivieren", "/aktivieren", url.Values{"code": {code}, "password": {"Vitamine im Schaufenster"}, "password2": {"Vitamine im Schaufenster"}}, true)
	if res.Request.URL.Path != "/login" {
		t.Fatalf("a valid code from another address: %d at %s", res.StatusCode, res.Request.URL)
	}
}

// Attack 4: 20 concurrent guesses used to be verified all (the throttle allows 3), and
// locked the owner out for 15 minutes. Now attempts are reserved before verifying, and the
// owner's browser, which logged in before, has a budget of its own.
func TestAttack_ConcurrentGuessesAreThrottledAndOwnerGetsIn(t *testing.T) {
	_, base, _, _ := attackApp(t)
	owner := from(t, base, "127.0.0.11")
	if res := owner.login("neue@example.org", goodPassword); res.Request.URL.Path != "/konto" {
		t.Fatalf("owner's first login: %s", res.Request.URL)
	}
	owner.submit("/konto", "/logout", url.Values{}, true)

	attacker := from(t, base, "127.0.0.12")
	_, page := attacker.get("/login")
	csrf := page.Find("input[name=_csrf]").First().AttrOr("value", "")
	var wrong, throttled atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			res, err := attacker.c.PostForm(base+"/login", url.Values{"_csrf": {csrf}, "login": {"neue@example.org"}, "password": {fmt.Sprintf("Rateversuch Nummer %d", i)}})
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusUnauthorized:
				wrong.Add(1)
			case http.StatusTooManyRequests:
				throttled.Add(1)
			}
		})
	}
	wg.Wait()
	if wrong.Load() > freeLoginFailures || wrong.Load()+throttled.Load() != 20 {
		t.Fatalf("20 concurrent guesses: %d verified, %d throttled (at most %d may be verified)", wrong.Load(), throttled.Load(), freeLoginFailures)
	}
	if res := owner.login("neue@example.org", goodPassword); res.Request.URL.Path != "/konto" {
		t.Fatalf("owner's browser during the attacker's wait: %d at %s", res.StatusCode, res.Request.URL)
	}
	// A new browser has no device cookie: it waits like the attacker.
	if res := from(t, base, "127.0.0.13").login("neue@example.org", goodPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a browser that never logged in, during the wait: %d", res.StatusCode)
	}
	// The attacker cannot mint a device cookie: a tampered or another login's is ignored.
	u, _ := url.Parse(base)
	stolen := ""
	for _, c := range owner.c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/login"}) {
		if c.Name == deviceCookie {
			stolen = c.Value
		}
	}
	if stolen == "" {
		t.Fatal("no device cookie after a login")
	}
	forged := attacker
	forged.c.Jar.SetCookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/login"}, []*http.Cookie{{Name: deviceCookie, Value: stolen[:len(stolen)-2] + "xx", Path: "/login"}})
	if res := forged.login("neue@example.org", "noch ein Rateversuch"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a tampered device cookie: %d", res.StatusCode)
	}
}

// Attack 5: a reset password used to leave the old password's sessions alive, and the tokens
// made in them.
func TestAttack_NewPasswordEndsOldSessions(t *testing.T) {
	app, base, _, _ := attackApp(t)
	thief := from(t, base, "127.0.0.14")
	thief.login("neue@example.org", goodPassword)
	_, made := thief.submit("/konto", "/konto/token", url.Values{}, true)
	stolen := made.Find("[data-testid=new-token]").Text()
	code, err := app.store.ReissueActivationCode(context.Background(), "neue@example.org", data.Actor{Name: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	owner := from(t, base, "127.0.0.15")
	const fresh = "Neues Passwort nach dem Diebstahl"
	res, d := owner.submit("/aktivieren", "/aktivieren", url.Values{"code": {code}, "password": {fresh}, "password2": {fresh}}, true)
	if res.Request.URL.Path != "/login" || !strings.Contains(d.Find("[data-testid=notice]").Text(), "bisherigen Anmeldungen") {
		t.Fatalf("reset: %s, notice %q", res.Request.URL, d.Find("[data-testid=notice]").Text())
	}
	if res, _ := thief.get("/konto"); res.Request.URL.Path != "/login" {
		t.Fatal("the old password's session still works")
	}
	if code := apiSwitch(t, base, "Bearer "+stolen, "127.0.0.14", "nach dem Zurücksetzen"); code != http.StatusUnauthorized {
		t.Fatalf("a token made with the old password: %d", code)
	}
}

// Attack 7: respelling the Authorization header used to get a fresh write budget.
func TestAttack_RespelledTokenSharesOneLimit(t *testing.T) {
	app, base, _, _ := attackApp(t)
	_, tok := token(t, app, pharmacyA)
	spellings := []string{"Bearer " + tok, "bearer " + tok, "BEARER " + tok, "Bearer   " + tok, "\tBearer " + tok + " "}
	ok, limited := 0, 0
	for i := range 50 {
		switch apiSwitch(t, base, spellings[i%len(spellings)], "127.0.0.16", "Versuch") {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
		}
	}
	// One bucket: a burst of 20 and 2 a second while the loop runs.
	if ok+limited != 50 || ok > 30 {
		t.Fatalf("50 writes in 5 spellings: %d accepted, %d limited", ok, limited)
	}
}

// Attack 8a: a Host header must not reach the publicly cached feed's links.
func TestAttack_FeedLinksIgnoreHost(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.PublicURL = sharedDBCopy(t), "https://apoportal.example"
	app, _ := testAppWith(t, cfg)
	base := serveApp(t, app)
	req, _ := http.NewRequest(http.MethodGet, base+"/status/feed.atom", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res.Body)
	res.Body.Close()
	if strings.Contains(body, "evil.example") || !strings.Contains(body, "https://apoportal.example/status") {
		t.Fatalf("feed links from the Host header:\n%s", body)
	}
}

// Attack 8b: X-Forwarded-For is believed only from --trusted-proxies; from anyone else a
// forged one changes nothing (limits and the audit log key on the peer).
func TestAttack_ForwardedForOnlyFromTrustedProxies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure, cfg.TrustedProxies = sharedDBCopy(t), false, "127.0.0.20/32"
	app, _ := testAppWith(t, cfg)
	base := serveApp(t, app)
	_, tok := token(t, app, pharmacyA)
	for _, c := range []struct{ peer, xff, want string }{
		{"127.0.0.20", "203.0.113.7", "203.0.113.7"},               // through the proxy: the client it names
		{"127.0.0.21", "203.0.113.8", "127.0.0.21"},                // straight, forging the header: the peer
		{"127.0.0.20", "198.51.100.1, 127.0.0.20", "198.51.100.1"}, // the proxy appends itself
	} {
		b := from(t, base, c.peer)
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", strings.NewReader(`{"participating": true}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Forwarded-For", c.xff)
		res, err := b.c.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("switch through %s: %v %v", c.peer, res, err)
		}
		res.Body.Close()
		log, _ := app.store.AuditLog(context.Background(), pharmacyA, 1)
		if len(log) == 0 || log[0].Source != c.want {
			t.Fatalf("peer %s with X-Forwarded-For %q recorded as %+v, want %s", c.peer, c.xff, log, c.want)
		}
	}
}

// Attack 8c: control characters and bidirectional overrides in notes, from the form and
// from the API alike, are refused and change nothing.
func TestAttack_NotesWithControlsOrBidiOverridesAreRefused(t *testing.T) {
	app, base, _, _ := attackApp(t)
	_, tok := token(t, app, pharmacyA)
	pharmacy := from(t, base, "127.0.0.22")
	pharmacy.login("neue@example.org", goodPassword)
	before, _ := app.store.Pharmacy(context.Background(), pharmacyA)
	for _, note := range []string{"Ausstellung \u202egnikrow", "Pause\u2066bis morgen\u2069", "Zeile\x1b[31m", "Steuer\u0085zeichen", "Null\x00"} {
		res, _ := pharmacy.submit("/konto", "/konto/teilnahme", url.Values{"participating": {"true"}, "note": {note}}, true)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("form note %q: %d", note, res.StatusCode)
		}
		if code := apiSwitchRaw(t, base, tok, map[string]any{"participating": true, "note": note}); code != http.StatusBadRequest {
			t.Errorf("API note %q: %d", note, code)
		}
		if res, _ := pharmacy.submit("/konto", "/konto/stoerung", url.Values{"message": {note}}, true); res.StatusCode != http.StatusBadRequest {
			t.Errorf("report %q: %d", note, res.StatusCode)
		}
	}
	if after, _ := app.store.Pharmacy(context.Background(), pharmacyA); after.Participation.Note != before.Participation.Note {
		t.Fatalf("a refused note was stored: %q", after.Participation.Note)
	}
}

func apiSwitchRaw(t *testing.T, base, tok string, body map[string]any) int {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(body); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/participation", &buf)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Attack 8e: a session left open on the shared counter PC ends after --session-idle.
func TestAttack_IdleSessionEnds(t *testing.T) {
	_, base, _, cl := attackApp(t)
	b := from(t, base, "127.0.0.23")
	b.login("neue@example.org", goodPassword)
	cl.Add(time.Hour)
	if res, _ := b.get("/konto"); res.Request.URL.Path != "/konto" {
		t.Fatal("a session used an hour ago ended")
	}
	cl.Add(2*time.Hour + time.Minute)
	if res, _ := b.get("/konto"); res.Request.URL.Path != "/login" {
		t.Fatal("a session unused for two hours still works")
	}
}

// Already defended: every form that posts refuses a cross-site request without its token,
// and changes nothing.
func TestAttack_CSRFOnEveryForm(t *testing.T) {
	app, base, _, _, sink := attackAppWithMail(t)
	pharmacy := from(t, base, "127.0.0.24")
	pharmacy.login("neue@example.org", goodPassword)
	ops := from(t, base, "127.0.0.25")
	ops.login("ops@example.org", operatorPassword)
	before, _ := app.store.AuditLog(context.Background(), "", 1)
	forms := 0
	for _, r := range app.Router().Routes() {
		if r.Method != http.MethodPost || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		forms++
		path := r.Path
		if strings.HasPrefix(path, "/admin/apotheke/") {
			path = strings.Replace(path, ":id", pharmacyA, 1)
		}
		path = strings.NewReplacer(":id", "1", ":token", "1").Replace(path)
		who := pharmacy
		if strings.HasPrefix(r.Path, "/admin") {
			who = ops
		}
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader("participating=false&login=neue@example.org&state=resolved&message=x&title=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := who.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusForbidden
		if strings.HasSuffix(r.Path, notify.UnsubscribePath) {
			// A mail program's one-click unsubscribe posts from nowhere: the link's token is
			// the authority, and without one there is nothing to end.
			want = http.StatusNotFound
		}
		if res.StatusCode != want {
			t.Errorf("cross-site POST %s: %d, want %d", path, res.StatusCode, want)
		}
	}
	if forms < 15 {
		t.Fatalf("only %d forms found", forms)
	}
	// A sibling subdomain could plant the token cookie: same-site posts are refused even
	// with a matching token.
	_, page := pharmacy.get("/konto")
	form := url.Values{"participating": {"false"}, "_csrf": {page.Find("input[name=_csrf]").First().AttrOr("value", "")}}
	req, _ := http.NewRequest(http.MethodPost, base+"/konto/teilnahme", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-site")
	if res, err := pharmacy.c.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("same-site post with the token: %v %v", res, err)
	}
	if after, _ := app.store.AuditLog(context.Background(), "", 1); len(after) != len(before) || (len(after) > 0 && after[0].ID != before[0].ID) {
		t.Fatalf("a cross-site request changed something: %+v", after)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Fatalf("a cross-site request sent %d mails", n)
	}
}

// Already defended: a pharmacy acts on its own entry only, and not as an operator.
func TestAttack_NoPharmacyReachesAnother(t *testing.T) {
	app, base, _, _ := attackApp(t)
	_, tokA := token(t, app, pharmacyA)
	idB, tokB := token(t, app, pharmacyB)
	pharmacy := from(t, base, "127.0.0.26")
	pharmacy.login("neue@example.org", goodPassword)
	if res, _ := pharmacy.submit("/konto", fmt.Sprintf("/konto/token/%d/widerrufen", idB), url.Values{}, true); res.StatusCode != http.StatusNotFound {
		t.Errorf("revoking pharmacy B's token: %d", res.StatusCode)
	}
	for _, path := range []string{"/admin", "/admin/apotheke/" + pharmacyB, "/admin/protokoll", "/admin/import", "/admin/rueckmeldungen"} {
		if res, _ := pharmacy.get(path); res.StatusCode != http.StatusForbidden {
			t.Errorf("pharmacy opens %s: %d", path, res.StatusCode)
		}
	}
	// Every operator form, posted by a pharmacy with its valid CSRF token: 403.
	_, page := pharmacy.get("/konto")
	csrf := page.Find("input[name=_csrf]").First().AttrOr("value", "")
	for _, r := range app.Router().Routes() {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Path, "/admin") {
			continue
		}
		path := strings.NewReplacer(":id", pharmacyB, ":token", fmt.Sprint(idB)).Replace(r.Path)
		res, err := pharmacy.c.PostForm(base+path, url.Values{"_csrf": {csrf}, "login": {"neue@example.org"}, "title": {"x"}, "state": {"resolved"}, "message": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("pharmacy posts %s: %d", path, res.StatusCode)
		}
	}
	if _, _, err := app.store.PharmacyOfToken(context.Background(), tokB); err != nil {
		t.Errorf("pharmacy A's posts to operator forms revoked B's token: %v", err)
	}
	if code := apiSwitchRaw(t, base, tokA, map[string]any{"participating": false, "pharmacy_id": pharmacyB}); code != http.StatusBadRequest {
		t.Errorf("API body naming pharmacy B: %d", code)
	}
	if p, _ := app.store.Pharmacy(context.Background(), pharmacyB); !p.Participation.Participating {
		t.Fatal("pharmacy B was switched off by A")
	}
}

// Already defended: stored fields come back escaped on every page that shows them; SQL in
// parameters is data; no redirect leaves the portal.
func TestAttack_InjectionAndRedirects(t *testing.T) {
	app, base, _, _ := attackApp(t)
	const xss = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	pharmacy := from(t, base, "127.0.0.27")
	pharmacy.login("neue@example.org", goodPassword)
	pharmacy.submit("/konto", "/konto/teilnahme", url.Values{"participating": {"true"}, "note": {xss}}, true)
	pharmacy.submit("/konto", "/konto/korrektur", url.Values{"message": {xss}}, true)
	pharmacy.submit("/konto", "/konto/stoerung", url.Values{"message": {xss}}, true)
	ops := from(t, base, "127.0.0.28")
	ops.login("ops@example.org", operatorPassword)
	ops.submit("/admin/status", "/admin/status/stoerung", url.Values{"target": {"national"}, "title": {xss}, "state": {"identified"}, "message": {xss}}, true)
	app.status.Forget()
	for _, page := range []struct {
		who  *browserless
		path string
	}{{pharmacy, "/konto"}, {ops, "/admin/apotheke/" + pharmacyA}, {ops, "/admin/protokoll"}, {ops, "/admin/status"},
		{pharmacy, "/apotheke/" + pharmacyA}, {pharmacy, "/suche?q=01069"}, {pharmacy, "/status"}, {pharmacy, "/suche?q=" + url.QueryEscape(xss)}} {
		res, err := page.who.c.Get(base + page.path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res.Body)
		res.Body.Close()
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s shows the stored markup unescaped", page.path)
		}
	}
	for _, q := range []string{`' OR '1'='1`, `1; DROP TABLE pharmacies; --`, `" UNION SELECT password_hash FROM accounts --`} {
		res, err := http.Get(base + "/api/v1/pharmacies?q=" + url.QueryEscape(q))
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("SQL in q %q: %v %v", q, res, err)
		}
		if body := readAll(t, res.Body); strings.Contains(body, "argon2") {
			t.Fatalf("SQL in q %q leaked hashes", q)
		}
		res.Body.Close()
		if res, _ := pharmacy.get("/apotheke/" + url.PathEscape(q)); res.StatusCode != http.StatusNotFound {
			t.Errorf("SQL as pharmacy id: %d", res.StatusCode)
		}
	}
	if res := from(t, base, "127.0.0.29").login(`' OR 1=1 --`, `' OR 1=1 --`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("SQL as login: %d", res.StatusCode)
	}
	if p, err := app.store.Pharmacy(context.Background(), pharmacyB); err != nil || p.ID != pharmacyB {
		t.Fatal("the registry was damaged")
	}
	raw := from(t, base, "127.0.0.30").noRedirects()
	for _, path := range []string{"/login?next=https://evil.example", "//evil.example/", "/\\evil.example", "/favicon.ico", "/konto?next=//evil.example"} {
		res, err := raw.c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.Contains(loc, "evil") {
			t.Errorf("%s redirects to %q", path, loc)
		}
	}
}

// Already defended: bodies past their limit are refused with 413 before they are read in full.
func TestAttack_OversizedBodies(t *testing.T) {
	app, base, _, _ := attackApp(t)
	_, tok := token(t, app, pharmacyA)
	big := strings.Repeat("a", 2<<20)
	for _, c := range []struct{ path, ctype, auth string }{
		{"/api/v1/participation", "application/json", "Bearer " + tok},
		{"/api/v1/reports", "application/json", "Bearer " + tok},
		{"/login", "application/x-www-form-urlencoded", ""},
		{"/aktivieren", "application/x-www-form-urlencoded", ""},
	} {
		req, _ := http.NewRequest(http.MethodPost, base+c.path, strings.NewReader("x="+big))
		req.Header.Set("Content-Type", c.ctype)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := from(t, base, "127.0.0.31").c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MiB to %s: %d", c.path, res.StatusCode)
		}
	}
	// Every form that posts, as a logged-in pharmacy and as an operator: 413 from the length
	// alone, before session, CSRF or handler read a byte; nothing changes.
	pharmacy := from(t, base, "127.0.0.32")
	pharmacy.login("neue@example.org", goodPassword)
	ops := from(t, base, "127.0.0.33")
	ops.login("ops@example.org", operatorPassword)
	before, _ := app.store.AuditLog(context.Background(), "", 1)
	for _, r := range app.Router().Routes() {
		if r.Method != http.MethodPost {
			continue
		}
		limit := 2 << 20
		if r.Path == "/admin/import" {
			limit = maxUploadBytes + 1<<20
		}
		path := strings.NewReplacer(":id", pharmacyA, ":token", "1").Replace(r.Path)
		for _, who := range []*browserless{pharmacy, ops} {
			req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(strings.Repeat("a", limit)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := who.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge && res.StatusCode != http.StatusForbidden {
				t.Errorf("%d bytes to %s: %d, want 413 (or 403 for the wrong role)", limit, path, res.StatusCode)
			}
		}
	}
	if after, _ := app.store.AuditLog(context.Background(), "", 1); len(after) != len(before) || (len(after) > 0 && after[0].ID != before[0].ID) {
		t.Fatalf("an oversized request changed something: %+v", after)
	}
}

// postFormBody posts 30 MiB to a public form at path as a browser on the portal's pages
// would (Origin) or as another site's would (Sec-Fetch-Site: cross-site), announced or
// chunked, and says what the server answered and what the client managed to send.
func postFormBody(t *testing.T, b *browserless, path string, crossSite, chunked bool) (*http.Response, int64) {
	t.Helper()
	cb := &countingBody{r: strings.NewReader("message=" + strings.Repeat("x", 30<<20))}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, cb)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	if crossSite {
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	if !chunked {
		req.ContentLength = 30<<20 + int64(len("message="))
	}
	res, err := b.noRedirects().c.Do(req)
	if err != nil {
		return nil, cb.read.Load() // the server closed while the client sent: a refusal too
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res, cb.read.Load()
}

// The feedback form of the public accessibility statement has no account and no token: from
// another site it is refused before a byte of the body is read, and a body past its 16 KiB
// is refused (413), announced or chunked, without reading on and without keeping anything.
// (Before, a chunked 30 MiB body was read to the limit and answered 400 "describe the
// barrier", as if the message had been empty.)
func TestAttack_FeedbackReadsNothingBeforeItsChecks(t *testing.T) {
	app, base, _, _ := attackApp(t)
	const unread = 8 << 20 // loopback buffers take a few MiB the server never reads
	for _, c := range []struct {
		name               string
		crossSite, chunked bool
		want               int
	}{
		{"another site's, announced", true, false, http.StatusRequestEntityTooLarge}, // the length alone refuses it first
		{"another site's, chunked", true, true, http.StatusForbidden},
		{"the portal's page's, announced", false, false, http.StatusRequestEntityTooLarge},
		{"the portal's page's, chunked", false, true, http.StatusRequestEntityTooLarge},
	} {
		res, read := postFormBody(t, from(t, base, "127.0.0.41"), "/barrierefreiheit", c.crossSite, c.chunked)
		if res != nil && res.StatusCode != c.want || read > unread {
			t.Errorf("%s 30 MiB feedback: %v (want %d), the server read %d bytes", c.name, res, c.want, read)
		}
	}
	if list, err := app.store.FeedbackList(context.Background(), 10); err != nil || len(list) != 0 {
		t.Fatalf("oversized feedback kept: %v, %v", list, err)
	}
}

// The English way in (/en/login, /en/aktivieren, /en/barrierefreiheit) counts on the same
// per-address limits as the German one: alternating the two paths does not double them.
// (Before the limiters were made once for both, each path had its own.)
func TestAttack_BothLanguagesShareTheLimits(t *testing.T) {
	_, base, _, _ := attackApp(t)
	guesser := from(t, base, "127.0.0.42").noRedirects()
	for _, way := range []struct{ page, field string }{{"/login", "login"}, {"/aktivieren", "code"}} {
		limited := 0
		for i := range 14 { // the address's limit allows a burst of 10; its throttle 20 failures
			path := way.page
			if i%2 == 1 {
				path = "/en" + way.page
			}
			res, _ := guesser.submit(path, path, url.Values{way.field: {fmt.Sprintf("guess-%d@example.org", i)}, "password": {"falsch-falsch-falsch"},
				"password2": {"falsch-falsch-falsch"}}, true)
			if res.StatusCode == http.StatusTooManyRequests {
				limited++
			}
		}
		if limited == 0 {
			t.Errorf("14 posts alternating %s and /en%s from one address: none limited", way.page, way.page)
		}
	}
	feedback := from(t, base, "127.0.0.43")
	kept := 0
	for i := range freeFeedback + 2 {
		path := "/barrierefreiheit"
		if i%2 == 1 {
			path = "/en/barrierefreiheit"
		}
		if res, _ := postForm(t, feedback, path, url.Values{"message": {"Die Schrift ist zu klein."}}, nil); res.StatusCode == http.StatusSeeOther {
			kept++
		}
	}
	if kept != freeFeedback {
		t.Errorf("feedback alternating both languages: %d kept, want %d", kept, freeFeedback)
	}
}

// The e-mail subscriptions' public forms and links have no account: from another site the
// subscription form is refused before its body is read, and every body past its few KiB
// (announced or chunked) is refused without reading on; a link's POST without a real token
// ends nothing. The dashboard's forms are a pharmacy's own: not an operator's, not a
// stranger's, not another pharmacy's. Bad input keeps and sends nothing.
func TestAttack_SubscriptionsReadNothingBeforeTheirChecks(t *testing.T) {
	app, base, _, _, sink := attackAppWithMail(t)
	const unread = 8 << 20
	for _, c := range []struct {
		path               string
		crossSite, chunked bool
		want               int
	}{
		{"/status/abonnieren", true, true, http.StatusForbidden},
		{"/en/status/abonnieren", false, true, http.StatusRequestEntityTooLarge},
		{"/status/abonnieren", false, false, http.StatusRequestEntityTooLarge},
		{"/status/bestaetigen", true, true, http.StatusForbidden},
		{"/status/bestaetigen", false, true, http.StatusRequestEntityTooLarge},
		{"/status/abmelden?t=unsub_x", true, true, http.StatusNotFound}, // no origin check: the token is the authority; the body is never read
		{"/en/status/abmelden", false, false, http.StatusRequestEntityTooLarge},
	} {
		res, read := postFormBody(t, from(t, base, "127.0.0.44"), c.path, c.crossSite, c.chunked)
		if res != nil && res.StatusCode != c.want || read > unread {
			t.Errorf("30 MiB to %s (cross-site %v, chunked %v): %v (want %d), the server read %d bytes", c.path, c.crossSite, c.chunked, res, c.want, read)
		}
	}
	for _, form := range []url.Values{{"email": {"victim@example.org\r\nBcc: all@example.org"}, "topic": {"down"}}, {"email": {"a@[10.0.0.1]"}, "topic": {"down"}}} {
		if res, _ := postForm(t, from(t, base, "127.0.0.45"), "/status/abonnieren", form, nil); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: %d", form, res.StatusCode)
		}
	}
	if res, _ := postForm(t, from(t, base, "127.0.0.45"), "/status/abmelden?t=unsub_guessed", url.Values{"List-Unsubscribe": {"One-Click"}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a guessed unsubscribe token: %d", res.StatusCode)
	}
	// The dashboard's forms: nobody's without a login, not an operator's, and a pharmacy's
	// own only; a webhook to the portal's own network is refused.
	stranger := from(t, base, "127.0.0.46").noRedirects()
	ops := from(t, base, "127.0.0.47")
	ops.login("ops@example.org", operatorPassword)
	pharmacy := from(t, base, "127.0.0.48")
	pharmacy.login("neue@example.org", goodPassword)
	for _, path := range []string{"/konto/benachrichtigung/email", "/konto/benachrichtigung/webhook"} {
		form := url.Values{"email": {"ops@example.org"}, "url": {"https://example.org/hook"}, "topic": {"down"}}
		if res, _ := stranger.submit("/login", path, form, true); res.StatusCode == http.StatusOK {
			t.Errorf("a stranger posts %s: %d", path, res.StatusCode)
		}
		if res, _ := ops.submit("/admin", path, form, true); res.StatusCode != http.StatusForbidden {
			t.Errorf("an operator posts %s: %d", path, res.StatusCode)
		}
	}
	if res, _ := pharmacy.submit("/konto", "/konto/benachrichtigung/webhook", url.Values{"url": {"http://169.254.169.254/latest/meta-data"}, "topic": {"down"}}, true); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a webhook to the cloud's metadata address: %d", res.StatusCode)
	}
	other, _, err := app.store.Subscribe(context.Background(), data.Subscription{URL: "https://someone.example.org/hook"})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := pharmacy.submit("/konto", fmt.Sprintf("/konto/benachrichtigung/%d/loeschen", other.ID), url.Values{}, true); res.StatusCode != http.StatusNotFound {
		t.Errorf("a pharmacy deletes the public's webhook: %d", res.StatusCode)
	}
	if list, _ := app.store.AccountSubscriptions(context.Background(), accountOfPharmacy(t, app, pharmacyA)); len(list) != 0 {
		t.Errorf("the pharmacy's subscriptions after the attacks: %+v", list)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d mails sent by the attacks", n)
	}
}
