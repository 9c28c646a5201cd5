// Package search answers citizens' questions "which pharmacies near X issue certificates
// right now": it resolves what they typed (PLZ, town, pharmacy name) into an origin and a
// text, and asks an Engine. Engines live in subpackages (local: in-process over the SQLite
// store) and all answer the same Query with the same Page.
package search

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
)

// Limits of a query, as the public API documents them.
const (
	DefaultRadiusKm = 10
	MinRadiusKm     = 1
	MaxRadiusKm     = 50
	DefaultLimit    = 20
	MaxLimit        = 100
)

// Point is a WGS84 coordinate.
type Point struct{ Lat, Lon float64 }

// Query is what an engine answers: pharmacies matching Text (all words, as prefixes, in
// name, street, postcode or town) and, with an Origin, within RadiusKm of it, sorted by
// distance (ties by id); without an Origin sorted by relevance. Filters apply at Now.
type Query struct {
	Text         string
	Origin       *Point
	RadiusKm     float64
	Certificates bool
	OpenNow      bool
	Services     []data.Service
	Limit        int
	Offset       int
	Now          time.Time
	// MaxConfirmationAge > 0: a participation not confirmed within it is not "issuing".
	MaxConfirmationAge time.Duration
}

// Hit is one pharmacy found; DistanceKm is set when the query had an origin.
type Hit struct {
	Pharmacy   data.Pharmacy
	Hours      *openinghours.Hours // its opening hours, parsed once; nil when unreadable
	DistanceKm *float64
}

// Page is one page of hits, the number of all matches, and the engine that answered.
type Page struct {
	Total  int
	Hits   []Hit
	Engine string
}

// Engine is a search backend.
type Engine interface {
	// Name is reported to clients as the engine that answered ("local", "meilisearch").
	Name() string
	// Search answers q; it fails only when the engine cannot answer at all.
	Search(ctx context.Context, q Query) (Page, error)
}

// ErrNotReady is what an engine answers while it cannot answer truthfully yet (still
// loading, or behind the store); a Fallback then asks the next engine without counting
// it as a failure.
var ErrNotReady = errors.New("search engine not ready")

const earthRadiusKm = 6371.0088

// DistanceKm is the great-circle (haversine) distance between a and b.
func DistanceKm(a, b Point) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}
