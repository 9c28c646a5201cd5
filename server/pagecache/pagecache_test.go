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
			bodies[i] = string(a.Body)
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
	if out != Stale || string(a.Body) != "p #1" {
		t.Fatalf("expired entry: %s %q", out, a.Body)
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if a, out, _ := c.Get(context.Background(), "k", page(&n, "p")); out == Hit && string(a.Body) == "p #2" {
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
	if err != nil || out != StaleOnError || string(a.Body) != "p #1" {
		t.Fatalf("failing engine: %v %s", err, out)
	}
	// A request whose deadline passes while the computation hangs gets the last answer too.
	hang := func(ctx context.Context) (*Answer, error) { <-ctx.Done(); return nil, ctx.Err() }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if a, out, err := c.Get(ctx, "k", hang); err != nil || out != StaleOnError || string(a.Body) != "p #1" {
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
		c.Get(context.Background(), fmt.Sprint(i), func(ctx context.Context) (*Answer, error) {
			a, _ := page(&n, strings.Repeat("x", 1000))(ctx)
			return a, nil
		})
	}
	s := c.Stats()
	if s.Bytes > 10_000 || s.Entries == 0 || s.Refused == 0 {
		t.Fatalf("stats after 100 answers of ~1.3 KB into 10 KB: %+v", s)
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
