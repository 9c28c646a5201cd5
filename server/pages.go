package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/server/legal"
	"github.com/apoportal/apoportal/server/pagecache"
	"github.com/apoportal/apoportal/views"
	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

func (a *App) page(title string, withMap bool) views.Page {
	assets := views.Assets{CSS: a.assets.URL("app.css"), JS: a.assets.URL("app.js"),
		LeafletCSS: a.assets.URL("vendor/leaflet/leaflet.css"), LeafletJS: a.assets.URL("vendor/leaflet/leaflet.js")}
	return views.Page{Title: title, Assets: assets, Demo: a.demo, Map: withMap && a.cfg.TileURL != "", Banner: a.status.Banner(),
		LiveEvery: liveEvery(a.cfg.ProbeInterval)}
}

// liveEvery is how often an open page asks /api/v1/status for the national state: as often
// as the monitor probes, from once a second to once a minute (nginx and browsers keep the
// answer 10 s, so many open pages cost the portal little).
func liveEvery(probe time.Duration) int {
	return int(min(max(probe, time.Second), time.Minute) / time.Second)
}

// langOf is the language of the page c asks for: its path says it (/en/…).
func langOf(c echo.Context) i18n.Lang {
	l, _ := i18n.Of(c.Request().URL.Path)
	return l
}

// homePage is GET /: the search form, filtering for pharmacies that issue certificates.
func (a *App) homePage(c echo.Context) error {
	l := langOf(c)
	p := views.Home{Page: a.page(l.T("Apotheken mit Impfzertifikat finden"), false).In(views.SectionFind),
		Form: views.SearchForm{RadiusKm: search.DefaultRadiusKm, Certificates: true}}
	p.Description = l.T("Finden Sie die nächste Apotheke, die digitale Impfzertifikate ausstellt.")
	return render(c, http.StatusOK, views.HomePage(p))
}

// helpPage is GET /hilfe: how a citizen gets a certificate.
func (a *App) helpPage(c echo.Context) error {
	l := langOf(c)
	p := a.page(l.T("So bekommen Sie Ihr Zertifikat"), false)
	p.Description = l.T("Was Sie in die Apotheke mitbringen, wie lange es dauert und was bei einer Störung geschieht.")
	return render(c, http.StatusOK, views.HelpPage(p))
}

// easyLanguagePage is GET /leichte-sprache: the portal in Leichte Sprache.
func (a *App) easyLanguagePage(c echo.Context) error {
	return render(c, http.StatusOK, views.EasyLanguagePage(a.page("Leichte Sprache", false)))
}

// legalPage is GET /impressum, /datenschutz and /barrierefreiheit: the operator's text, or
// that it has not been provided; the privacy statement always says what the portal stores.
func (a *App) legalPage(p legal.Page) echo.HandlerFunc {
	return func(c echo.Context) error { return render(c, http.StatusOK, views.LegalPage(a.legalView(c, p))) }
}

// legalTitles are the legal pages' titles, keys of the catalogue.
var legalTitles = map[legal.Page]string{legal.Impressum: i18n.Key("Impressum"), legal.Privacy: i18n.Key("Datenschutzerklärung"),
	legal.Accessibility: i18n.Key("Erklärung zur Barrierefreiheit")}

// legalView is legal page p in c's language: the operator's text and what the portal says of
// itself.
func (a *App) legalView(c echo.Context, p legal.Page) views.Legal {
	text := a.legal.Of(p)
	return views.Legal{Page: a.page(langOf(c).T(legalTitles[p]), false), Kind: string(p), LogRetentionDays: a.logRetentionDays(),
		HTML: text.HTML, Provided: text.Provided, Example: text.Example}
}

// resultsPage is GET /suche: the results list, working without JavaScript.
func (a *App) resultsPage(c echo.Context) error {
	values, l := c.QueryParams(), langOf(c)
	r, err := parseSearch(values)
	form := formOf(values, r)
	p := views.Results{Page: a.page(l.T("Suche"), true).In(views.SectionFind), Form: form, TileURL: a.cfg.TileURL}
	if err != nil {
		if data.ErrorCode(err) != data.EINVALID {
			return err
		}
		p.Error, p.Form.ErrorField = searchError(l, err), data.ErrorField(err)
		return render(c, http.StatusBadRequest, views.ResultsPage(p))
	}
	resp, err := a.search(c.Request().Context(), r)
	if err != nil {
		return err
	}
	dependsOn(c, searchDeps(r, resp)...)
	if form.Q != "" {
		p.Title = form.Q + " – " + l.T("Suche")
	}
	p.OriginLabel, p.OriginKind = resp.Origin.Label, resp.Origin.Kind
	if resp.Origin.Kind != search.OriginNone {
		p.Origin = &[2]float64{resp.Origin.Lat, resp.Origin.Lon}
	}
	p.Total, p.Offset, p.Limit, p.Notice, p.GeneratedAt = resp.Total, resp.Offset, resp.Limit, resp.Notice, resp.GeneratedAt
	for _, s := range resp.Suggestions {
		v := cloneValues(values)
		v.Set("q", s)
		v.Del("offset")
		v.Del("lat")
		v.Del("lon")
		p.Suggestions = append(p.Suggestions, views.Link{Label: s, URL: l.Path("/suche?" + v.Encode())})
	}
	for _, h := range resp.Hits {
		card := views.NewCard(h.Pharmacy, h.Hours, resp.GeneratedAt, a.cfg.ConfirmationMaxAge)
		card.DistanceKm = h.DistanceKm
		p.Cards = append(p.Cards, card)
	}
	if r.Offset > 0 {
		p.Prev = l.Path(pageURL(values, max(0, r.Offset-r.Limit)))
	}
	if r.Offset+r.Limit < resp.Total {
		p.Next = l.Path(pageURL(values, r.Offset+r.Limit))
	}
	return render(c, http.StatusOK, views.ResultsPage(p))
}

// searchError is the message for a bad search parameter in l.
func searchError(l i18n.Lang, err error) string {
	if errors.Is(err, errNoQuery) {
		return l.T("Bitte geben Sie eine PLZ, einen Ort oder den Namen einer Apotheke ein.")
	}
	var de *data.Error
	if !errors.As(err, &de) {
		return l.T("Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.")
	}
	return l.T("Die Suche enthält einen ungültigen Wert (%s: %s).", de.Field, errorText(l, de))
}

// formOf is the search form as the search was understood: the parsed request's values (the
// same parse as the search and its cache key), the text fields as they were typed. After a
// parse error, what was parsed before it, and the defaults for the rest.
func formOf(v url.Values, r search.Request) views.SearchForm {
	f := views.SearchForm{Q: v.Get("q"), Lat: v.Get("lat"), Lon: v.Get("lon"), RadiusKm: r.RadiusKm,
		Certificates: r.Certificates, OpenNow: r.OpenNow, Services: map[data.Service]bool{}}
	if f.RadiusKm < search.MinRadiusKm || f.RadiusKm > search.MaxRadiusKm {
		f.RadiusKm = search.DefaultRadiusKm
	}
	for _, s := range r.Services {
		f.Services[s] = true
	}
	return f
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func pageURL(v url.Values, offset int) string {
	out := cloneValues(v)
	if offset == 0 {
		out.Del("offset")
	} else {
		out.Set("offset", strconv.Itoa(offset))
	}
	return "/suche?" + out.Encode()
}

// pharmacyPage is GET /apotheke/{id}.
// publicPharmacy is a pharmacy's entry for citizens: the store's, or while the store does
// not answer (a failover, a restart) the embedded engine's copy, which follows the store
// and is what search shows anyway. Reads stay up while writes wait for the store.
func (a *App) publicPharmacy(ctx context.Context, id string) (data.Pharmacy, error) {
	ph, err := a.store.Pharmacy(ctx, id)
	if err == nil || data.ErrorCode(err) != data.EUNAVAILABLE {
		return ph, err
	}
	if indexed, ok := a.engine.Pharmacy(id); ok {
		return indexed, nil
	}
	return ph, err
}

func (a *App) pharmacyPage(c echo.Context) error {
	ph, err := a.publicPharmacy(c.Request().Context(), c.Param("id"))
	if err != nil {
		if l := langOf(c); data.ErrorCode(err) == data.ENOTFOUND {
			return render(c, http.StatusNotFound, views.ProblemPage(views.Problem{Page: a.page(l.T("Nicht gefunden"), false),
				Status: http.StatusNotFound, Heading: l.T("Apotheke nicht gefunden"),
				Message: l.T("Diese Apotheke kennen wir nicht. Vielleicht wurde sie aus dem Verzeichnis entfernt.")}))
		}
		return err
	}
	dependsOn(c, pagecache.Pharmacy(ph.ID))
	p := views.Detail{Page: a.page(ph.Name+", "+ph.City, true).In(views.SectionFind), TileURL: a.cfg.TileURL,
		Card: views.NewCard(ph, a.hours.Parse(ph.OpeningHours), a.now(), a.cfg.ConfirmationMaxAge)}
	p.Description = ph.Name + ", " + ph.Address()
	return render(c, http.StatusOK, views.PharmacyPage(p))
}

// chooseLanguage sends a browser that prefers English from the bare / to /en/ (the answer,
// German or the redirect, varies on Accept-Language); ?lang=de, as the language switch
// links it, keeps German.
func (a *App) chooseLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.QueryParam("lang") == "" {
			if l := acceptedLanguage(c); l != i18n.German {
				c.Response().Header().Set(echo.HeaderVary, headerAcceptLanguage)
				c.Response().Header().Set(echo.HeaderCacheControl, publicCacheControl)
				return c.Redirect(http.StatusFound, l.Path("/"))
			}
		}
		return next(c)
	}
}

// logRetentionDays is what the privacy statement says of the access log: kept this many
// days, or 0 when the portal logs no addresses.
func (a *App) logRetentionDays() int {
	if a.cfg.AccessLog == "" {
		return 0
	}
	return int(a.cfg.LogRetention / (24 * time.Hour))
}
