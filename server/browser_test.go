package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium with a fresh profile for one test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(testenv.Chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", "de-DE,de"), // a German citizen's browser: / stays German
		// chromedp gives every allocator a fresh user-data-dir and removes it afterwards.
		chromedp.WindowSize(412, 915), // a phone
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artifact is where a test keeps a file for people to look at (not committed).
func artifact(t *testing.T, name string) string {
	dir := os.Getenv("APOPORTAL_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// A citizen on a phone searches 21614, sees the nearest issuing pharmacies first, and
// opens one.
func TestBrowser_CitizenSearchesPostcodeAndOpensPharmacy(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)

	var distances []*cdp.Node
	var heading, name string
	var firstName string
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		chromedp.SendKeys(`#q`, "21614", chromedp.ByQuery),
		chromedp.Submit(`#q`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=results]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=results-heading]`, &heading, chromedp.ByQuery),
		chromedp.Nodes(`[data-testid=distance]`, &distances, chromedp.ByQueryAll),
		chromedp.AttributeValue(`[data-testid=pharmacy]`, "data-name", &firstName, nil, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Apotheken um 21614 Buxtehude" {
		t.Errorf("heading %q", heading)
	}
	if len(distances) < 2 {
		t.Fatalf("%d results", len(distances))
	}
	last := -1.0
	for _, n := range distances {
		km, err := strconv.ParseFloat(n.AttributeValue("data-km"), 64)
		if err != nil || km < last || km > 10 {
			t.Fatalf("distance %q after %v", n.AttributeValue("data-km"), last)
		}
		last = km
	}
	var statuses []*cdp.Node
	if err := chromedp.Run(ctx, chromedp.Nodes(`[data-testid=certificate-status]`, &statuses, chromedp.ByQueryAll)); err != nil {
		t.Fatal(err)
	}
	for _, s := range statuses {
		if s.AttributeValue("data-status") != "active" {
			t.Fatalf("default search lists a pharmacy that does not issue: %s", s.AttributeValue("data-status"))
		}
	}
	var results []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&results, 100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(artifact(t, "search-21614.png"), results, 0o644); err != nil {
		t.Fatal(err)
	}
	// Follow the first result's link. Navigating to its href rather than clicking it: a
	// click right after a full-page screenshot sometimes hit a node chromedp had already
	// forgotten ("No node with given id found"), failing CI once.
	var shot []byte
	var href string
	var ok bool
	err = chromedp.Run(ctx,
		chromedp.AttributeValue(`[data-testid=pharmacy-link]`, "href", &href, &ok, chromedp.ByQuery),
	)
	if err != nil || !ok || !strings.HasPrefix(href, "/apotheke/") {
		t.Fatalf("first result links to %q (%v)", href, err)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+href),
		chromedp.WaitVisible(`[data-testid=pharmacy-name]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=pharmacy-name]`, &name, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatal(err)
	}
	if name != firstName {
		t.Errorf("detail page shows %q, clicked %q", name, firstName)
	}
	path := artifact(t, "pharmacy-detail.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", filepath.Dir(path))
}

// "Meinen Standort verwenden" sends the browser's position through the same GET form.
func TestBrowser_UseMyLocation(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	var heading, loc string
	var cards []*cdp.Node
	err := chromedp.Run(ctx,
		browser.GrantPermissions([]browser.PermissionType{browser.PermissionTypeGeolocation}).WithOrigin(base),
		emulation.SetGeolocationOverride().WithLatitude(53.4769).WithLongitude(9.7011).WithAccuracy(20),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-geo=button]`, chromedp.ByQuery),
		chromedp.Click(`[data-geo=button]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=results]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=results-heading]`, &heading, chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.Nodes(`[data-testid=pharmacy]`, &cards, chromedp.ByQueryAll),
	)
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Apotheken in Ihrer Nähe" || !strings.Contains(loc, "lat=53.4769") || !strings.Contains(loc, "lon=9.7011") || len(cards) == 0 {
		t.Fatalf("heading %q at %s with %d results", heading, loc, len(cards))
	}
}

// When the map library or the tiles cannot load, the list is all a citizen needs.
func TestBrowser_ListWorksWithoutTheMap(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	var cards []*cdp.Node
	var mapHidden bool
	err := chromedp.Run(ctx,
		network.Enable(),
		network.SetBlockedURLs([]string{"*leaflet*", "*tile*"}),
		chromedp.Navigate(base+"/suche?q=Buxtehude&certificates=true"),
		chromedp.WaitVisible(`[data-testid=results]`, chromedp.ByQuery),
		chromedp.Nodes(`[data-testid=pharmacy]`, &cards, chromedp.ByQueryAll),
		chromedp.Evaluate(`document.getElementById("map").hidden`, &mapHidden),
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) == 0 || !mapHidden {
		t.Fatalf("%d results, map hidden %v", len(cards), mapHidden)
	}
}

// The whole write side in one run: an operator creates an account, the pharmacy activates
// it, logs in, switches participation off, and a citizen's search no longer lists it as
// issuing.
func TestBrowser_OperatorPharmacyCitizen(t *testing.T) {
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
		chromedp.SendKeys(`#q`, pharmacyA, chromedp.ByQuery),
		chromedp.Submit(`#q`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=admin-results] a`, chromedp.ByQuery),
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

	pharmacy := startBrowser(t)
	var name string
	var shot []byte
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
		chromedp.Text(`[data-testid=dashboard-name]`, &name, chromedp.ByQuery),
		chromedp.Click(`[data-testid=switch-off]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=switch-on]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatal(err)
	}
	if name != "Neue-Apotheke im Zentrum" {
		t.Errorf("dashboard of %q", name)
	}
	if err := os.WriteFile(artifact(t, "pharmacy-dashboard.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	citizen := startBrowser(t)
	var ids []*cdp.Node
	err = chromedp.Run(citizen,
		chromedp.Navigate(base+"/suche?q=01069&certificates=true"),
		chromedp.WaitVisible(`[data-testid=results]`, chromedp.ByQuery),
		chromedp.Nodes(`[data-testid=pharmacy]`, &ids, chromedp.ByQueryAll),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ids {
		if n.AttributeValue("data-id") == pharmacyA {
			t.Fatal("the switched-off pharmacy is still listed as issuing")
		}
	}
}

// The detail page in a dark colour scheme has a dark page with light text, and printed it
// keeps the name, address, hours and phone and leaves out the navigation, search and map.
func TestBrowser_DarkSchemeAndPrint(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	var bg, ink, navDisplay, mapDisplay, hoursDisplay, phone string
	err := chromedp.Run(ctx,
		emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}),
		chromedp.Navigate(base+"/apotheke/"+pharmacyA),
		chromedp.WaitVisible(`[data-testid=pharmacy-name]`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.body).backgroundColor`, &bg),
		chromedp.Evaluate(`getComputedStyle(document.body).color`, &ink),
	)
	if err != nil {
		t.Fatal(err)
	}
	if bg != "rgb(18, 18, 18)" || ink != "rgb(232, 232, 232)" {
		t.Errorf("dark scheme: background %s, text %s", bg, ink)
	}
	err = chromedp.Run(ctx,
		emulation.SetEmulatedMedia().WithMedia("print"),
		chromedp.Evaluate(`getComputedStyle(document.querySelector("nav.site-nav")).display`, &navDisplay),
		chromedp.Evaluate(`getComputedStyle(document.getElementById("map")).display`, &mapDisplay),
		chromedp.Evaluate(`getComputedStyle(document.querySelector("[data-testid=hours]")).display`, &hoursDisplay),
		chromedp.Evaluate(`(a => a ? getComputedStyle(a).display + " " + a.textContent : "none")(document.querySelector("a[href^='tel:']"))`, &phone),
	)
	if err != nil {
		t.Fatal(err)
	}
	if navDisplay != "none" || mapDisplay != "none" || hoursDisplay == "none" || !strings.HasPrefix(phone, "inline") {
		t.Errorf("printed: navigation %s, map %s, hours %s, phone %q", navDisplay, mapDisplay, hoursDisplay, phone)
	}
}

// The map numbers its pins as the list numbers its pharmacies, marks the search's origin,
// and a visible button puts it away and brings it back.
func TestBrowser_MapNumbersAsTheListAndHides(t *testing.T) {
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	var pins, names []string
	var cards, origins int
	var hidden bool
	var expanded, label string
	err := chromedp.Run(ctx,
		network.Enable(),
		network.SetBlockedURLs([]string{"*tile.openstreetmap.org*"}), // loopback only
		chromedp.Navigate(base+"/suche?q=21614&offset=20"),
		chromedp.WaitVisible(`[data-testid=map-toggle]`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("#map .pin")].map(p => p.textContent)`, &pins),
		chromedp.Evaluate(`[...document.querySelectorAll("#map .leaflet-marker-icon")].map(p => p.title)`, &names),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=pharmacy]").length`, &cards),
		chromedp.Evaluate(`document.querySelectorAll("#map path.origin").length`, &origins),
		chromedp.Click(`[data-testid=map-toggle]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("map").hidden`, &hidden),
		chromedp.AttributeValue(`[data-testid=map-toggle]`, "aria-expanded", &expanded, nil, chromedp.ByQuery),
		chromedp.Text(`[data-testid=map-toggle]`, &label, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if cards == 0 || len(pins) != cards || pins[0] != "21" || pins[len(pins)-1] != strconv.Itoa(20+cards) {
		t.Errorf("%d cards, pins %v", cards, pins)
	}
	var firstName string
	if err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-testid=pharmacy]`, "data-name", &firstName, nil, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || names[0] != "21. "+firstName {
		t.Errorf("first pin %v, first card %q", names, firstName)
	}
	if origins != 1 {
		t.Errorf("%d origin markers", origins)
	}
	if !hidden || expanded != "false" || label != "Karte zeigen" {
		t.Errorf("after Karte ausblenden: hidden %v, aria-expanded %s, %q", hidden, expanded, label)
	}
	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid=map-toggle]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("map").hidden`, &hidden)); err != nil || hidden {
		t.Errorf("shown again: %v, hidden %v", err, hidden)
	}
}

// A citizen subscribes on /status in a browser, confirms with the link of the mail she
// received, hears of an outage, and unsubscribes with the link of that message; each page
// of the way has no WCAG violation.
func TestBrowser_CitizenSubscribesConfirmsAndUnsubscribes(t *testing.T) {
	ctx := startBrowser(t)
	_, base, national, sink, _ := mailApp(t)
	waitState(t, base, "operational")
	const anna = "anna@example.org"
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/status"),
		chromedp.SendKeys(`#subscribe-email`, anna, chromedp.ByQuery),
		chromedp.Submit(`#subscribe-email`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=subscribe-sent]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	got := sink.WaitFor(anna, 1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d confirmation mails", len(got))
	}
	confirm := base + pathOf(t, confirmLink.FindString(got[0].Text))
	if err := chromedp.Run(ctx,
		chromedp.Navigate(confirm),
		chromedp.Click(`[data-testid=confirm-form] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=confirmed]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	national.setDown(true)
	got = sink.WaitFor(anna, 2, 10*time.Second)
	if len(got) != 2 {
		t.Fatalf("%d mails after the outage", len(got))
	}
	unsubscribe := base + pathOf(t, regexp.MustCompile(`https?://\S+/status/abmelden\?t=\S+`).FindString(got[1].Text))
	if err := chromedp.Run(ctx,
		chromedp.Navigate(unsubscribe),
		chromedp.Click(`[data-testid=unsubscribe-form] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=unsubscribed]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	axe := newAxeChecker(t, ctx)
	axe.check(base+"/status", base+"/en/status", base+"/status/abonniert", base+"/en/status/abonniert", confirm, unsubscribe)
}
