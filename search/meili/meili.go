// Package meili is the Meilisearch engine: pharmacies as documents with _geo, searched with
// _geoRadius and sorted by _geoPoint, with typo tolerance for names and towns. SQLite stays
// the source of truth: Follow sends what changed (tracked by a durable cursor in the store)
// and Reindex builds a new index and swaps it in. The portal derives narrow keys from the
// key it is given and queries only with a search-only key.
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/search"
	"github.com/meilisearch/meilisearch-go"
)

// Name is how the engine reports itself.
const Name = "meilisearch"

// maxTotalHits bounds what one search can count and page through; above the largest
// 50 km circle in Germany's densest area.
const maxTotalHits = 20000

// Config says where Meilisearch is.
type Config struct {
	URL   string
	Key   string // master key or an admin key; used only to derive narrow keys
	Index string // index uid (alias swapped on reindex)
	// Cursor names the store's record of what this Meilisearch holds; Name when empty.
	// Portals that each feed a Meilisearch of their own on one store need one each.
	Cursor string
}

// Engine is the Meilisearch engine. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	root   meilisearch.ServiceManager
	search atomic.Pointer[meilisearch.ServiceManager] // search-only key; nil until Prepare
	index  atomic.Pointer[meilisearch.ServiceManager] // indexing key; nil until Prepare
	synced atomic.Bool                                // the last sync succeeded
	cursor atomic.Int64                               // the store's change sequence the index holds
	leader func() int64                               // the change sequence the portal shows elsewhere
	now    func() time.Time
	hours  *openinghours.Cache // the hits' opening hours, parsed once per distinct value
}

var _ search.Engine = (*Engine)(nil)

// New returns an engine for cfg without contacting Meilisearch; Prepare does that.
func New(cfg Config, now func() time.Time) *Engine {
	if cfg.Index == "" {
		cfg.Index = "pharmacies"
	}
	if cfg.Cursor == "" {
		cfg.Cursor = Name
	}
	if now == nil {
		now = time.Now
	}
	return &Engine{cfg: cfg, now: now, root: client(cfg.URL, cfg.Key), leader: func() int64 { return 0 },
		hours: openinghours.NewCache()}
}

// client never retries: on the request path a slow Meilisearch is a reason to fall back,
// not to wait longer.
func client(url, key string) meilisearch.ServiceManager {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	// Asked for gzip, Meilisearch sends the compressed body apart from the headers and the
	// client waits out a delayed ACK: 45 ms per search instead of 2-3 ms on loopback.
	transport.DisableCompression = true
	return meilisearch.New(url, meilisearch.WithAPIKey(key), meilisearch.DisableRetries(),
		meilisearch.WithCustomClient(&http.Client{Timeout: 30 * time.Second, Transport: transport}),
		meilisearch.WithCustomJsonUnmarshaler(unmarshal))
}

// unmarshal is encoding/json's, except that a raw answer (the search's) is taken as it
// came: Search decodes it once into our documents, and that checks it. (encoding/json
// would scan it whole first to validate it, then again to copy it.)
func unmarshal(data []byte, v any) error {
	if raw, ok := v.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], data...)
		return nil
	}
	return json.Unmarshal(data, v)
}

// Name implements search.Engine.
func (e *Engine) Name() string { return Name }

// Ready reports whether the engine may answer: prepared, its last sync succeeded, and it
// holds every change the leader (the embedded engine) holds. A new, half-filled or lagging
// index never answers, so a switch is never shown older through Meilisearch than without
// it. The price: while pharmacies switch faster than Meilisearch applies updates (it needs
// 0.5–1.5 s per update here), the embedded engine answers.
func (e *Engine) Ready() bool {
	return e.search.Load() != nil && e.synced.Load() && e.cursor.Load() >= e.leader()
}

// Follows makes the engine answer only while it has caught up with seq, the change sequence
// of the engine it stands beside.
func (e *Engine) Follows(seq func() int64) { e.leader = seq }

// Prepare derives the narrow keys and makes sure the index exists with our settings. It is
// idempotent and cheap when nothing drifted.
func (e *Engine) Prepare(ctx context.Context) error {
	searchKey, indexKey, err := e.ensureKeys(ctx)
	if err != nil {
		return err
	}
	idx := client(e.cfg.URL, indexKey)
	if err := ensureIndex(ctx, idx, e.cfg.Index); err != nil {
		return err
	}
	s := client(e.cfg.URL, searchKey)
	e.index.Store(&idx)
	e.search.Store(&s)
	return nil
}

// Healthy asks Meilisearch's /health (which needs no key).
func (e *Engine) Healthy(ctx context.Context) error {
	if _, err := e.root.HealthWithContext(ctx); err != nil {
		return describe("health", err)
	}
	return nil
}

// document is a pharmacy as Meilisearch stores it.
type document struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Street        string     `json:"street"`
	HouseNumber   string     `json:"housenumber"`
	Postcode      string     `json:"postcode"`
	City          string     `json:"city"`
	State         string     `json:"state"`
	Geo           geo        `json:"_geo"`
	Phone         string     `json:"phone"`
	Email         string     `json:"email"`
	Website       string     `json:"website"`
	OpeningHours  string     `json:"opening_hours"`
	Services      []string   `json:"services"`
	Source        string     `json:"source"`
	Participating bool       `json:"participating"`
	PausedUntilTS int64      `json:"paused_until_ts"` // Unix seconds; 0 when not paused, for filtering
	ConfirmedTS   int64      `json:"confirmed_at_ts"` // Unix seconds; 0 when never confirmed, for filtering
	PausedUntil   *time.Time `json:"paused_until"`
	Note          string     `json:"note"`
	ConfirmedAt   *time.Time `json:"confirmed_at"`
	GeoDistance   *float64   `json:"_geoDistance,omitempty"` // metres, in answers sorted by _geoPoint
}

type geo struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

func newDocument(p data.Pharmacy) document {
	d := document{ID: p.ID, Name: p.Name, Street: p.Street, HouseNumber: p.HouseNumber, Postcode: p.Postcode,
		City: p.City, State: p.State, Geo: geo{p.Lat, p.Lon}, Phone: p.Phone, Email: p.Email, Website: p.Website,
		OpeningHours: p.OpeningHours, Services: make([]string, len(p.Services)), Source: string(p.Source),
		Participating: p.Participation.Participating, PausedUntil: p.Participation.PausedUntil,
		Note: p.Participation.Note, ConfirmedAt: p.Participation.ConfirmedAt}
	for i, s := range p.Services {
		d.Services[i] = string(s)
	}
	if p.Participation.PausedUntil != nil {
		d.PausedUntilTS = p.Participation.PausedUntil.Unix()
	}
	if p.Participation.ConfirmedAt != nil {
		d.ConfirmedTS = p.Participation.ConfirmedAt.Unix()
	}
	return d
}

func (d document) pharmacy() data.Pharmacy {
	p := data.Pharmacy{ID: d.ID, Name: d.Name, Street: d.Street, HouseNumber: d.HouseNumber, Postcode: d.Postcode,
		City: d.City, State: d.State, Lat: d.Geo.Lat, Lon: d.Geo.Lng, Phone: d.Phone, Email: d.Email, Website: d.Website,
		OpeningHours: d.OpeningHours, Source: data.Source(d.Source),
		Participation: data.Participation{Participating: d.Participating, Note: d.Note, PausedUntil: d.PausedUntil,
			ConfirmedAt: d.ConfirmedAt}}
	for _, s := range d.Services {
		p.Services = append(p.Services, data.Service(s))
	}
	return p
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Search implements search.Engine.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Page, error) {
	if !e.Ready() {
		return search.Page{}, search.ErrNotReady
	}
	sp := e.search.Load()
	req := &meilisearch.SearchRequest{MatchingStrategy: meilisearch.All}
	var filter []string
	if q.Origin != nil {
		// _geoRadius misses exact points at radius 0 (FIELD-NOTES): never below 1 m.
		filter = append(filter, fmt.Sprintf("_geoRadius(%s, %s, %s)", coord(q.Origin.Lat), coord(q.Origin.Lon),
			coord(max(1, q.RadiusKm*1000))))
		req.Sort = []string{fmt.Sprintf("_geoPoint(%s, %s):asc", coord(q.Origin.Lat), coord(q.Origin.Lon))}
	}
	if q.Certificates {
		filter = append(filter, "participating = true", fmt.Sprintf("paused_until_ts <= %d", q.Now.Unix()))
		if q.MaxConfirmationAge > 0 {
			filter = append(filter, fmt.Sprintf("confirmed_at_ts >= %d", q.Now.Add(-q.MaxConfirmationAge).Unix()))
		}
	}
	for _, s := range q.Services {
		filter = append(filter, fmt.Sprintf("services = %q", string(s)))
	}
	req.Filter = filter
	// Meilisearch cannot evaluate opening hours: with open_now it returns every candidate
	// and the page is cut here, after the exact filter.
	if q.OpenNow {
		req.Limit = maxTotalHits
	} else {
		req.Offset, req.Limit = int64(q.Offset), int64(q.Limit)
	}
	// The raw answer, decoded once into our documents (decodeAnswer): the client's own
	// response type decodes every hit into a map of raw fields and DecodeInto encodes and
	// decodes each again, by reflection.
	raw, err := (*sp).Index(e.cfg.Index).SearchRawWithContext(ctx, q.Text, req)
	if err != nil {
		return search.Page{}, describe("search", err)
	}
	res, err := decodeAnswer(*raw)
	if err != nil {
		return search.Page{}, err
	}
	page := search.Page{Total: int(res.EstimatedTotalHits), Engine: Name}
	var hits []search.Hit
	for _, d := range res.Hits {
		p := d.pharmacy()
		hours := e.hours.Parse(p.OpeningHours)
		if q.OpenNow && hours.StateAt(q.Now, data.HolidaysIn(p.State)) != openinghours.Open {
			continue
		}
		h := search.Hit{Pharmacy: p, Hours: hours}
		if q.Origin != nil && d.GeoDistance != nil {
			km := *d.GeoDistance / 1000
			h.DistanceKm = &km
		}
		hits = append(hits, h)
	}
	if q.OpenNow {
		page.Total = len(hits)
		hits = hits[min(q.Offset, len(hits)):min(q.Offset+q.Limit, len(hits))]
	}
	page.Hits = hits
	return page, nil
}

// describe turns a client error into one that names the operation and Meilisearch's error
// code and status, and nothing of the request (which may hold documents) or the key.
func describe(op string, err error) error {
	var me *meilisearch.Error
	if errors.As(err, &me) {
		if me.StatusCode == 0 {
			return fmt.Errorf("meilisearch %s: unreachable: %w", op, me.OriginError)
		}
		return fmt.Errorf("meilisearch %s: status %d %s", op, me.StatusCode, strings.TrimSpace(me.MeilisearchApiError.Code))
	}
	return fmt.Errorf("meilisearch %s: %w", op, err)
}
