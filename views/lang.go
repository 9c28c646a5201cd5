package views

import (
	"context"

	"github.com/a-h/templ"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/views/i18n"
)

// A page renders in the language its context carries (i18n.With), and knows its own
// address in German (WithHere): the language switch and the hreflang links lead to it in
// every language.

type hereKey struct{}

// WithHere is ctx for rendering the page at the German path and query here ("/suche?q=…").
func WithHere(ctx context.Context, here string) context.Context {
	return context.WithValue(ctx, hereKey{}, here)
}

func hereOf(ctx context.Context) string {
	if h, ok := ctx.Value(hereKey{}).(string); ok {
		return h
	}
	return "/"
}

// tr is the message key in the page's language.
func tr(ctx context.Context, key string, args ...any) string { return i18n.From(ctx).T(key, args...) }

// link is a German path of the site in the page's language.
func link(ctx context.Context, path string) templ.SafeURL {
	return templ.SafeURL(i18n.From(ctx).Path(path))
}

func langOf(ctx context.Context) string { return string(i18n.From(ctx)) }

// alternate is one language's version of the page, for the switch and hreflang.
type alternate struct {
	Lang    i18n.Lang
	URL     string
	Current bool
}

// alternates are the page in every language. The German home is asked with lang=de, which
// the bare / would otherwise send to the language the browser prefers.
func alternates(ctx context.Context) []alternate {
	here, current := hereOf(ctx), i18n.From(ctx)
	out := make([]alternate, 0, len(i18n.Langs))
	for _, l := range i18n.Langs {
		u := l.Path(here)
		if l == i18n.German && here == "/" {
			u = "/?lang=de"
		}
		out = append(out, alternate{Lang: l, URL: u, Current: l == current})
	}
	return out
}

// liveStatus makes the element showing the national service's state follow
// /api/v1/status (app.js) and say a change politely (role=status): how often, and its text
// for each state as text(state) words it. Nothing when the page does not follow it.
func liveStatus(ctx context.Context, every int, text func(context.Context, string) string) templ.Attributes {
	if every <= 0 {
		return nil
	}
	a := templ.Attributes{"role": "status", "data-live-status": "", "data-live-every": itoa(every)}
	for _, s := range []string{"operational", "degraded", "down", "unknown"} {
		a["data-text-"+s] = text(ctx, s)
	}
	return a
}

// mapLabels are the map's texts that app.js writes: its button and attribution.
func mapLabels(ctx context.Context) templ.Attributes {
	return templ.Attributes{"data-hide": tr(ctx, "Karte ausblenden"), "data-show": tr(ctx, "Karte zeigen"),
		"data-attribution": tr(ctx, "© OpenStreetMap-Mitwirkende")}
}

// NoticeText is a search's notice in l's words.
func NoticeText(l i18n.Lang, n search.Notice) string {
	switch n.Code {
	case search.NoticeNoQuery:
		return l.T("Bitte geben Sie eine PLZ, einen Ort oder den Namen einer Apotheke ein.")
	case search.NoticeAmbiguousPlace:
		return l.T("Mehrere Orte passen zu „%s“. Welchen meinen Sie?", n.Typed)
	case search.NoticeUnknownPostcodeNear:
		return l.T("Die PLZ %s kennen wir nicht. Gezeigt werden Apotheken um die nächstgelegene PLZ %s.", n.Postcode, n.Near)
	case search.NoticeUnknownPostcode:
		return l.T("Die PLZ %s kennen wir nicht. Bitte prüfen Sie die Eingabe oder suchen Sie nach dem Ort.", n.Postcode)
	case search.NoticeNoneInRadius:
		return l.T("Im Umkreis von %s km um %s haben wir keine passende Apotheke gefunden.", decimalIn(l, radiusValue(n.RadiusKm)), n.Place)
	case search.NoticeNothingFound:
		return l.T("Zu „%s“ haben wir weder einen Ort noch eine Apotheke gefunden.", n.Typed)
	}
	return ""
}

func noticeText(ctx context.Context, n search.Notice) string { return NoticeText(i18n.From(ctx), n) }
