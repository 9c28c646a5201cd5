// Package views renders apoportal's pages with templ. Each page takes one props struct that
// the server fills; views know the domain types but nothing of HTTP.
package views

import (
	"context"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/views/i18n"
)

// Assets are the content-hashed URLs of the static files.
type Assets struct {
	CSS, JS               string
	LeafletCSS, LeafletJS string // empty when Leaflet was not installed at build time
}

// Page is what every page's layout needs.
type Page struct {
	Title       string
	Description string
	Assets      Assets
	Demo        bool // the database holds the generated demo registry
	Map         bool // the page shows a map
	Banner      *Banner
	Section     Section // where the page is in the site's navigation; none for operators' pages
	// LiveEvery is how often (seconds) a page's national state follows /api/v1/status while
	// it is open, announced politely when it changes; 0: the page does not follow it.
	LiveEvery int
}

// Section is a part of the public site, as its navigation names it.
type Section string

// The navigation's sections.
const (
	SectionFind       Section = "finden"
	SectionStatus     Section = "status"
	SectionPharmacies Section = "apotheken"
)

// In is p as a page of section s.
func (p Page) In(s Section) Page {
	p.Section = s
	return p
}

// navLink is one entry of the site's navigation.
type navLink struct {
	Section     Section
	Label, Href string
}

// nationalLineState is what the home page's line says of the national service:
// maintenance, operational, degraded, down, unknown, or unmonitored.
func nationalLineState(b *Banner) string {
	switch {
	case b == nil || !b.Monitored && b.Maintenance == "":
		return "unmonitored"
	case b.Maintenance != "":
		return "maintenance"
	case b.State == "operational" || b.State == "degraded" || b.State == "down":
		return b.State
	}
	return "unknown"
}

func siteNav() []navLink {
	return []navLink{{SectionFind, i18n.Key("Apotheke finden"), "/"}, {SectionStatus, i18n.Key("Status"), "/status"},
		{SectionPharmacies, i18n.Key("Für Apotheken"), "/login"}}
}

// url is the link in the page's language.
func (l navLink) url(ctx context.Context) templ.SafeURL { return link(ctx, l.Href) }

// attrs mark the link of the page's section as the current one.
func (l navLink) attrs(current Section) templ.Attributes {
	if l.Section == current {
		return templ.Attributes{"aria-current": "page"}
	}
	return nil
}

// SearchForm is the state of the search form.
type SearchForm struct {
	Q            string
	Lat, Lon     string
	RadiusKm     float64
	ErrorField   string // the parameter a bad search is about (only q has a field of its own)
	Certificates bool
	OpenNow      bool
	Services     map[data.Service]bool
}

// Home is the start page.
type Home struct {
	Page
	Form SearchForm
}

// Card is one pharmacy as a result or on its detail page.
type Card struct {
	Pharmacy   data.Pharmacy
	Hours      *openinghours.Hours // nil when its opening hours cannot be read
	Opening    openinghours.Status // what they say at Now
	DistanceKm *float64
	Now        time.Time
	MaxAge     time.Duration // confirmations older than this are not believed (0: no limit)
}

// NewCard is the card of a pharmacy at now, with its parsed opening hours.
func NewCard(p data.Pharmacy, hours *openinghours.Hours, now time.Time, maxAge time.Duration) Card {
	return Card{Pharmacy: p, Hours: hours, Opening: hours.At(now, data.HolidaysIn(p.State)), Now: now, MaxAge: maxAge}
}

// Results is the search results page.
type Results struct {
	Page
	Form        SearchForm
	OriginLabel string
	OriginKind  string
	Origin      *[2]float64
	Total       int
	Offset      int
	Limit       int
	Cards       []Card
	Notice      search.Notice
	Suggestions []Link
	Prev, Next  string // URLs of neighbouring pages, "" where there is none
	GeneratedAt time.Time
	TileURL     string
	Error       string // the search could not be answered
}

// Link is a labelled URL.
type Link struct{ Label, URL string }

// Detail is a pharmacy's page.
type Detail struct {
	Page
	Card    Card
	TileURL string
}

// Problem is an error page.
type Problem struct {
	Page
	Status  int
	Heading string
	Message string
}

// Formatting as the page's readers write numbers and dates.

func km(ctx context.Context, d float64) string {
	if d < 10 {
		return decimal(ctx, strconv.FormatFloat(d, 'f', 1, 64)) + " km"
	}
	return strconv.FormatFloat(d, 'f', 0, 64) + " km"
}

// decimal writes a number's decimal point as the page's language does (7,5 in German).
func decimal(ctx context.Context, n string) string { return decimalIn(i18n.From(ctx), n) }

func decimalIn(l i18n.Lang, n string) string {
	if l == i18n.German {
		return strings.Replace(n, ".", ",", 1)
	}
	return n
}

func clock(t time.Time) string { return t.In(data.Berlin()).Format("15:04") }

// dateTime is a moment with its time of day, as the page's readers write it.
func dateTime(ctx context.Context, t time.Time) string {
	return t.In(data.Berlin()).Format(tr(ctx, "02.01.2006, 15:04 Uhr"))
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// since says how long ago t was, as "vor 3 Tagen".
func since(ctx context.Context, now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 2*time.Minute:
		return tr(ctx, "gerade eben")
	case d < 2*time.Hour:
		return tr(ctx, "vor %d Minuten", int(d.Minutes()))
	case d < 48*time.Hour:
		return tr(ctx, "vor %d Stunden", int(d.Hours()))
	}
	return tr(ctx, "vor %d Tagen", int(d.Hours()/24))
}

func (c Card) status() data.CertificateStatus {
	return c.Pharmacy.Participation.Status(c.Now, c.MaxAge)
}

func (c Card) statusText(ctx context.Context) string {
	switch c.status() {
	case data.CertificatesActive:
		return tr(ctx, "Stellt Impfzertifikate aus")
	case data.CertificatesPaused:
		return tr(ctx, "Ausstellung pausiert bis %s", dateTime(ctx, *c.Pharmacy.Participation.PausedUntil))
	case data.CertificatesUnconfirmed:
		return tr(ctx, "Nicht aktuell bestätigt – bitte vorher anrufen")
	}
	return tr(ctx, "Stellt derzeit keine Impfzertifikate aus")
}

func (c Card) detailURL(ctx context.Context) string {
	return i18n.From(ctx).Path("/apotheke/" + url.PathEscape(c.Pharmacy.ID))
}

// navigationURL opens route guidance to the pharmacy in the phone's map app.
func (c Card) navigationURL() string {
	return "https://www.google.com/maps/dir/?api=1&destination=" + url.QueryEscape(coord(c.Pharmacy.Lat)+","+coord(c.Pharmacy.Lon))
}

func phoneURL(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' || r == '+' {
			b.WriteRune(r)
		}
	}
	return "tel:" + b.String()
}

// errorOf ties input field to the form's error summary when the error is about it.
func errorOf(errorField, field string) templ.Attributes {
	if errorField != field {
		return nil
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": "form-error"}
}

// radiusOptions are the form's choices of radius, and the searched one when it is not among
// them (a link may ask for 7.5 km), in order.
func radiusOptions(searched float64) []float64 {
	options := []float64{1, 2, 5, 10, 20, 50}
	if !slices.Contains(options, searched) {
		options = append(options, searched)
		slices.Sort(options)
	}
	return options
}

// radiusValue is a radius as a parameter (7.5), radiusText as the page's text (7,5 in German).
func radiusValue(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

func radiusText(ctx context.Context, r float64) string { return decimal(ctx, radiusValue(r)) }

// serviceLabel is a service's name in the page's language.
func serviceLabel(ctx context.Context, s data.Service) string { return tr(ctx, s.Label()) }

func itoa(n int) string { return strconv.Itoa(n) }

func allServices() []data.Service { return data.Services }

// berlinTime is a moment as people in Germany read it.
func berlinTime(t time.Time) string { return t.In(data.Berlin()).Format("02.01.2006, 15:04") }

// liveLine follows the national state on the home page's line while the service is
// monitored and no maintenance is announced (its words need the maintenance's end).
func liveLine(ctx context.Context, b *Banner, every int) templ.Attributes {
	if b == nil || !b.Monitored || b.Maintenance != "" {
		return nil
	}
	return liveStatus(ctx, every, func(ctx context.Context, state string) string {
		var buf strings.Builder
		if err := nationalLineText(state, b).Render(ctx, &buf); err != nil {
			return ""
		}
		return html.UnescapeString(strings.TrimSpace(buf.String())) // templ escapes it again as an attribute
	})
}
