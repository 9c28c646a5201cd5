package search

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/apoportal/apoportal/data"
)

// Gazetteer resolves postcodes and place names to points. It is immutable once built.
type Gazetteer struct {
	postcodes map[string]postcode
	codes     []int // known postcodes, ascending, for the numerically nearest one
	places    []*place
	exact     map[string][]*place // by joined place key
	states    map[string]string   // folded state name → state
}

type postcode struct {
	code  string
	place string
	Point
}

// place is a town: all gazetteer entries of one name in one district.
type place struct {
	name, state, district string
	keys                  [][]string // one per spelling (placeKeys)
	joined                string     // the first key, joined
	firstCode             string
	codes                 int
	Point
}

// NewGazetteer indexes the gazetteer entries. Companies and authorities give their
// postcode a point only where no place has that postcode.
func NewGazetteer(pcs []data.Postcode) *Gazetteer {
	g := &Gazetteer{postcodes: map[string]postcode{}, exact: map[string][]*place{}, states: map[string]string{}}
	type group struct {
		p     *place
		codes map[string]Point
	}
	groups := map[string]*group{}
	var order []string
	for _, pc := range pcs {
		if old, ok := g.postcodes[pc.Code]; !ok || (old.place == "" && !pc.Organisation) {
			name := pc.Place
			if pc.Organisation {
				name = ""
			}
			g.postcodes[pc.Code] = postcode{code: pc.Code, place: name, Point: Point{pc.Lat, pc.Lon}}
		}
		if pc.State != "" {
			g.states[Fold(pc.State)] = pc.State
		}
		if pc.Organisation {
			continue
		}
		keys := placeKeys(pc.Place)
		if len(keys) == 0 {
			continue
		}
		id := strings.Join(keys[0], " ") + "|" + pc.State + "|" + pc.District
		gr, ok := groups[id]
		if !ok {
			gr = &group{p: &place{name: pc.Place, state: pc.State, district: pc.District, keys: keys,
				joined: strings.Join(keys[0], " "), firstCode: pc.Code}, codes: map[string]Point{}}
			groups[id] = gr
			order = append(order, id)
		}
		gr.codes[pc.Code] = Point{pc.Lat, pc.Lon}
	}
	for _, id := range order {
		gr := groups[id]
		for _, pt := range gr.codes {
			gr.p.Lat += pt.Lat
			gr.p.Lon += pt.Lon
		}
		gr.p.codes = len(gr.codes)
		gr.p.Lat /= float64(gr.p.codes)
		gr.p.Lon /= float64(gr.p.codes)
		g.places = append(g.places, gr.p)
		for _, k := range gr.p.keys {
			joined := strings.Join(k, " ")
			g.exact[joined] = append(g.exact[joined], gr.p)
		}
	}
	for code := range g.postcodes {
		n, _ := strconv.Atoi(code)
		g.codes = append(g.codes, n)
	}
	sort.Ints(g.codes)
	return g
}

// Len is the number of known postcodes.
func (g *Gazetteer) Len() int { return len(g.postcodes) }

// postcodeLabel is "21614 Buxtehude" or the bare code where no place is known.
func (p postcode) label() string {
	if p.place == "" {
		return p.code
	}
	return p.code + " " + p.place
}

// Postcode returns the centroid of a known postcode.
func (g *Gazetteer) postcode(code string) (postcode, bool) {
	p, ok := g.postcodes[code]
	return p, ok
}

// nearestPostcode returns the numerically nearest known postcode in the same region (the
// first two digits), for a postcode we do not know.
func (g *Gazetteer) nearestPostcode(code string) (postcode, bool) {
	n, err := strconv.Atoi(code)
	if err != nil || len(g.codes) == 0 {
		return postcode{}, false
	}
	i := sort.SearchInts(g.codes, n)
	best := -1
	for _, j := range []int{i - 1, i} {
		if j < 0 || j >= len(g.codes) || g.codes[j]/1000 != n/1000 {
			continue
		}
		if best < 0 || abs(g.codes[j]-n) < abs(g.codes[best]-n) {
			best = j
		}
	}
	if best < 0 {
		return postcode{}, false
	}
	return g.postcodes[fmt.Sprintf("%05d", g.codes[best])], true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

var qualifierRE = regexp.MustCompile(`^(.+?)\s*(?:\((.+)\)|,\s*(.+))$`)

// findPlaces returns the places named s, best first: exact names, else names that start
// with the words typed (the last one may be incomplete). "Name (Land)" and "Name, Land"
// narrow to a federal state.
func (g *Gazetteer) findPlaces(s string) []*place {
	if m := qualifierRE.FindStringSubmatch(s); m != nil {
		if state, ok := g.states[Fold(m[2]+m[3])]; ok {
			var in []*place
			for _, p := range g.findPlaces(m[1]) {
				if p.state == state {
					in = append(in, p)
				}
			}
			if len(in) > 0 {
				return in
			}
		}
	}
	key := placeKey(s)
	if len(key) == 0 {
		return nil
	}
	found := append([]*place(nil), g.exact[strings.Join(key, " ")]...)
	if len(found) == 0 {
		for _, p := range g.places {
			if p.startsWith(key) {
				found = append(found, p)
			}
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].codes > found[j].codes })
	return found
}

// startsWith reports whether any spelling of the place starts with the words typed.
func (p *place) startsWith(typed []string) bool {
	for _, k := range p.keys {
		if startsWithWords(k, typed) {
			return true
		}
	}
	return false
}

// startsWithWords reports whether the words typed match the place's words in order, each
// the start of one of them (so "frankfurt main" finds "Frankfurt am Main").
func startsWithWords(place, typed []string) bool {
	i := 0
	for _, w := range place {
		if i < len(typed) && strings.HasPrefix(w, typed[i]) {
			i++
		}
	}
	return i == len(typed) && strings.HasPrefix(place[0], typed[0])
}

// similarPlaces returns up to n places whose names are a typo away from s.
func (g *Gazetteer) similarPlaces(s string, n int) []*place {
	typed := strings.Join(placeKey(s), " ")
	if len(typed) < 3 {
		return nil
	}
	maxDist := 1
	if len(typed) > 5 {
		maxDist = 2
	}
	type cand struct {
		p    *place
		dist int
	}
	var cands []cand
	for _, p := range g.places {
		best := maxDist + 1
		for _, k := range p.keys {
			joined := strings.Join(k, " ")
			if abs(len(joined)-len(typed)) <= maxDist {
				best = min(best, editDistance(typed, joined, maxDist))
			}
		}
		if best <= maxDist {
			cands = append(cands, cand{p, best})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].p.codes > cands[j].p.codes
	})
	var out []*place
	for _, c := range cands {
		if len(out) == n {
			break
		}
		out = append(out, c.p)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, or max+1 once it exceeds max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// suggestions labels places so that each label is a query that finds that place again:
// the bare name where it is unique, else with its state, else with its first postcode.
func (g *Gazetteer) suggestions(ps []*place) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		same := g.exact[p.joined]
		inState := 0
		for _, o := range same {
			if o.state == p.state {
				inState++
			}
		}
		switch {
		case len(same) == 1 && len(g.findPlaces(p.name)) == 1:
			out = append(out, p.name)
		case inState == 1 && p.state != "":
			out = append(out, p.name+" ("+p.state+")")
		default:
			out = append(out, p.firstCode+" "+p.name)
		}
	}
	return out
}
