package search_test

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/search/local"
)

// A Monday during opening hours, when the portal launched.
var launch = time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)

type indexed struct {
	searcher *search.Searcher
	ps       []data.Pharmacy
}

var (
	sharedOnce sync.Once
	shared     indexed
)

// sharedFixture indexes the shared registry once for all tests of this package.
func sharedFixture(t *testing.T) indexed {
	t.Helper()
	sharedOnce.Do(func() {
		ps, pcs := fixture.SharedRegistry(t)
		eng := local.New(sliceSource(ps))
		if err := eng.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		shared = indexed{search.NewSearcher(eng, eng, search.NewGazetteer(pcs), func() time.Time { return launch }), ps}
	})
	return shared
}

// sliceSource serves pharmacies from memory, as the store would on the first sync.
type sliceSource []data.Pharmacy

func (s sliceSource) PharmaciesChangedSince(_ context.Context, seq int64) ([]data.Pharmacy, int64, error) {
	if seq > 0 {
		return nil, seq, nil
	}
	return s, 1, nil
}

func req(q string) search.Request {
	return search.Request{Q: q, RadiusKm: search.DefaultRadiusKm, Limit: search.DefaultLimit}
}

func mustSearch(t *testing.T, s *search.Searcher, r search.Request) search.Response {
	t.Helper()
	resp, err := s.Search(context.Background(), r)
	if err != nil {
		t.Fatalf("search %+v: %v", r, err)
	}
	return resp
}

func TestSearch_Postcode_NearestFirstWithinRadius(t *testing.T) {
	f := sharedFixture(t)
	resp := mustSearch(t, f.searcher, req("21614"))
	if resp.Origin.Kind != search.OriginPostcode || resp.Origin.Label != "21614 Buxtehude" {
		t.Fatalf("origin = %+v", resp.Origin)
	}
	if resp.Total == 0 || len(resp.Hits) == 0 {
		t.Fatal("no pharmacies near 21614")
	}
	last := -1.0
	for _, h := range resp.Hits {
		if h.DistanceKm == nil || *h.DistanceKm < last || *h.DistanceKm > 10 {
			t.Fatalf("hit %s at %v after %v", h.Pharmacy.ID, h.DistanceKm, last)
		}
		last = *h.DistanceKm
	}
}

// The engine's radius and order must equal a brute-force haversine scan: exact, not
// approximate, at the radius edges too.
func TestSearch_RadiusAndOrderAreExact(t *testing.T) {
	f := sharedFixture(t)
	for _, tc := range []struct {
		origin search.Point
		radius float64
	}{
		{search.Point{Lat: 53.4672, Lon: 9.6864}, 10},
		{search.Point{Lat: 48.1372, Lon: 11.5756}, 1},
		{search.Point{Lat: 52.52, Lon: 13.405}, 50},
		{search.Point{Lat: 54.78, Lon: 9.43}, 7.5},
	} {
		var want []string
		dist := map[string]float64{}
		for _, p := range f.ps {
			d := search.DistanceKm(tc.origin, search.Point{Lat: p.Lat, Lon: p.Lon})
			if d <= tc.radius {
				want = append(want, p.ID)
				dist[p.ID] = d
			}
		}
		sort.Slice(want, func(i, j int) bool {
			if dist[want[i]] != dist[want[j]] {
				return dist[want[i]] < dist[want[j]]
			}
			return want[i] < want[j]
		})
		o := tc.origin
		resp := mustSearch(t, f.searcher, search.Request{Origin: &o, RadiusKm: tc.radius, Limit: search.MaxLimit})
		if resp.Total != len(want) {
			t.Fatalf("%+v r=%v: total %d, brute force %d", tc.origin, tc.radius, resp.Total, len(want))
		}
		for i, h := range resp.Hits {
			if h.Pharmacy.ID != want[i] || math.Abs(*h.DistanceKm-dist[want[i]]) > 1e-9 {
				t.Fatalf("%+v r=%v: hit %d is %s at %v, want %s at %v", tc.origin, tc.radius, i, h.Pharmacy.ID, *h.DistanceKm, want[i], dist[want[i]])
			}
		}
	}
}

func TestSearch_TownSpellings(t *testing.T) {
	f := sharedFixture(t)
	for q, want := range map[string]string{
		"muenchen": "München", "MÜNCHEN": "München", "München": "München", "munchen": "München",
		"Frankfurt am Main": "Frankfurt am Main", "frankfurt main": "Frankfurt am Main", "  Frankfurt   a. M. ": "Frankfurt am Main",
		"Frankfurt (Oder)": "Frankfurt (Oder)", "frankfurt oder": "Frankfurt (Oder)", "buxtehude": "Buxtehude",
		"Köln": "Köln", "koeln": "Köln",
	} {
		resp := mustSearch(t, f.searcher, req(q))
		if resp.Origin.Kind != search.OriginPlace || resp.Origin.Label != want {
			t.Errorf("%q: origin %+v, want place %s", q, resp.Origin, want)
		}
	}
}

func TestSearch_BigTownWinsButOthersAreSuggested(t *testing.T) {
	resp := mustSearch(t, sharedFixture(t).searcher, req("Frankfurt"))
	if resp.Origin.Label != "Frankfurt am Main" || len(resp.Hits) == 0 {
		t.Fatalf("origin %+v with %d hits", resp.Origin, len(resp.Hits))
	}
	found := false
	for _, s := range resp.Suggestions {
		found = found || s == "Frankfurt (Oder)"
	}
	if !found {
		t.Errorf("suggestions %v lack Frankfurt (Oder)", resp.Suggestions)
	}
}

func TestSearch_AmbiguousTownAsksAndEverySuggestionResolves(t *testing.T) {
	f := sharedFixture(t)
	resp := mustSearch(t, f.searcher, req("Neukirchen"))
	if resp.Origin.Kind != search.OriginNone || len(resp.Hits) != 0 || len(resp.Suggestions) < 2 || resp.Notice.Code == "" {
		t.Fatalf("ambiguous answered with %+v", resp)
	}
	for _, s := range resp.Suggestions {
		r := mustSearch(t, f.searcher, req(s))
		if r.Origin.Kind == search.OriginNone {
			t.Errorf("suggestion %q does not resolve: %+v %v", s, r.Notice, r.Suggestions)
		}
	}
}

func TestSearch_Typo_SuggestsTheTown(t *testing.T) {
	resp := mustSearch(t, sharedFixture(t).searcher, req("Buxtehdue"))
	if resp.Total != 0 || resp.Notice.Code == "" || len(resp.Suggestions) == 0 || resp.Suggestions[0] != "Buxtehude" {
		t.Fatalf("typo answered with %+v", resp)
	}
}

func TestSearch_UnknownPostcode_UsesNearestKnownPostcode(t *testing.T) {
	resp := mustSearch(t, sharedFixture(t).searcher, req("21615"))
	if !resp.Origin.Approximate || resp.Origin.Label != "21614 Buxtehude" || resp.Notice.Code == "" || resp.Total == 0 {
		t.Fatalf("21615 answered with origin %+v, notice %+v, total %d", resp.Origin, resp.Notice, resp.Total)
	}
}

func TestSearch_PostcodeWithoutGazetteerEntry_UsesItsPharmacies(t *testing.T) {
	ps := []data.Pharmacy{
		{ID: "100000001", Name: "Hafen-Apotheke", Postcode: "99998", City: "Neuort", Lat: 53.0, Lon: 9.0},
		{ID: "100000002", Name: "Markt-Apotheke", Postcode: "99998", City: "Neuort", Lat: 53.02, Lon: 9.0},
	}
	eng := local.New(sliceSource(ps))
	if err := eng.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := search.NewSearcher(eng, eng, search.NewGazetteer(nil), nil)
	resp := mustSearch(t, s, req("99998"))
	if resp.Origin.Kind != search.OriginPostcode || math.Abs(resp.Origin.Lat-53.01) > 1e-9 || resp.Total != 2 {
		t.Fatalf("got origin %+v, total %d", resp.Origin, resp.Total)
	}
	if resp := mustSearch(t, s, req("12345")); resp.Total != 0 || resp.Notice.Code == "" {
		t.Fatalf("unknown postcode: %+v", resp)
	}
}

func TestSearch_PharmacyName(t *testing.T) {
	f := sharedFixture(t)
	var target data.Pharmacy
	for _, p := range f.ps {
		if p.Postcode == "21614" {
			target = p
			break
		}
	}
	resp := mustSearch(t, f.searcher, req(target.Name+" Buxtehude"))
	if resp.Origin.Label != "Buxtehude" || len(resp.Hits) == 0 || resp.Hits[0].Pharmacy.ID != target.ID {
		t.Fatalf("%q Buxtehude: origin %+v, hits %d", target.Name, resp.Origin, len(resp.Hits))
	}
	resp = mustSearch(t, f.searcher, req(target.Name))
	if resp.Origin.Kind != search.OriginNone || resp.Total == 0 {
		t.Fatalf("%q: origin %+v, total %d", target.Name, resp.Origin, resp.Total)
	}
	for _, h := range resp.Hits {
		if h.DistanceKm != nil {
			t.Fatalf("text search returned a distance")
		}
	}
}

func TestSearch_Filters(t *testing.T) {
	f := sharedFixture(t)
	base := mustSearch(t, f.searcher, search.Request{Q: "Berlin", RadiusKm: 20, Limit: search.MaxLimit})
	r := search.Request{Q: "Berlin", RadiusKm: 20, Limit: search.MaxLimit, Certificates: true, OpenNow: true,
		Services: []data.Service{data.ServiceRapidTest}}
	resp := mustSearch(t, f.searcher, r)
	if resp.Total == 0 || resp.Total >= base.Total {
		t.Fatalf("filtered %d of %d", resp.Total, base.Total)
	}
	for _, h := range resp.Hits {
		p := h.Pharmacy
		hours, err := openinghours.Parse(p.OpeningHours)
		open := hours.StateAt(launch, data.HolidaysIn(p.State)) == openinghours.Open
		if !p.Participation.Issuing(launch, 0) || !p.Offers(data.ServiceRapidTest) || err != nil || !open || h.Hours == nil {
			t.Fatalf("filtered hit %+v", p)
		}
	}
	// Sunday 03:00 in Berlin only 24/7 pharmacies are open.
	sunday := time.Date(2021, 6, 20, 1, 0, 0, 0, time.UTC)
	s := search.NewSearcher(engineOf(t, f), nil, nil, func() time.Time { return sunday })
	o := search.Point{Lat: 52.52, Lon: 13.405}
	resp = mustSearch(t, s, search.Request{Origin: &o, RadiusKm: 50, Limit: search.MaxLimit, OpenNow: true})
	for _, h := range resp.Hits {
		if h.Pharmacy.OpeningHours != "24/7" {
			t.Fatalf("open on Sunday night: %q", h.Pharmacy.OpeningHours)
		}
	}
}

func engineOf(t *testing.T, f indexed) *local.Engine {
	eng := local.New(sliceSource(f.ps))
	if err := eng.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestSearch_Paging(t *testing.T) {
	f := sharedFixture(t)
	all := mustSearch(t, f.searcher, search.Request{Q: "Hamburg", RadiusKm: 10, Limit: 100})
	page := mustSearch(t, f.searcher, search.Request{Q: "Hamburg", RadiusKm: 10, Limit: 10, Offset: 20})
	if page.Total != all.Total || len(page.Hits) != 10 || page.Hits[0].Pharmacy.ID != all.Hits[20].Pharmacy.ID {
		t.Fatalf("page 3 of 10 differs from the whole list")
	}
}

func TestSearch_PauseEndsByItself(t *testing.T) {
	until := launch.Add(time.Hour)
	p := data.Pharmacy{ID: "100000001", Name: "A", Postcode: "21614", Lat: 53.47, Lon: 9.69,
		Participation: data.Participation{Participating: true, PausedUntil: &until}}
	eng := local.New(sliceSource{p})
	if err := eng.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := launch
	s := search.NewSearcher(eng, eng, nil, func() time.Time { return now })
	o := search.Point{Lat: 53.47, Lon: 9.69}
	r := search.Request{Origin: &o, RadiusKm: 1, Limit: 1, Certificates: true}
	if resp := mustSearch(t, s, r); resp.Total != 0 {
		t.Fatal("paused pharmacy listed as issuing")
	}
	now = until
	if resp := mustSearch(t, s, r); resp.Total != 1 {
		t.Fatal("pause did not end by itself")
	}
}

// Neuenkirchen and Neunkirchen are different towns, however umlauts are folded.
func TestSearch_SimilarNamesStayApart(t *testing.T) {
	f := sharedFixture(t)
	for typed, other := range map[string]string{"Neunkirchen": "Neuenkirchen", "Neuenkirchen": "Neunkirchen"} {
		resp := mustSearch(t, f.searcher, req(typed))
		names := append([]string{resp.Origin.Label}, resp.Suggestions...)
		for _, n := range names {
			if strings.Contains(n, other) {
				t.Errorf("%q offers %q", typed, n)
			}
		}
	}
}
