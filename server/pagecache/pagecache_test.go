package pagecache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct{ at atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.at.Load()) }
func (c *clock) add(d time.Duration) { c.at.Add(int64(d)) }

// body is a cached answer's identity bytes.
func body(t *testing.T, a *Answer) string {
	t.Helper()
	b, err := a.Identity()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newCache(cl *clock, max int64) *Cache {
	return New(Config{Fresh: time.Minute, Keep: time.Hour, MaxBytes: max, Timeout: 5 * time.Second}, NewGenerations(), cl.now)
}

// page computes "<name> #n" depending on deps, counting computations.
func page(n *atomic.Int32, name string, deps ...string) Compute {
	return func(context.Context) (*Answer, error) {
		return &Answer{Status: 200, ContentType: "text/html", Body: fmt.Appendf(nil, "%s #%d", name, n.Add(1)), Deps: deps}, nil
	}
}

func TestGet_ConcurrentMissesComputeOnce(t *testing.T) {
	c := newCache(&clock{}, 1<<20)
	var computed atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context) (*Answer, error) {
		<-release
		return page(&computed, "21614")(ctx)
	}
	var wg sync.WaitGroup
	bodies := make([]string, 50)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _, err := c.Get(context.Background(), "suche?q=21614", slow)
			if err != nil {
				t.Error(err)
				return
			}
			bodies[i] = body(t, a)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all miss
	close(release)
	wg.Wait()
	if computed.Load() != 1 {
		t.Fatalf("50 concurrent misses computed %d times", computed.Load())
	}
	for _, b := range bodies {
		if b != "21614 #1" {
			t.Fatalf("answer %q", b)
		}
	}
	if a, out, _ := c.Get(context.Background(), "suche?q=21614", slow); out != Hit || a.Gzip == nil || !strings.HasPrefix(a.ETag, `W/"`) {
		t.Fatalf("then: %s, gzip %d bytes, etag %q", out, len(a.Gzip), a.ETag)
	}
}

func TestGet_StaleWhileRevalidate(t *testing.T) {
	cl := &clock{}
	c := newCache(cl, 1<<20)
	var n atomic.Int32
	c.Get(context.Background(), "k", page(&n, "p"))
	cl.add(2 * time.Minute)
	a, out, _ := c.Get(context.Background(), "k", page(&n, "p"))
	if out != Stale || body(t, a) != "p #1" {
		t.Fatalf("expired entry: %s %q", out, a.Body)
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if a, out, _ := c.Get(context.Background(), "k", page(&n, "p")); out == Hit && body(t, a) == "p #2" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the background refresh never landed")
		}
	}
	if n.Load() != 2 {
		t.Fatalf("%d computations", n.Load())
	}
}

func TestGet_StaleIfError(t *testing.T) {
	cl := &clock{}
	c := newCache(cl, 1<<20)
	var n atomic.Int32
	c.Get(context.Background(), "k", page(&n, "p", Cell(53.47, 9.68)))
	failing := func(context.Context) (*Answer, error) { return nil, errors.New("engine down") }
	// Invalidated by a write, and the recomputation fails: the last answer, marked.
	c.gens.Bump(Cell(53.47, 9.68))
	a, out, err := c.Get(context.Background(), "k", failing)
	if err != nil || out != StaleOnError || body(t, a) != "p #1" {
		t.Fatalf("failing engine: %v %s", err, out)
	}
	// A request whose deadline passes while the computation hangs gets the last answer too.
	hang := func(ctx context.Context) (*Answer, error) { <-ctx.Done(); return nil, ctx.Err() }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if a, out, err := c.Get(ctx, "k", hang); err != nil || out != StaleOnError || body(t, a) != "p #1" {
		t.Fatalf("hanging engine: %v %s", err, out)
	}
	// Without any answer the error is returned.
	if _, _, err := c.Get(context.Background(), "other", failing); err == nil {
		t.Fatal("no error without a last answer")
	}
	if c.Stats().StaleOnError != 2 {
		t.Fatalf("stats %+v", c.Stats())
	}
}

func TestGet_WriteInvalidatesOnlyWhatDependsOnIt(t *testing.T) {
	c := newCache(&clock{}, 1<<20)
	var n atomic.Int32
	buxtehude := page(&n, "buxtehude", CellsAround(53.47, 9.68, 10)...)
	munich := page(&n, "münchen", CellsAround(48.14, 11.58, 10)...)
	detail := page(&n, "apotheke", Pharmacy("100000001"))
	for _, k := range []struct {
		key string
		fn  Compute
	}{{"b", buxtehude}, {"m", munich}, {"d", detail}} {
		c.Get(context.Background(), k.key, k.fn)
	}
	c.gens.Bump(Cell(53.48, 9.70), Pharmacy("100000001")) // a pharmacy in Buxtehude switches
	if _, out, _ := c.Get(context.Background(), "m", munich); out != Hit {
		t.Errorf("münchen after a write in buxtehude: %s", out)
	}
	for _, k := range []struct {
		key string
		fn  Compute
	}{{"b", buxtehude}, {"d", detail}} {
		if _, out, _ := c.Get(context.Background(), k.key, k.fn); out != Miss {
			t.Errorf("%s after its write: %s", k.key, out)
		}
		if _, out, _ := c.Get(context.Background(), k.key, k.fn); out != Hit {
			t.Errorf("%s recomputed: %s", k.key, out)
		}
	}
}

func TestGet_AnswerComputedAcrossAWriteIsNotKeptAsCurrent(t *testing.T) {
	c := newCache(&clock{}, 1<<20)
	var n atomic.Int32
	racing := func(ctx context.Context) (*Answer, error) {
		a, err := page(&n, "p", Cell(53.47, 9.68))(ctx)
		c.gens.Bump(Cell(53.47, 9.68)) // the write lands while the answer is rendered
		return a, err
	}
	c.Get(context.Background(), "k", racing)
	if _, out, _ := c.Get(context.Background(), "k", page(&n, "p", Cell(53.47, 9.68))); out != Miss {
		t.Fatalf("an answer that may predate a write was served as current: %s", out)
	}
}

func TestStore_MemoryBound(t *testing.T) {
	c := newCache(&clock{}, 10_000)
	var n atomic.Int32
	for i := range 100 {
		for range 2 { // asked for twice: admitted even when the cache is full
			c.Get(context.Background(), fmt.Sprint(i), func(ctx context.Context) (*Answer, error) {
				return page(&n, fmt.Sprint(i, strings.Repeat("x", 1000), i*i*i))(ctx) // gzip keeps ~300 bytes
			})
		}
	}
	s := c.Stats()
	if s.Bytes > 10_000 || s.Entries == 0 || s.Evicted == 0 {
		t.Fatalf("stats after 100 answers into 10 KB: %+v", s)
	}
	// The newest answer got in: a full cache makes room rather than freezing its first entries.
	if _, out, _ := c.Get(context.Background(), "99", page(&n, "x")); out != Hit {
		t.Fatalf("the latest answer was not kept: %s", out)
	}
}

func TestCellsAround(t *testing.T) {
	cells := CellsAround(53.47, 9.68, 10)
	if len(cells) < 1 || len(cells) > 4 {
		t.Fatalf("10 km around Buxtehude: %v", cells)
	}
	found := false
	for _, k := range CellsAround(53.47, 9.68, 50) {
		found = found || k == Cell(53.8, 9.9)
	}
	if !found {
		t.Fatal("50 km around Buxtehude misses a cell 37 km away")
	}
}

// Once the cache is nearly full, one-off answers do not push out the ones asked for again.
func TestStore_OneOffAnswersDoNotFlushPopularOnes(t *testing.T) {
	c := newCache(&clock{}, 20_000)
	var n atomic.Int32
	answer := func(i int) Compute {
		return func(ctx context.Context) (*Answer, error) {
			return page(&n, fmt.Sprint(i, strings.Repeat("y", 500), i*i*i))(ctx)
		}
	}
	for i := range 40 { // the popular set, asked for twice: about 12 KB
		c.Get(context.Background(), fmt.Sprint("popular", i), answer(i))
		c.Get(context.Background(), fmt.Sprint("popular", i), answer(i))
	}
	for i := range 1000 { // a scan of one-off queries
		c.Get(context.Background(), fmt.Sprint("once", i), answer(1000+i))
	}
	kept := 0
	for i := range 40 {
		if _, out, _ := c.Get(context.Background(), fmt.Sprint("popular", i), answer(i)); out == Hit {
			kept++
		}
	}
	if kept < 36 {
		t.Fatalf("a scan of 1,000 one-off queries left %d of 40 popular answers", kept)
	}
	if s := c.Stats(); s.Bytes > 20_000 {
		t.Fatalf("over the bound: %+v", s)
	}
}

// A full cache makes room by dropping what was served longest ago: answers admitted one
// after another (each asked for twice) push out each other, not the ones served all along.
func TestStore_FullCacheKeepsWhatIsServed(t *testing.T) {
	cl := &clock{}
	c := New(Config{Fresh: time.Hour, Keep: 2 * time.Hour, MaxBytes: 20_000, Timeout: 5 * time.Second}, NewGenerations(), cl.now)
	var n atomic.Int32
	answer := func(i int) Compute {
		return func(ctx context.Context) (*Answer, error) {
			return page(&n, fmt.Sprint(i, strings.Repeat("z", 500), i*i*i))(ctx)
		}
	}
	ask := func(key string, i int) Outcome {
		_, out, err := c.Get(context.Background(), key, answer(i))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := range 20 { // the popular set: about 6 KB of 20 KB
		ask(fmt.Sprint("popular", i), i)
	}
	lost := 0
	for i := range 500 {
		cl.add(200 * time.Millisecond)
		for range 2 {
			ask(fmt.Sprint("other", i), 1000+i)
		}
		for j := range 20 {
			if ask(fmt.Sprint("popular", j), j) != Hit {
				lost++
			}
		}
	}
	if s := c.Stats(); s.Evicted < 100 || s.Bytes > 20_000 {
		t.Fatalf("the cache did not fill and make room: %+v", s)
	}
	if lost > 100 { // random eviction: about 500; five drawn, about 40
		t.Fatalf("%d of 10,000 asks for the popular answers missed while others came and went", lost)
	}
}
