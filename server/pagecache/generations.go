package pagecache

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// Generations are counters of what answers depend on. A write bumps the counters of what
// it touched; an answer computed before is then out of date. Keys are strings: Cell(lat,
// lon) for a part of the map, Pharmacy(id) for one pharmacy, Everything for answers
// that depend on all pharmacies (text search without a place).
type Generations struct {
	mu    sync.RWMutex
	gens  map[string]uint64
	total atomic.Uint64 // bumps so far, of any key
}

// NewGenerations returns counters all at zero.
func NewGenerations() *Generations { return &Generations{gens: map[string]uint64{}} }

// Everything is the key every write bumps.
const Everything = "all"

// CellDeg is the size of a map cell: 0.25° is about 28 km north-south and 17 km east-west.
const CellDeg = 0.25

// Cell is the key of the map cell holding lat, lon.
func Cell(lat, lon float64) string {
	return fmt.Sprintf("cell:%d:%d", int(math.Floor(lat/CellDeg)), int(math.Floor(lon/CellDeg)))
}

// CellsAround are the keys of the cells a circle of radiusKm around lat, lon touches.
func CellsAround(lat, lon, radiusKm float64) []string {
	dLat := radiusKm / 111.2
	dLon := radiusKm / (111.2 * max(0.1, math.Cos(lat*math.Pi/180)))
	var out []string
	for y := math.Floor((lat - dLat) / CellDeg); y <= math.Floor((lat+dLat)/CellDeg); y++ {
		for x := math.Floor((lon - dLon) / CellDeg); x <= math.Floor((lon+dLon)/CellDeg); x++ {
			out = append(out, fmt.Sprintf("cell:%d:%d", int(y), int(x)))
		}
	}
	return out
}

// Pharmacy is the key of one pharmacy.
func Pharmacy(id string) string { return "pharmacy:" + id }

// Bump moves the counters of keys (and Everything) on.
func (g *Generations) Bump(keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range append(keys, Everything) {
		g.gens[k]++
	}
	g.total.Add(1)
}

// Version is the sum of the counters of keys; it changes exactly when one of them moves.
func (g *Generations) Version(keys []string) uint64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var v uint64
	for _, k := range keys {
		v += g.gens[k]
	}
	return v
}

// Total counts bumps of any key.
func (g *Generations) Total() uint64 { return g.total.Load() }
