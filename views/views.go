// Package views renders apoportal's pages with templ. Each page takes one props struct that
// the server fills; views know the domain types but nothing of HTTP.
package views

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/apoportal/apoportal/data"
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
	return []navLink{{SectionFind, "Apotheke finden", "/"}, {SectionStatus, "Status", "/status"}, {SectionPharmacies, "Für Apotheken", "/login"}}
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
	DistanceKm *float64
	Now        time.Time
	MaxAge     time.Duration // confirmations older than this are not believed (0: no limit)
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
	Message     string
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

// Formatting for German readers.

func km(d float64) string {
	if d < 10 {
		return strings.Replace(strconv.FormatFloat(d, 'f', 1, 64), ".", ",", 1) + " km"
	}
	return strconv.FormatFloat(d, 'f', 0, 64) + " km"
}

func clock(t time.Time) string { return t.In(data.Berlin()).Format("15:04") }

func dateTime(t time.Time) string { return t.In(data.Berlin()).Format("02.01.2006, 15:04") + " Uhr" }

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// since says how long ago t was, as "vor 3 Tagen".
func since(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 2*time.Minute:
		return "gerade eben"
	case d < 2*time.Hour:
		return fmt.Sprintf("vor %d Minuten", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("vor %d Stunden", int(d.Hours()))
	}
	return fmt.Sprintf("vor %d Tagen", int(d.Hours()/24))
}

func (c Card) status() data.CertificateStatus {
	return c.Pharmacy.Participation.Status(c.Now, c.MaxAge)
}

func (c Card) statusText() string {
	switch c.status() {
	case data.CertificatesActive:
		return "Stellt Impfzertifikate aus"
	case data.CertificatesPaused:
		return "Ausstellung pausiert bis " + dateTime(*c.Pharmacy.Participation.PausedUntil)
	case data.CertificatesUnconfirmed:
		return "Nicht aktuell bestätigt – bitte vorher anrufen"
	}
	return "Stellt derzeit keine Impfzertifikate aus"
}

func (c Card) openText() string {
	open, known, until := c.Pharmacy.OpenNow(c.Now)
	switch {
	case !known:
		return "Öffnungszeiten unbekannt"
	case open && until.Sub(c.Now) > 24*time.Hour:
		return "Rund um die Uhr geöffnet"
	case open && clock(until) == "00:00":
		return "Jetzt geöffnet bis 24:00 Uhr"
	case open && until.In(data.Berlin()).YearDay() != c.Now.In(data.Berlin()).YearDay():
		return "Jetzt geöffnet bis morgen " + clock(until) + " Uhr"
	case open:
		return "Jetzt geöffnet bis " + clock(until) + " Uhr"
	}
	return "Jetzt geschlossen"
}

func (c Card) isOpen() bool {
	open, _, _ := c.Pharmacy.OpenNow(c.Now)
	return open
}

func (c Card) detailURL() string { return "/apotheke/" + url.PathEscape(c.Pharmacy.ID) }

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

// week lists the opening hours day by day, and on public holidays when a PH rule says
// them, or nil when they cannot be read.
func (c Card) week() []Link {
	oh, err := data.ParseOpeningHours(c.Pharmacy.OpeningHours)
	if err != nil {
		return nil
	}
	out := make([]Link, 7)
	for d := range out {
		out[d] = Link{Label: data.DayNames[d], URL: spansText(oh.Day(d))}
	}
	if spans, ok := oh.Holidays(); ok {
		out = append(out, Link{Label: "Feiertage", URL: spansText(spans)})
	}
	return out
}

// holidaysAhead are the public holidays of the pharmacy's Land in the seven days from now,
// each with its opening hours that day ("Pfingstmontag, Mo 17.05.").
func (c Card) holidaysAhead() []Link {
	oh, err := data.ParseOpeningHours(c.Pharmacy.OpeningHours)
	if err != nil {
		return nil
	}
	now := c.Now.In(data.Berlin())
	var out []Link
	for i := range 7 {
		day := time.Date(now.Year(), now.Month(), now.Day()+i, 12, 0, 0, 0, data.Berlin())
		name, ok := data.PublicHoliday(c.Pharmacy.State, day)
		if !ok {
			continue
		}
		wd := (int(day.Weekday()) + 6) % 7
		spans := oh.Day(wd)
		if oh.OnHoliday(wd) {
			spans, _ = oh.Holidays()
		}
		out = append(out, Link{Label: name + ", " + data.DayNames[wd] + " " + day.Format("02.01."), URL: spansText(spans)})
	}
	return out
}

func spansText(spans []data.Span) string {
	if len(spans) == 0 {
		return "geschlossen"
	}
	texts := make([]string, len(spans))
	for i, s := range spans {
		texts[i] = data.FormatSpan(s)
	}
	return strings.Join(texts, ", ")
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

// radiusValue is a radius as a parameter (7.5), radiusText as German text (7,5).
func radiusValue(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

func radiusText(r float64) string { return strings.Replace(radiusValue(r), ".", ",", 1) }

func itoa(n int) string { return strconv.Itoa(n) }

// berlinTime is a moment as people in Germany read it.
func berlinTime(t time.Time) string { return t.In(data.Berlin()).Format("02.01.2006, 15:04") }

func allServices() []data.Service { return data.Services }
