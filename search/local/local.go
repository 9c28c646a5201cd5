// Package local is the embedded search engine: an in-process index of the pharmacies in
// the SQLite store (a grid for distance, words for text), kept up to date by following the
// store's change sequence. It needs no other service and is the fallback whenever another
// engine cannot answer.
package local

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/search"
)

// Source is where the engine reads pharmacies from: the store.
type Source interface {
	PharmaciesChangedSince(ctx context.Context, seq int64) ([]data.Pharmacy, int64, error)
}

// cellDeg is the grid's cell size: 0.1° is about 11 km north-south and 7 km east-west in
// Germany, so a 10 km radius touches a few cells.
const cellDeg = 0.1

type cell struct{ lat, lon int32 }

func cellOf(lat, lon float64) cell {
	return cell{int32(math.Floor(lat / cellDeg)), int32(math.Floor(lon / cellDeg))}
}

// doc is one indexed pharmacy with what its filters need, computed once.
type doc struct {
	p        data.Pharmacy
	hours    *openinghours.Hours // nil when unknown or unreadable
	services uint8
	name     []string // folded words of the name
	words    []string // folded words of name, street, postcode and town
}

// Engine is the embedded engine. It is safe for concurrent use.
type Engine struct {
	src Source

	mu         sync.RWMutex
	docs       []doc
	byID       map[string]int32
	grid       map[cell][]int32
	byPostcode map[string][]int32
	text       textIndex
	seq        int64
	hours      *openinghours.Cache // parsed opening hours, shared by identical values
	onChange   func([]Change)      // hears what each sync changed; may be nil
}

// Change is a pharmacy a sync changed: where it is now and, when it was known, where it was.
type Change struct {
	ID     string
	Before *search.Point
	After  search.Point
}

// OnChange sets what hears the pharmacies each sync changed (after the index holds them),
// so caches can forget what depended on them. Call before Follow.
func (e *Engine) OnChange(fn func([]Change)) { e.onChange = fn }

var _ search.Engine = (*Engine)(nil)
var _ search.PostcodeLocator = (*Engine)(nil)

// New returns an engine over src; call Sync to load it.
func New(src Source) *Engine {
	return &Engine{src: src, byID: map[string]int32{}, grid: map[cell][]int32{}, byPostcode: map[string][]int32{},
		hours: openinghours.NewCache()}
}

// Name implements search.Engine.
func (e *Engine) Name() string { return "local" }

// Len is the number of indexed pharmacies.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.docs)
}

// Pharmacy is the index's copy of a pharmacy's entry, as of Seq.
func (e *Engine) Pharmacy(id string) (data.Pharmacy, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, known := e.byID[id]
	if !known {
		return data.Pharmacy{}, false
	}
	return e.docs[i].p, true
}

// Seq is the store's change sequence number the index has caught up with.
func (e *Engine) Seq() int64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.seq
}

// Sync reads what changed in the store since the last Sync and indexes it.
func (e *Engine) Sync(ctx context.Context) error {
	e.mu.RLock()
	seq := e.seq
	e.mu.RUnlock()
	changed, next, err := e.src.PharmaciesChangedSince(ctx, seq)
	if err != nil {
		return fmt.Errorf("sync local engine: %w", err)
	}
	if len(changed) == 0 {
		return nil
	}
	docs := make([]doc, len(changed))
	for i, p := range changed {
		docs[i] = e.newDoc(p)
	}
	changes := make([]Change, len(docs))
	e.mu.Lock()
	textChanged := false
	for i, d := range docs {
		changes[i] = Change{ID: d.p.ID, After: search.Point{Lat: d.p.Lat, Lon: d.p.Lon}}
		if j, known := e.byID[d.p.ID]; known {
			changes[i].Before = &search.Point{Lat: e.docs[j].p.Lat, Lon: e.docs[j].p.Lon}
		}
		if e.put(d) {
			textChanged = true
		}
	}
	if textChanged {
		e.text = buildTextIndex(e.docs)
	}
	e.seq = next
	e.mu.Unlock()
	if e.onChange != nil {
		e.onChange(changes)
	}
	return nil
}

// Follow syncs every interval until ctx ends, so writes by any process reach the index.
func (e *Engine) Follow(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.Sync(ctx); err != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}

func (e *Engine) newDoc(p data.Pharmacy) doc {
	d := doc{p: p, name: search.AllWords(p.Name)}
	d.words = search.AllWords(strings.Join([]string{p.Name, p.Street, p.Postcode, p.City}, " "))
	for i, s := range data.Services {
		if p.Offers(s) {
			d.services |= 1 << i
		}
	}
	return d
}

// put indexes d, replacing an older version; it reports whether the text index is stale.
// The caller holds the write lock.
func (e *Engine) put(d doc) (textChanged bool) {
	d.hours = e.hours.Parse(d.p.OpeningHours)
	i, known := e.byID[d.p.ID]
	if !known {
		i = int32(len(e.docs))
		e.docs = append(e.docs, d)
		e.byID[d.p.ID] = i
		c := cellOf(d.p.Lat, d.p.Lon)
		e.grid[c] = append(e.grid[c], i)
		e.byPostcode[d.p.Postcode] = append(e.byPostcode[d.p.Postcode], i)
		return true
	}
	old := e.docs[i]
	e.docs[i] = d
	if oc, nc := cellOf(old.p.Lat, old.p.Lon), cellOf(d.p.Lat, d.p.Lon); oc != nc {
		e.grid[oc] = without(e.grid[oc], i)
		e.grid[nc] = append(e.grid[nc], i)
	}
	if old.p.Postcode != d.p.Postcode {
		e.byPostcode[old.p.Postcode] = without(e.byPostcode[old.p.Postcode], i)
		e.byPostcode[d.p.Postcode] = append(e.byPostcode[d.p.Postcode], i)
	}
	return strings.Join(old.words, " ") != strings.Join(d.words, " ")
}

func without(ids []int32, id int32) []int32 {
	out := ids[:0:0]
	for _, v := range ids {
		if v != id {
			out = append(out, v)
		}
	}
	return out
}

// PostcodeCenter implements search.PostcodeLocator: the mean position of the pharmacies
// with that postcode.
func (e *Engine) PostcodeCenter(code string) (search.Point, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ids := e.byPostcode[code]
	if len(ids) == 0 {
		return search.Point{}, false
	}
	var pt search.Point
	for _, i := range ids {
		pt.Lat += e.docs[i].p.Lat
		pt.Lon += e.docs[i].p.Lon
	}
	n := float64(len(ids))
	return search.Point{Lat: pt.Lat / n, Lon: pt.Lon / n}, true
}

type match struct {
	i     int32
	dist  float64
	score int
}

// Search implements search.Engine.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Page, error) {
	if err := ctx.Err(); err != nil {
		return search.Page{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var textIDs map[int32]struct{}
	words := search.Words(q.Text)
	if len(words) > 0 {
		textIDs = e.text.match(words)
	}
	var wantServices uint8
	for i, s := range data.Services {
		for _, w := range q.Services {
			if w == s {
				wantServices |= 1 << i
			}
		}
	}
	keep := func(i int32) bool {
		d := &e.docs[i]
		if textIDs != nil {
			if _, ok := textIDs[i]; !ok {
				return false
			}
		}
		if d.services&wantServices != wantServices {
			return false
		}
		if q.Certificates && !d.p.Participation.Issuing(q.Now, q.MaxConfirmationAge) {
			return false
		}
		if q.OpenNow && d.hours.StateAt(q.Now, data.HolidaysIn(d.p.State)) != openinghours.Open {
			return false
		}
		return true
	}
	var ms []match
	if q.Origin != nil {
		ms = e.near(*q.Origin, q.RadiusKm, keep)
		sort.Slice(ms, func(a, b int) bool {
			if ms[a].dist != ms[b].dist {
				return ms[a].dist < ms[b].dist
			}
			return e.docs[ms[a].i].p.ID < e.docs[ms[b].i].p.ID
		})
	} else {
		for i := range textIDs {
			if keep(i) {
				ms = append(ms, match{i: i, score: e.docs[i].score(words)})
			}
		}
		sort.Slice(ms, func(a, b int) bool {
			if ms[a].score != ms[b].score {
				return ms[a].score > ms[b].score
			}
			pa, pb := &e.docs[ms[a].i].p, &e.docs[ms[b].i].p
			if pa.Name != pb.Name {
				return pa.Name < pb.Name
			}
			return pa.ID < pb.ID
		})
	}
	page := search.Page{Total: len(ms), Engine: e.Name()}
	from, to := min(q.Offset, len(ms)), min(q.Offset+q.Limit, len(ms))
	for _, m := range ms[from:to] {
		h := search.Hit{Pharmacy: e.docs[m.i].p, Hours: e.docs[m.i].hours}
		if q.Origin != nil {
			dist := m.dist
			h.DistanceKm = &dist
		}
		page.Hits = append(page.Hits, h)
	}
	return page, nil
}

// near returns the kept pharmacies within radiusKm of o, scanning the grid cells of the
// surrounding box and measuring each exactly.
func (e *Engine) near(o search.Point, radiusKm float64, keep func(int32) bool) []match {
	dLat := radiusKm / 111.0
	dLon := radiusKm / (111.0 * math.Max(0.01, math.Cos(o.Lat*math.Pi/180)))
	lo, hi := cellOf(o.Lat-dLat, o.Lon-dLon), cellOf(o.Lat+dLat, o.Lon+dLon)
	var ms []match
	for la := lo.lat; la <= hi.lat; la++ {
		for lo2 := lo.lon; lo2 <= hi.lon; lo2++ {
			for _, i := range e.grid[cell{la, lo2}] {
				p := &e.docs[i].p
				dist := search.DistanceKm(o, search.Point{Lat: p.Lat, Lon: p.Lon})
				if dist <= radiusKm && keep(i) {
					ms = append(ms, match{i: i, dist: dist})
				}
			}
		}
	}
	return ms
}

// score ranks a text match: words that are whole words of the name count most.
func (d *doc) score(words []string) int {
	s := 0
	for _, w := range words {
		switch {
		case contains(d.name, w, false):
			s += 4
		case contains(d.name, w, true):
			s += 3
		case contains(d.words, w, false):
			s += 2
		default:
			s++
		}
	}
	return s
}

func contains(ws []string, w string, prefix bool) bool {
	for _, v := range ws {
		if v == w || prefix && strings.HasPrefix(v, w) {
			return true
		}
	}
	return false
}
