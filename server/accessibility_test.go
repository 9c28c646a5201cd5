package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
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

// The public pages checked by axe-core against the WCAG 2.0/2.1 A and AA rules, at a phone's
// and a desktop's width, in the light and the dark colour scheme: no violation. (Before: the
// map was aria-hidden while Leaflet makes it focusable, and Leaflet's attribution link was
// told apart by colour alone.) Pages behind a login are not checked here yet.
func TestAccessibility_PublicPagesHaveNoWCAGViolations(t *testing.T) {
	axe := testenv.AxeCore(t)
	ctx := startBrowser(t)
	app, _ := testApp(t, sharedDBCopy(t), nil)
	base := serveApp(t, app)
	pages := []string{"/", "/suche?q=21614", "/suche?q=21614&certificates=true&open_now=true", "/suche?q=Neukirchen",
		"/suche?q=00000", "/suche?q=", "/apotheke/" + pharmacyA, "/status", "/hilfe", "/leichte-sprache",
		"/impressum", "/datenschutz", "/barrierefreiheit", "/login", "/aktivieren", "/nirgendwo"}
	checked := map[string]bool{}
	for _, width := range []int64{375, 1280} {
		for _, scheme := range []string{"light", "dark"} {
			if err := chromedp.Run(ctx,
				network.Enable(), network.SetBlockedURLs([]string{"*tile.openstreetmap.org*"}), // loopback only
				emulation.SetDeviceMetricsOverride(width, 900, 1, width < 600),
				emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
			); err != nil {
				t.Fatal(err)
			}
			for _, path := range pages {
				var raw string
				err := chromedp.Run(ctx,
					chromedp.Navigate(base+path),
					chromedp.WaitReady("body", chromedp.ByQuery),
					chromedp.Evaluate(axe, nil),
					chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify(r))`,
						&raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
				)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
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
					t.Errorf("%s at %d px, %s: %s (%s): %s — %s", path, width, scheme, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
				}
				for _, p := range res.Passes {
					checked[p.ID] = true
				}
			}
		}
	}
	t.Logf("%d pages × 2 widths × 2 schemes; rules that applied and passed: %d", len(pages), len(checked))
}
