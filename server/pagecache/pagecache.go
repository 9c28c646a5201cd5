// Package pagecache keeps public answers (pages and API responses) as rendered, compressed
// bytes under normalised keys, so launch-day traffic is served from memory.
//
//   - Concurrent misses for one key compute once (singleflight).
//   - Stale-while-revalidate: an entry past its freshness is served at once while one
//     refresh runs in the background.
//   - Stale-if-error: when computing fails, the last good answer is served, marked stale.
//   - Invalidation by generation counters: an answer names what it depends on (the map
//     cells it covers, a pharmacy); a write bumps those counters, and an answer whose
//     dependencies moved on is recomputed on its next request. Everything else stays.
//   - Memory is bounded: entries beyond MaxBytes are not kept.
package pagecache

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"golang.org/x/sync/singleflight"
)

// Answer is one rendered answer. Once cached it holds only the gzip-compressed bytes
// (about a sixth of the identity): nearly every client takes gzip, and Identity
// decompresses for the others.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte   // identity, as computed; nil once cached
	Gzip        []byte   // compressed once
	ETag        string   // weak validator of the identity bytes
	Deps        []string // generation keys the answer depends on
	At          time.Time
	// Header values, made once when stored, so a hit sets them as they are: Content-Type,
	// ETag, and the length of Gzip.
	ContentTypeValue, ETagValue, GzipLength []string
	Vary                                    []string // nil: Accept-Encoding only
	version                                 uint64   // sum of the generations of Deps when computed
	valid                                   bool     // false when a dependency moved while it was computed
	key                                     string   // under which it is stored
	identity                                atomic.Pointer[identityCopy]
	used                                    atomic.Int64 // when last served (Unix ns, to 100 ms)
}

// touch records that a was served at now. A popular answer is written once per 100 ms, not
// on every hit, so hits on two cores do not fight over its cache line.
func (a *Answer) touch(now time.Time) {
	if t := now.UnixNano(); t-a.used.Load() > int64(100*time.Millisecond) {
		a.used.Store(t)
	}
}

// identityCopy is an answer's uncompressed bytes, kept for clients without gzip.
type identityCopy struct {
	body   []byte
	length []string // Content-Length
}

// Size is the memory an answer holds.
func (a *Answer) Size() int64 {
	n := int64(len(a.Body) + len(a.Gzip) + 256)
	if id := a.identity.Load(); id != nil {
		n += int64(len(id.body))
	}
	return n
}

// Identity returns the uncompressed bytes, in a slice of exactly their length (the gzip
// trailer says it), so a copy kept in the cache holds no spare capacity.
func (a *Answer) Identity() ([]byte, error) {
	if a.Body != nil {
		return a.Body, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(a.Gzip))
	if err != nil {
		return nil, fmt.Errorf("cached answer: %w", err)
	}
	size := int(binary.LittleEndian.Uint32(a.Gzip[len(a.Gzip)-4:])) // gzip's ISIZE
	if size > 64<<20 {
		return io.ReadAll(r)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("cached answer: %w", err)
	}
	// Reading on to the end makes the reader check the length and checksum.
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return nil, fmt.Errorf("cached answer: longer than its gzip trailer says (%v)", err)
	}
	return body, nil
}

// Outcome says how an answer was served.
type Outcome string

// Outcomes.
const (
	Hit          Outcome = "hit"
	Miss         Outcome = "miss"
	Stale        Outcome = "stale"          // served past its freshness while a refresh runs
	StaleOnError Outcome = "stale-on-error" // computing failed; the last good answer
)

// Config sets the cache's timing and size.
type Config struct {
	Fresh    time.Duration // an answer is served as it is for this long
	Keep     time.Duration // and kept (for stale serving) this long
	MaxBytes int64         // bound on the memory of all answers
	Timeout  time.Duration // deadline of one computation (it runs apart from any one request)
}

// Cache is the response cache. It is safe for concurrent use.
type Cache struct {
	cfg    Config
	now    func() time.Time
	items  *gocache.Cache
	flight singleflight.Group
	gens   *Generations
	mu     sync.Mutex
	bytes  int64              // memory of the answers in owned
	owned  map[string]*Answer // what each key holds, for the byte count
	// seen are the keys missed once while the cache was nearly full: only a key asked for
	// again may push other answers out, so a scan of one-off queries cannot flush the
	// popular ones (a "doorkeeper", as in TinyLFU).
	seen     map[uint64]struct{} // as hashes: a one-off key costs 8 bytes
	seenSeed maphash.Seed
	stats    struct{ hits, misses, stale, failedStale, refused, evicted atomic.Int64 }
}

// New returns a cache; now is the clock (nil: time.Now).
func New(cfg Config, gens *Generations, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	c := &Cache{cfg: cfg, now: now, gens: gens, items: gocache.New(cfg.Keep, time.Minute), owned: map[string]*Answer{}, seen: map[uint64]struct{}{}, seenSeed: maphash.MakeSeed()}
	c.items.OnEvicted(c.evicted)
	return c
}

// Compute renders an answer; it runs detached from the request that caused it.
type Compute func(context.Context) (*Answer, error)

// ErrNotCacheable marks a computed answer that must not be stored (an error page, a
// redirect); Get returns it with the answer.
var ErrNotCacheable = errors.New("answer not cacheable")

// Fresh returns the answer for key when one is cached, current and fresh (a hit, counted
// as Get counts it), without computing anything.
func (c *Cache) Fresh(key string) (*Answer, bool) {
	cached := c.lookup(key)
	if cached == nil || !c.current(cached) {
		return nil, false
	}
	now := c.now()
	if now.Sub(cached.At) >= c.cfg.Fresh {
		return nil, false
	}
	cached.touch(now)
	c.stats.hits.Add(1)
	return cached, true
}

// Identity returns an answer's uncompressed bytes and their Content-Length. They are kept
// beside the compressed ones, within the memory bound, once a client without gzip asked
// for them; beyond the bound they are decompressed for each such request.
func (c *Cache) Identity(a *Answer) ([]byte, []string, error) {
	if id := a.identity.Load(); id != nil {
		return id.body, id.length, nil
	}
	body, err := a.Identity()
	if err != nil {
		return nil, nil, err
	}
	id := &identityCopy{body: body, length: []string{strconv.Itoa(len(body))}}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.owned[a.key] == a && c.bytes+int64(len(body)) <= c.cfg.MaxBytes*9/10 && a.identity.CompareAndSwap(nil, id) {
		c.bytes += int64(len(body))
	}
	return body, id.length, nil
}

// Get returns the answer for key: cached, computed once for all concurrent callers, or
// the last good one when computing fails.
func (c *Cache) Get(ctx context.Context, key string, compute Compute) (*Answer, Outcome, error) {
	cached := c.lookup(key)
	if cached != nil && c.current(cached) {
		now := c.now()
		cached.touch(now)
		if now.Sub(cached.At) < c.cfg.Fresh {
			c.stats.hits.Add(1)
			return cached, Hit, nil
		}
		// Past its freshness but not invalidated: serve it, refresh once in the background.
		c.stats.stale.Add(1)
		c.flight.DoChan(key, func() (any, error) { return c.compute(key, compute) }) // not waited for
		return cached, Stale, nil
	}
	c.stats.misses.Add(1)
	ch := c.flight.DoChan(key, func() (any, error) { return c.compute(key, compute) })
	select {
	case <-ctx.Done():
		return c.orStale(cached, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			if errors.Is(r.Err, ErrNotCacheable) {
				a, _ := r.Val.(*Answer)
				return a, Miss, r.Err
			}
			return c.orStale(cached, r.Err)
		}
		return r.Val.(*Answer), Miss, nil
	}
}

func (c *Cache) orStale(cached *Answer, err error) (*Answer, Outcome, error) {
	if cached != nil {
		c.stats.failedStale.Add(1)
		return cached, StaleOnError, nil
	}
	return nil, Miss, err
}

// compute runs fn and stores a good answer. The versions of its dependencies are read
// around the computation: if any generation moved meanwhile the answer may predate the
// write, so it is stored as invalid (served only when computing fails later).
func (c *Cache) compute(key string, fn Compute) (*Answer, error) {
	before := c.gens.Total()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	a, err := fn(ctx)
	if err != nil {
		return a, err
	}
	a.At = c.now()
	a.used.Store(a.At.UnixNano())
	a.version = c.gens.Version(a.Deps)
	a.valid = c.gens.Total() == before
	if a.ETag == "" {
		sum := sha256.Sum256(a.Body)
		a.ETag = `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	}
	if a.Gzip, err = gzipped(a.Body); err != nil {
		return nil, err
	}
	a.Body = nil
	a.ContentTypeValue, a.ETagValue, a.GzipLength = []string{a.ContentType}, []string{a.ETag}, []string{strconv.Itoa(len(a.Gzip))}
	a.key = key
	c.store(key, a)
	return a, nil
}

// gzipWriters are reused: a new writer allocates about 800 KB of compressor state; and
// so are the buffers it writes to. What is kept is a copy of exactly the compressed
// length: the cache counts len, and memory holds cap.
var (
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	gzipBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

func gzipped(body []byte) ([]byte, error) {
	buf := gzipBuffers.Get().(*bytes.Buffer)
	defer gzipBuffers.Put(buf)
	buf.Reset()
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(buf)
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

func (c *Cache) lookup(key string) *Answer {
	v, ok := c.items.Get(key)
	if !ok {
		return nil
	}
	return v.(*Answer)
}

// current reports whether none of a's dependencies moved since it was computed.
func (c *Cache) current(a *Answer) bool {
	return a.valid && c.gens.Version(a.Deps) == a.version
}

// store keeps a unless that would pass the memory bound. Above 90 % of the bound a key
// gets in only when it was asked for before.
func (c *Cache) store(key string, a *Answer) {
	c.mu.Lock()
	if c.bytes+a.Size() > c.cfg.MaxBytes*9/10 {
		h := maphash.String(c.seenSeed, key)
		if _, again := c.seen[h]; !again {
			if len(c.seen) >= 100_000 {
				clear(c.seen)
			}
			c.seen[h] = struct{}{}
			c.mu.Unlock()
			c.stats.refused.Add(1)
			return
		}
		delete(c.seen, h)
	}
	full := c.bytes+a.Size() > c.cfg.MaxBytes
	c.mu.Unlock()
	if full {
		c.makeRoom()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old int64
	if prev := c.owned[key]; prev != nil {
		old = prev.Size()
	}
	if c.bytes-old+a.Size() > c.cfg.MaxBytes {
		c.stats.refused.Add(1)
		return
	}
	c.owned[key] = a
	c.bytes += a.Size() - old
	c.items.SetDefault(key, a)
}

// makeRoom deletes what has aged out and then, while the cache is still above 90 % of its
// bound, the least recently served of five answers drawn at random (as Redis evicts): what
// was asked for once goes first and popular answers stay, without a list to update on
// every hit.
func (c *Cache) makeRoom() {
	c.items.DeleteExpired() // calls evicted
	c.mu.Lock()
	victims := map[string]bool{}
	var freed int64
	for c.bytes-freed > c.cfg.MaxBytes*9/10 {
		pick, oldest, drawn := "", int64(math.MaxInt64), 0
		for key, a := range c.owned { // each range starts at a random place
			if victims[key] {
				continue
			}
			if used := a.used.Load(); used < oldest {
				pick, oldest = key, used
			}
			if drawn++; drawn == 5 {
				break
			}
		}
		if pick == "" {
			break
		}
		victims[pick] = true
		freed += c.owned[pick].Size()
	}
	c.mu.Unlock()
	for key := range victims {
		c.items.Delete(key) // calls evicted
	}
	c.stats.evicted.Add(int64(len(victims)))
}

// evicted is called by go-cache when an entry expired or was deleted; an entry replaced
// in the meantime is not the one evicted.
func (c *Cache) evicted(key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := v.(*Answer); ok && c.owned[key] == a {
		c.bytes -= a.Size()
		delete(c.owned, key)
	}
}

// Stats are the cache's counters since start.
type Stats struct {
	Hits, Misses, Stale, StaleOnError, Refused, Evicted int64
	Entries                                             int
	Bytes                                               int64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	bytes, entries := c.bytes, len(c.owned)
	c.mu.Unlock()
	return Stats{Hits: c.stats.hits.Load(), Misses: c.stats.misses.Load(), Stale: c.stats.stale.Load(),
		StaleOnError: c.stats.failedStale.Load(), Refused: c.stats.refused.Load(), Evicted: c.stats.evicted.Load(),
		Entries: entries, Bytes: bytes}
}
