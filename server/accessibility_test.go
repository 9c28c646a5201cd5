package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeResult is what the test reads of axe.run's answer.
type axeResult struct {
	Violations []struct {
		ID, Impact, Help string
		Nodes            []struct {
			Target []any
		}
	}
	Passes []struct{ ID string }
}

// axeChecker runs axe-core against the WCAG 2.0/2.1 A and AA rules on pages of one browser,
// at a phone's and a desktop's width, in the light and the dark colour scheme.
type axeChecker struct {
	t       *testing.T
	source  string
	ctx     context.Context
	checked map[string]bool // rules that applied and passed somewhere
	pages   int
}

func newAxeChecker(t *testing.T, ctx context.Context) *axeChecker {
	return &axeChecker{t: t, source: testenv.AxeCore(t), ctx: ctx, checked: map[string]bool{}}
}

// check reports every violation on each of the urls in every width and scheme.
func (a *axeChecker) check(urls ...string) {
	t := a.t
	t.Helper()
	for _, width := range []int64{375, 1280} {
		for _, scheme := range []string{"light", "dark"} {
			if err := chromedp.Run(a.ctx,
				network.Enable(), network.SetBlockedURLs([]string{"*tile.openstreetmap.org*"}), // loopback only
				emulation.SetDeviceMetricsOverride(width, 900, 1, width < 600),
				emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
			); err != nil {
				t.Fatal(err)
			}
			for _, u := range urls {
				var raw string
				err := chromedp.Run(a.ctx,
					chromedp.Navigate(u),
					chromedp.WaitReady("body", chromedp.ByQuery),
					chromedp.Evaluate(a.source, nil),
					chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify(r))`,
						&raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
				)
				if err != nil {
					t.Fatalf("%s: %v", u, err)
				}
				var res axeResult
				if err := json.Unmarshal([]byte(raw), &res); err != nil {
					t.Fatal(err)
				}
				for _, v := range res.Violations {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, fmt.Sprint(n.Target...))
					}
					t.Errorf("%s at %d px, %s: %s (%s): %s — %s", u, width, scheme, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
				}
				for _, p := range res.Passes {
					a.checked[p.ID] = true
				}
			}
		}
	}
	a.pages += len(urls)
}

// The public pages: no violation. (Before: the map was aria-hidden while Leaflet makes it
// focusable, and Leaflet's attribution link was told apart by colour alone.)
func TestAccessibility_PublicPagesHaveNoWCAGViolations(t *testing.T) {
	axe := newAxeChecker(t, startBrowser(t))
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	var urls []string
	for _, p := range []string{"/", "/suche?q=21614", "/suche?q=21614&certificates=true&open_now=true", "/suche?q=Neukirchen",
		"/suche?q=00000", "/suche?q=", "/apotheke/" + pharmacyA, "/status", "/hilfe", "/leichte-sprache",
		"/impressum", "/datenschutz", "/barrierefreiheit", "/login", "/aktivieren", "/nirgendwo",
		"/barrierefreiheit/danke", "/en/login", "/en/", "/en/suche?q=21614", "/en/suche?q=Neukirchen", "/en/suche?q=00000", "/en/apotheke/" + pharmacyA, "/en/status", "/en/hilfe", "/en/datenschutz", "/en/nirgendwo"} {
		urls = append(urls, base+p)
	}
	axe.check(urls...)
	t.Logf("%d pages × 2 widths × 2 schemes; rules that applied and passed: %d", axe.pages, len(axe.checked))
}

// The pages of a monitored national service: the outage banner on the home page and results
// while it is down, then the status page with its history, the resolved incident and an
// announced maintenance, in both languages: no violation.
func TestAccessibility_StatusWithHistoryIncidentsAndBanner(t *testing.T) {
	axe := newAxeChecker(t, startBrowser(t))
	national := newFakeNational(t)
	app, base := monitoredApp(t, sharedDBCopy, national.srv.URL)
	waitState(t, base, "operational")
	national.setDown(true)
	waitState(t, base, "down")
	axe.check(base+"/", base+"/suche?q=21614", base+"/en/")
	national.setDown(false)
	waitState(t, base, "operational")
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	if _, err := app.store.ScheduleMaintenance(context.Background(), data.Maintenance{Target: "national", Title: "Wartung des Ausstellungsservers",
		Message: "Zertifikate werden in dieser Zeit später ausgestellt.", StartsAt: start, EndsAt: start.Add(2 * time.Hour)},
		data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	app.status.Forget()
	for _, want := range []string{`data-testid="history"`, `data-testid="incident"`, `data-testid="maintenance"`} {
		if !containsWithin(t, base+"/status", want, 10*time.Second) {
			t.Fatalf("the status page shows no %s", want)
		}
	}
	axe.check(base+"/status", base+"/en/status")
	t.Logf("%d pages × 2 widths × 2 schemes; rules that applied and passed: %d", axe.pages, len(axe.checked))
}

// The operator's pages and the pharmacy's account, logged in: no violation.
func TestAccessibility_AccountAndOperatorPagesHaveNoWCAGViolations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DB, cfg.CookieSecure = sharedDBCopy(t), false
	app, _ := openTestApp(t, cfg, nil)
	addOperator(t, app)
	base := serveApp(t, app)
	operator := startBrowser(t)
	var code string
	err := chromedp.Run(operator,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#login`, "ops@example.org", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, operatorPassword, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		chromedp.Navigate(base+"/admin/apotheke/"+pharmacyA),
		chromedp.WaitVisible(`[data-testid=create-account-form]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=create-account-form] #login`, "neue@example.org", chromedp.ByQuery),
		chromedp.Submit(`[data-testid=create-account-form] #login`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=activation-code]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=activation-code]`, &code, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	axe := newAxeChecker(t, operator)
	axe.check(base+"/admin", base+"/admin?q=Dresden", base+"/admin/apotheke/"+pharmacyA, base+"/admin/protokoll",
		base+"/admin/import", base+"/admin/status", base+"/admin/rueckmeldungen")
	pharmacy := startBrowser(t)
	err = chromedp.Run(pharmacy,
		chromedp.Navigate(base+"/aktivieren"),
		chromedp.SendKeys(`#code`, code, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, goodPassword, chromedp.ByQuery),
		chromedp.SendKeys(`#password2`, goodPassword, chromedp.ByQuery),
		chromedp.Submit(`#password2`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=login-form]`, chromedp.ByQuery),
		chromedp.SendKeys(`#login`, "neue@example.org", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, goodPassword, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=switch-off]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	pharmacyAxe := newAxeChecker(t, pharmacy)
	pharmacyAxe.check(base + "/konto")
	t.Logf("%d pages × 2 widths × 2 schemes; rules that applied and passed: %d", axe.pages+pharmacyAxe.pages, len(axe.checked))
}

// At 320 px with text at 200 % (WCAG 1.4.10 reflow, 1.4.4 resize text) no public page
// scrolls sideways.
func TestAccessibility_ReflowAt320PxAndDoubleText(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	if err := chromedp.Run(ctx, network.Enable(), network.SetBlockedURLs([]string{"*tile.openstreetmap.org*"}),
		emulation.SetDeviceMetricsOverride(320, 640, 1, true)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/suche?q=21614", "/suche?q=Neukirchen", "/apotheke/" + pharmacyA, "/status", "/hilfe",
		"/leichte-sprache", "/datenschutz", "/login", "/aktivieren"} {
		var overflow []string
		err := chromedp.Run(ctx,
			chromedp.Navigate(base+p),
			chromedp.WaitReady("body", chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.style.fontSize = "200%"; document.body.offsetHeight;
				[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 &&
					!e.closest(".leaflet-container") && getComputedStyle(e).position !== "absolute").slice(0, 5)
					.map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`, &overflow),
		)
		if err != nil {
			t.Fatal(err)
		}
		var scroll, width int
		chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll), chromedp.Evaluate(`document.documentElement.clientWidth`, &width))
		if scroll > width || len(overflow) > 0 {
			t.Errorf("%s at 320 px, 200 %% text: %d px wide in %d; overflowing %v", p, scroll, width, overflow)
		}
	}
}

// Keyboard only, from the home page to a pharmacy: type a PLZ and press Enter; on the
// results the first Tab reaches the skip link, which moves focus to the content; Tab goes on
// through the page in order, every focused element visibly outlined, to the first pharmacy's
// link; Enter opens it.
func TestAccessibility_KeyboardFromSearchToPharmacy(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	focused := func() (desc string, outlined bool) {
		var got struct {
			Desc     string
			Outlined bool
		}
		if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const e = document.activeElement, s = getComputedStyle(e);
			return {desc: e.tagName + (e.id ? "#" + e.id : "") + (e.getAttribute("href") ? " " + e.getAttribute("href") : "") + (e.getAttribute("class") ? "." + e.getAttribute("class") : ""),
				outlined: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2}; })()`, &got)); err != nil {
			t.Fatal(err)
		}
		return got.Desc, got.Outlined
	}
	err := chromedp.Run(ctx,
		network.Enable(), network.SetBlockedURLs([]string{"*tile.openstreetmap.org*"}),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		chromedp.KeyEvent("21614"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`[data-testid=results]`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.Tab),
	)
	if err != nil {
		t.Fatal(err)
	}
	if desc, outlined := focused(); !strings.HasPrefix(desc, "A #inhalt") || !outlined {
		t.Fatalf("the first Tab on the results reaches %s (outlined %v), not the skip link", desc, outlined)
	}
	if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if desc, _ := focused(); !strings.HasPrefix(desc, "MAIN#inhalt") {
		t.Fatalf("the skip link leaves focus on %s", desc)
	}
	var path []string
	for i := 0; ; i++ {
		if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		desc, outlined := focused()
		path = append(path, desc)
		if !outlined {
			t.Errorf("focus on %s is not visible", desc)
		}
		if strings.Contains(desc, " /apotheke/") {
			break
		}
		if i > 40 {
			t.Fatalf("no pharmacy reached by Tab: %v", path)
		}
	}
	if !strings.HasPrefix(path[0], "INPUT#q") {
		t.Errorf("Tab after the skip link goes to %s, not the search field: %v", path[0], path)
	}
	var name string
	if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`[data-testid=pharmacy-name]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=pharmacy-name]`, &name, chromedp.ByQuery)); err != nil || name == "" {
		t.Fatalf("Enter on %s: %v %q", path[len(path)-1], err, name)
	}
	t.Logf("%d Tabs from the content to the first pharmacy: %v", len(path), path)
}

// A form's error is tied to its field (aria-describedby, aria-invalid) and takes the focus
// when the page loads, so keyboard and screen reader users start at what went wrong.
func TestAccessibility_FormErrorsTiedToFieldsAndFocused(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	var active, describedBy, invalid, others string
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/aktivieren"),
		chromedp.SendKeys(`#code`, "ABCD-EFGH", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, goodPassword, chromedp.ByQuery),
		chromedp.SendKeys(`#password2`, goodPassword+"x", chromedp.ByQuery),
		chromedp.Submit(`#password2`, chromedp.ByQuery),
		chromedp.WaitVisible(`#form-error`, chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement.id`, &active),
		chromedp.Evaluate(`document.getElementById("password2").getAttribute("aria-describedby") || ""`, &describedBy),
		chromedp.Evaluate(`document.getElementById("password2").getAttribute("aria-invalid") || ""`, &invalid),
		chromedp.Evaluate(`[...document.querySelectorAll("[aria-describedby]")].map(e => e.id).join(",")`, &others),
	)
	if err != nil {
		t.Fatal(err)
	}
	if active != "form-error" || describedBy != "form-error" || invalid != "true" || others != "password2" {
		t.Errorf("activation: focus on %q, password2 described by %q (invalid %q), fields described: %q", active, describedBy, invalid, others)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/suche?q="),
		chromedp.WaitVisible(`#form-error`, chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement.id`, &active),
		chromedp.Evaluate(`document.getElementById("q").getAttribute("aria-describedby") || ""`, &describedBy),
	)
	if err != nil {
		t.Fatal(err)
	}
	if active != "form-error" || describedBy != "form-error" {
		t.Errorf("empty search: focus on %q, q described by %q", active, describedBy)
	}
	active, others = errorSummary(t, ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#login`, "niemand@example.org", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "falsch-falsch-falsch", chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
	)
	if active != "form-error" || others != "login,password" {
		t.Errorf("wrong password: focus on %q, fields pointing to the error: %q", active, others)
	}
	active, others = errorSummary(t, ctx,
		chromedp.Navigate(base+"/barrierefreiheit"),
		chromedp.SendKeys(`#feedback-contact`, "leser@example.org", chromedp.ByQuery),
		chromedp.SendKeys(`#feedback-message`, "   ", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("feedback-message").removeAttribute("required")`, nil),
		chromedp.Submit(`#feedback-message`, chromedp.ByQuery),
	)
	if active != "form-error" || others != "feedback-message" {
		t.Errorf("empty feedback: focus on %q, fields pointing to the error: %q", active, others)
	}

	// An operator's refused maintenance: the field at fault in the form that was sent, what
	// was typed kept.
	addOperator(t, app)
	active, others = errorSummary(t, ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#login`, "ops@example.org", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, operatorPassword, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#login`, chromedp.ByQuery),
		chromedp.Navigate(base+"/admin/status"),
		chromedp.SendKeys(`#m-title`, "Wartung des Ausstellungsservers", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("starts_at").value = "2031-06-15T22:00"; document.getElementById("ends_at").value = "2031-06-15T21:00"`, nil),
		chromedp.Submit(`#m-title`, chromedp.ByQuery),
	)
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("m-title").value`, &describedBy)); err != nil {
		t.Fatal(err)
	}
	if active != "form-error" || others != "ends_at" || describedBy != "Wartung des Ausstellungsservers" {
		t.Errorf("refused maintenance: focus on %q, fields pointing to the error: %q, title kept as %q", active, others, describedBy)
	}
}

// An open page follows the national service's state and says a change politely: the status
// page's state and the home page's line are live regions (role=status) that change in place,
// without a reload, in the page's language.
func TestAccessibility_StatusChangesAnnouncedPolitely(t *testing.T) {
	national := newFakeNational(t)
	_, base := monitoredApp(t, sharedDBCopy, national.srv.URL)
	waitState(t, base, "operational")
	ctx := startBrowser(t)
	follow := func(page, sel, wantState, wantText string, change func()) {
		t.Helper()
		var role string
		if err := chromedp.Run(ctx, chromedp.Navigate(base+page), chromedp.WaitVisible(sel, chromedp.ByQuery),
			chromedp.AttributeValue(sel, "role", &role, nil, chromedp.ByQuery),
			chromedp.Evaluate(`window.stayed = true`, nil)); err != nil {
			t.Fatal(err)
		}
		if role != "status" {
			t.Fatalf("%s: %s has role %q, want status (a polite live region)", page, sel, role)
		}
		change()
		var text string
		var stayed bool
		if err := chromedp.Run(ctx,
			chromedp.Poll(`document.querySelector("`+sel+`").dataset.state === "`+wantState+`"`, nil, chromedp.WithPollingTimeout(15*time.Second)),
			chromedp.Text(sel, &text, chromedp.ByQuery), chromedp.Evaluate(`window.stayed === true`, &stayed)); err != nil {
			t.Fatalf("%s: the state did not become %s: %v", page, wantState, err)
		}
		if !strings.Contains(text, wantText) || !stayed {
			t.Errorf("%s: says %q (want %q), the page stayed: %t", page, text, wantText, stayed)
		}
	}
	follow("/status", "[data-testid=national-state]", "down", "gestört", func() { national.setDown(true) })
	follow("/en/", "[data-testid=national-line]", "operational", "National issuing server: operational.", func() { national.setDown(false) })
}

// errorSummary runs steps that send a form and, once its error summary shows, says which
// element has the focus and which fields point to the summary as invalid.
func errorSummary(t *testing.T, ctx context.Context, steps ...chromedp.Action) (focused, fields string) {
	t.Helper()
	steps = append(steps, chromedp.WaitVisible(`#form-error`, chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement.id`, &focused),
		chromedp.Evaluate(`[...document.querySelectorAll("[aria-describedby=form-error][aria-invalid=true]")].map(e => e.id).join(",")`, &fields))
	if err := chromedp.Run(ctx, steps...); err != nil {
		t.Fatal(err)
	}
	return focused, fields
}
