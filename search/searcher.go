package search

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Kinds of origin of a search.
const (
	OriginPostcode    = "postcode"
	OriginPlace       = "place"
	OriginCoordinates = "coordinates"
	OriginNone        = "none"
)

// Request is a citizen's search as the API and the search page take it.
type Request struct {
	Q            string
	Origin       *Point // explicit origin (lat/lon); Q is then free text
	RadiusKm     float64
	Certificates bool
	OpenNow      bool
	Services     []data.Service
	Limit        int
	Offset       int
}

// Origin is where distances are measured from and how it was found.
type Origin struct {
	Point
	Label       string
	Kind        string
	Approximate bool // a postcode we did not know, answered with the nearest one we do
}

// Response is the answer to a Request.
type Response struct {
	Origin      Origin
	Total       int
	Limit       int
	Offset      int
	RadiusKm    float64
	Hits        []Hit
	Notice      Notice   // said to the citizen: unknown postcode, nothing found, ...
	Suggestions []string // queries that might be what was meant
	Engine      string
	GeneratedAt time.Time
}

// Notice is what a search says to the citizen besides its results: a code (the API's
// language-neutral word for it) and the values its text needs; the views word it in the
// reader's language.
type Notice struct {
	Code     string // one of the Notice… codes; "" for none
	Typed    string // what was typed: an ambiguous place, a query that found nothing
	Postcode string // an unknown postcode
	Near     string // the known postcode shown instead
	Place    string // the search's origin
	RadiusKm float64
}

// The notices a search gives.
const (
	NoticeNoQuery             = "no_query"              // nothing to search for
	NoticeAmbiguousPlace      = "ambiguous_place"       // several places match Typed: the suggestions name them
	NoticeUnknownPostcodeNear = "unknown_postcode_near" // Postcode is unknown; results are around Near
	NoticeUnknownPostcode     = "unknown_postcode"      // Postcode is unknown and nothing is near it
	NoticeNoneInRadius        = "none_in_radius"        // no pharmacy within RadiusKm of Place
	NoticeNothingFound        = "nothing_found"         // Typed is neither a place nor a pharmacy
)

// PostcodeLocator places a postcode by the pharmacies that have it, for postcodes the
// gazetteer lacks.
type PostcodeLocator interface {
	PostcodeCenter(code string) (Point, bool)
}

// Searcher turns requests into engine queries. It is safe for concurrent use; the
// gazetteer can be replaced while it serves.
type Searcher struct {
	engine    Engine
	locator   PostcodeLocator
	gazetteer atomic.Pointer[Gazetteer]
	now       func() time.Time
	maxAge    time.Duration
}

// SetMaxConfirmationAge makes searches for issuing pharmacies leave out those whose
// participation was not confirmed within d (0: no limit). Call before serving.
func (s *Searcher) SetMaxConfirmationAge(d time.Duration) { s.maxAge = d }

// NewSearcher returns a Searcher over engine. now is the clock (nil: time.Now).
func NewSearcher(engine Engine, locator PostcodeLocator, g *Gazetteer, now func() time.Time) *Searcher {
	if now == nil {
		now = time.Now
	}
	s := &Searcher{engine: engine, locator: locator, now: now}
	s.SetGazetteer(g)
	return s
}

// SetGazetteer replaces the gazetteer, e.g. after an import.
func (s *Searcher) SetGazetteer(g *Gazetteer) {
	if g == nil {
		g = NewGazetteer(nil)
	}
	s.gazetteer.Store(g)
}

// resolution is what a query string means.
type resolution struct {
	origin      *Origin
	text        string
	notice      Notice
	suggestions []string
	stop        bool // nothing to search: the notice says why
}

// Search answers r.
func (s *Searcher) Search(ctx context.Context, r Request) (Response, error) {
	now := s.now().UTC()
	resp := Response{Limit: r.Limit, Offset: r.Offset, RadiusKm: r.RadiusKm, Engine: s.engine.Name(), GeneratedAt: now,
		Origin: Origin{Kind: OriginNone}}
	var res resolution
	if r.Origin != nil {
		res = resolution{origin: &Origin{Point: *r.Origin, Kind: OriginCoordinates,
			Label: fmt.Sprintf("%.4f, %.4f", r.Origin.Lat, r.Origin.Lon)}, text: strings.TrimSpace(r.Q)}
	} else {
		res = s.resolve(r.Q)
	}
	resp.Notice, resp.Suggestions = res.notice, res.suggestions
	if res.origin != nil {
		resp.Origin = *res.origin
	}
	if res.stop {
		return resp, nil
	}
	q := Query{Text: res.text, RadiusKm: r.RadiusKm, Certificates: r.Certificates, OpenNow: r.OpenNow,
		Services: r.Services, Limit: r.Limit, Offset: r.Offset, Now: now, MaxConfirmationAge: s.maxAge}
	if res.origin != nil {
		q.Origin = &res.origin.Point
	}
	page, err := s.engine.Search(ctx, q)
	if err != nil {
		return resp, fmt.Errorf("search %s: %w", s.engine.Name(), err)
	}
	resp.Total, resp.Hits, resp.Engine = page.Total, page.Hits, page.Engine
	if page.Total == 0 && resp.Notice.Code == "" {
		switch {
		case q.Origin != nil:
			resp.Notice = Notice{Code: NoticeNoneInRadius, RadiusKm: r.RadiusKm, Place: resp.Origin.Label}
		default:
			resp.Notice = Notice{Code: NoticeNothingFound, Typed: strings.TrimSpace(r.Q)}
			resp.Suggestions = s.gazetteer.Load().suggestions(s.gazetteer.Load().similarPlaces(r.Q, 5))
		}
	}
	return resp, nil
}

var postcodeRE = regexp.MustCompile(`^[0-9]{5}$`)

// genericWords say nothing about which pharmacy is meant once a place is known.
var genericWords = map[string]bool{"apotheke": true, "apotheken": true, "apothek": true}

func (s *Searcher) resolve(q string) resolution {
	g := s.gazetteer.Load()
	fields := strings.Fields(q)
	for i, f := range fields {
		if postcodeRE.MatchString(f) {
			rest := strings.Join(append(append([]string(nil), fields[:i]...), fields[i+1:]...), " ")
			return s.resolvePostcode(g, f, rest)
		}
	}
	if len(fields) == 0 {
		return resolution{stop: true, notice: Notice{Code: NoticeNoQuery}}
	}
	if places := g.findPlaces(q); len(places) > 0 {
		return g.resolvePlaces(q, places, "")
	}
	// "Neue Apotheke Buxtehude", "Buxtehude Neue Apotheke": a known place and a name.
	for k := len(fields) - 1; k >= 1; k-- {
		for _, split := range [][2][]string{{fields[k:], fields[:k]}, {fields[:len(fields)-k], fields[len(fields)-k:]}} {
			where := strings.Join(split[0], " ")
			if places := g.exact[strings.Join(placeKey(where), " ")]; len(places) > 0 {
				return g.resolvePlaces(where, places, textWithout(split[1]))
			}
		}
	}
	return resolution{text: q}
}

func textWithout(words []string) string {
	var keep []string
	for _, w := range words {
		f := Fold(w)
		if !genericWords[f] && !placeStopwords[f] {
			keep = append(keep, w)
		}
	}
	return strings.Join(keep, " ")
}

// resolvePlaces picks the place meant: the only one, or one with at least three times the
// postcodes of the next (Frankfurt am Main over Frankfurt (Oder)); otherwise it asks.
func (g *Gazetteer) resolvePlaces(typed string, places []*place, text string) resolution {
	if len(places) > 1 && places[0].codes < 3*places[1].codes {
		if len(places) > 8 {
			places = places[:8]
		}
		return resolution{stop: true, suggestions: g.suggestions(places),
			notice: Notice{Code: NoticeAmbiguousPlace, Typed: strings.TrimSpace(typed)}}
	}
	p := places[0]
	res := resolution{origin: &Origin{Point: p.Point, Label: p.name, Kind: OriginPlace}, text: text}
	if others := places[1:]; len(others) > 0 {
		if len(others) > 5 {
			others = others[:5]
		}
		res.suggestions = g.suggestions(others)
	}
	return res
}

func (s *Searcher) resolvePostcode(g *Gazetteer, code, rest string) resolution {
	text := rest
	if pc, ok := g.postcode(code); ok {
		if sameName(rest, pc.place) {
			text = ""
		}
		return resolution{origin: &Origin{Point: pc.Point, Label: pc.label(), Kind: OriginPostcode}, text: text}
	}
	if s.locator != nil {
		if pt, ok := s.locator.PostcodeCenter(code); ok {
			if rest != "" && len(g.findPlaces(rest)) > 0 {
				text = ""
			}
			return resolution{origin: &Origin{Point: pt, Label: code, Kind: OriginPostcode}, text: text}
		}
	}
	if near, ok := g.nearestPostcode(code); ok {
		if sameName(rest, near.place) {
			text = ""
		}
		return resolution{origin: &Origin{Point: near.Point, Label: near.label(), Kind: OriginPostcode, Approximate: true},
			text:   text,
			notice: Notice{Code: NoticeUnknownPostcodeNear, Postcode: code, Near: near.label()}}
	}
	return resolution{stop: true, notice: Notice{Code: NoticeUnknownPostcode, Postcode: code}}
}

// sameName reports whether typed names the place (or is empty), so "21614 Buxtehude" is a
// postcode search and not a search for a pharmacy called Buxtehude.
func sameName(typed, place string) bool {
	t := placeKey(typed)
	if len(t) == 0 {
		return true
	}
	for _, k := range placeKeys(place) {
		if startsWithWords(k, t) {
			return true
		}
	}
	return false
}
