package meili

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/sqlite"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/search/local"
	"github.com/meilisearch/meilisearch-go"
)

var launch = time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)

var testActor = data.Actor{Name: "test", Source: "test"}

type env struct {
	ms    *testenv.Meilisearch
	store *sqlite.DB
	meili *Engine
	local *local.Engine
}

// setup starts Meilisearch, opens a store with the shared registry and indexes it in both
// engines.
func setup(t *testing.T) env {
	t.Helper()
	ms := testenv.StartMeilisearch(t)
	store, err := sqlite.Open(context.Background(), fixture.SharedDBFile(t, t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := New(Config{URL: ms.URL, Key: ms.MasterKey}, nil)
	ctx := context.Background()
	if err := e.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := e.Reindex(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("full reindex of %d pharmacies: %s", n, time.Since(start).Round(time.Millisecond))
	l := local.New(store)
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return env{ms, store, e, l}
}

func mustSearch(t *testing.T, e search.Engine, q search.Query) search.Page {
	t.Helper()
	p, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("%s %+v: %v", e.Name(), q, err)
	}
	return p
}

// Both engines answer the same query with the same pharmacies in the same distance order.
// Meilisearch measures distance in whole metres and breaks no ties, so pharmacies within a
// few metres of each other or of the radius may trade places: that is all we allow.
func TestAgreement_SameQueriesSamePharmacies(t *testing.T) {
	env := setup(t)
	origins := map[string]search.Point{
		"21614 Buxtehude": {Lat: 53.4672, Lon: 9.6864}, "10115 Berlin": {Lat: 52.532, Lon: 13.3846},
		"80331 München": {Lat: 48.1345, Lon: 11.571}, "01069 Dresden": {Lat: 51.0413, Lon: 13.7391},
		"24103 Kiel": {Lat: 54.3233, Lon: 10.1228}, "99084 Erfurt": {Lat: 50.9787, Lon: 11.0328},
		"Helgoland": {Lat: 54.1833, Lon: 7.8833}, "Oberstdorf": {Lat: 47.4097, Lon: 10.2794},
	}
	type variant struct {
		radius   float64
		certs    bool
		services []data.Service
		offset   int
	}
	variants := []variant{{1, false, nil, 0}, {5, true, nil, 0}, {10, true, nil, 0}, {10, false, nil, 20},
		{25, true, []data.Service{data.ServiceRapidTest}, 0}, {50, false, []data.Service{data.ServiceEmergency, data.ServiceDelivery}, 0}}
	compared := 0
	for label, o := range origins {
		for _, v := range variants {
			q := search.Query{Origin: &o, RadiusKm: v.radius, Certificates: v.certs, Services: v.services,
				Limit: search.MaxLimit, Offset: v.offset, Now: launch}
			lp, mp := mustSearch(t, env.local, q), mustSearch(t, env.meili, q)
			if mp.Engine != Name || lp.Engine != "local" {
				t.Fatalf("engines report %q and %q", mp.Engine, lp.Engine)
			}
			agree(t, label, q, lp, mp)
			compared++
		}
	}
	t.Logf("%d queries agree", compared)
}

const toleranceKm = 0.005

func agree(t *testing.T, label string, q search.Query, lp, mp search.Page) {
	t.Helper()
	dist := func(p data.Pharmacy) float64 {
		return search.DistanceKm(*q.Origin, search.Point{Lat: p.Lat, Lon: p.Lon})
	}
	if d := lp.Total - mp.Total; d != 0 {
		// Only pharmacies on the edge of the circle may be counted by one engine alone.
		edge := 0
		for _, h := range lp.Hits {
			if math.Abs(dist(h.Pharmacy)-q.RadiusKm) < toleranceKm {
				edge++
			}
		}
		if edge < abs(d) {
			t.Errorf("%s r=%v: local counts %d, meilisearch %d", label, q.RadiusKm, lp.Total, mp.Total)
			return
		}
	}
	n := min(len(lp.Hits), len(mp.Hits))
	for i := 0; i < n; i++ {
		l, m := lp.Hits[i].Pharmacy, mp.Hits[i].Pharmacy
		if l.ID != m.ID && math.Abs(dist(l)-dist(m)) > toleranceKm {
			t.Errorf("%s r=%v offset %d: #%d is %s (%.4f km) locally, %s (%.4f km) in meilisearch",
				label, q.RadiusKm, q.Offset, i, l.ID, dist(l), m.ID, dist(m))
			return
		}
		if md := *mp.Hits[i].DistanceKm; math.Abs(md-dist(m)) > 0.002 {
			t.Errorf("%s: meilisearch distance %v km for %s, haversine %v", label, md, m.ID, dist(m))
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestSearch_TextAndTypos(t *testing.T) {
	env := setup(t)
	p := mustSearch(t, env.meili, search.Query{Text: "Buxtehdue", Limit: 20, Now: launch})
	if p.Total == 0 || p.Hits[0].Pharmacy.City != "Buxtehude" {
		t.Fatalf("typo in town: %d hits", p.Total)
	}
	p = mustSearch(t, env.meili, search.Query{Text: "Neue-Apotheke im Zentrum", Limit: 20, Now: launch})
	if p.Total == 0 || !strings.HasPrefix(p.Hits[0].Pharmacy.Name, "Neue-Apotheke im Zentrum") || p.Hits[0].DistanceKm != nil {
		t.Fatalf("name search: %+v", p.Hits)
	}
	// open_now is filtered here, exactly, after Meilisearch.
	sunday := time.Date(2021, 6, 20, 1, 0, 0, 0, time.UTC)
	o := search.Point{Lat: 52.52, Lon: 13.405}
	q := search.Query{Origin: &o, RadiusKm: 50, OpenNow: true, Limit: 100, Now: sunday}
	mp, lp := mustSearch(t, env.meili, q), mustSearch(t, env.local, q)
	if mp.Total != lp.Total || mp.Total == 0 {
		t.Fatalf("open now on Sunday night: meilisearch %d, local %d", mp.Total, lp.Total)
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, len(ds)*p/100)]
}

// A participation switch reaches Meilisearch through the cursor and a partial update.
func TestFollow_SwitchVisibleInMeilisearch(t *testing.T) {
	env := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go env.meili.Follow(ctx, env.store, 20*time.Millisecond, time.Hour, func(err error) { t.Log(err) })
	o := search.Point{Lat: 51.0413, Lon: 13.7391}
	q := search.Query{Origin: &o, RadiusKm: 10, Certificates: true, Limit: 100, Now: time.Now()}
	ids := func() map[string]bool {
		q.Now = time.Now()
		out := map[string]bool{}
		for _, h := range mustSearch(t, env.meili, q).Hits {
			out[h.Pharmacy.ID] = true
		}
		return out
	}
	before := ids()
	var candidates []string
	for id := range before {
		candidates = append(candidates, id)
	}
	slices.Sort(candidates)
	var took []time.Duration
	for i := 0; i < 100; i++ {
		id := candidates[i%len(candidates)]
		on := i/len(candidates)%2 == 1
		start := time.Now()
		if err := env.store.ChangeParticipation(ctx, id, data.Participation{Participating: on}, testActor); err != nil {
			t.Fatal(err)
		}
		for ids()[id] != on {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("switch %d of %s not visible after 10 s", i, id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	t.Logf("switch → visible in meilisearch over %d switches: p50 %s, p99 %s", len(took),
		percentile(took, 50).Round(time.Millisecond), percentile(took, 99).Round(time.Millisecond))
}

// Searches during two full reindexes never fail and never come back empty.
func TestReindex_SwapDuringSearches(t *testing.T) {
	env := setup(t)
	var failed, empty, done atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	o := search.Point{Lat: 53.4672, Lon: 9.6864}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, err := env.meili.Search(context.Background(), search.Query{Origin: &o, RadiusKm: 10, Limit: 20, Now: launch})
				switch {
				case err != nil:
					failed.Add(1)
				case p.Total == 0:
					empty.Add(1)
				}
				done.Add(1)
			}
		}()
	}
	for i := 0; i < 2; i++ {
		if _, err := env.meili.Reindex(context.Background(), env.store); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || empty.Load() > 0 || done.Load() == 0 {
		t.Fatalf("%d searches during reindex: %d failed, %d empty", done.Load(), failed.Load(), empty.Load())
	}
	t.Logf("%d searches during 2 reindexes, none failed or empty", done.Load())
}

// Meilisearch dies: searches go on from the local engine, switches wait in the store, and
// after the restart both come back without a restart of ours.
func TestMeilisearchKilled_FallbackAndCatchUp(t *testing.T) {
	env := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go env.meili.Follow(ctx, env.store, 20*time.Millisecond, time.Hour, func(error) {})
	go env.local.Follow(ctx, 20*time.Millisecond, func(error) {})
	fb := search.NewFallback(env.meili, env.local, 300*time.Millisecond,
		search.NewBreaker(3, 200*time.Millisecond, 2*time.Second, nil), nil)
	o := search.Point{Lat: 51.0413, Lon: 13.7391}
	q := search.Query{Origin: &o, RadiusKm: 10, Certificates: true, Limit: 100}
	find := func(id string) (engine string, found bool) {
		q.Now = time.Now()
		p, err := fb.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("search failed although a fallback exists: %v", err)
		}
		for _, h := range p.Hits {
			found = found || h.Pharmacy.ID == id
		}
		return p.Engine, found
	}
	const id = "306345139"
	if engine, found := find(id); engine != Name || !found {
		t.Fatalf("before: engine %s, found %v", engine, found)
	}
	env.ms.Kill()
	killed := time.Now()
	engine, _ := find(id)
	noticed := time.Since(killed)
	if engine != "local" {
		t.Fatalf("with meilisearch dead the %s engine answered", engine)
	}
	if err := env.store.ChangeParticipation(ctx, id, data.Participation{Participating: false}, testActor); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, found := find(id); found {
		t.Fatal("fallback engine does not see the switch")
	}
	env.ms.Start()
	restarted := time.Now()
	for {
		engine, found := find(id)
		if engine == Name && !found {
			break
		}
		if time.Since(restarted) > 20*time.Second {
			t.Fatalf("20 s after restart: engine %s, switch visible %v", engine, !found)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("meilisearch gone: first answer from local after %s; back with the queued switch %s after restart",
		noticed.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
}

func TestWrongKey_FailsWithoutShowingIt(t *testing.T) {
	ms := testenv.StartMeilisearch(t)
	const wrong = "not-the-master-key-0123456789"
	e := New(Config{URL: ms.URL, Key: wrong}, nil)
	err := e.Prepare(context.Background())
	if err == nil || e.Ready() {
		t.Fatal("prepared with a wrong key")
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), ms.MasterKey) {
		t.Fatalf("error shows a key: %v", err)
	}
	if _, err := e.Search(context.Background(), search.Query{Text: "a", Limit: 1}); err == nil {
		t.Fatal("unprepared engine searched")
	}
}

// The keys the portal queries with can do nothing but search.
func TestKeys_AreNarrowAndStable(t *testing.T) {
	env := setup(t)
	s := *env.meili.search.Load()
	pk := "id"
	_, err := s.Index("pharmacies").AddDocumentsWithContext(context.Background(), []map[string]any{{"id": "x"}}, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	var me *meilisearch.Error
	if !errors.As(err, &me) || me.StatusCode != http.StatusForbidden {
		t.Fatalf("search key could add documents: %v", err)
	}
	// A second start finds the same keys instead of piling up new ones.
	again := New(Config{URL: env.ms.URL, Key: env.ms.MasterKey}, nil)
	if err := again.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, err := meilisearch.New(env.ms.URL, meilisearch.WithAPIKey(env.ms.MasterKey)).GetKeysWithContext(context.Background(), &meilisearch.KeysQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, k := range keys.Results {
		if strings.HasPrefix(k.Name, "apoportal-") {
			ours++
			if k.Key == env.ms.MasterKey {
				t.Fatal("a derived key equals the master key")
			}
		}
	}
	if ours != 2 {
		t.Fatalf("%d apoportal keys after two starts, want 2", ours)
	}
}

// Someone changes the index settings by hand: searches fail, the check puts them back.
func TestSettingsDrift_IsRepaired(t *testing.T) {
	env := setup(t)
	admin := meilisearch.New(env.ms.URL, meilisearch.WithAPIKey(env.ms.MasterKey))
	task, err := admin.Index("pharmacies").UpdateFilterableAttributesWithContext(context.Background(), &[]interface{}{"postcode"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(context.Background(), admin, task.TaskUID); err != nil {
		t.Fatal(err)
	}
	o := search.Point{Lat: 53.4672, Lon: 9.6864}
	q := search.Query{Origin: &o, RadiusKm: 10, Limit: 5, Now: launch}
	if _, err := env.meili.Search(context.Background(), q); err == nil {
		t.Fatal("geo search worked without _geo filterable")
	}
	drifted, err := env.meili.CheckSettings(context.Background())
	if err != nil || !drifted {
		t.Fatalf("drift not repaired: %v, %v", drifted, err)
	}
	if p := mustSearch(t, env.meili, q); p.Total == 0 {
		t.Fatal("no results after repair")
	}
	if drifted, err := env.meili.CheckSettings(context.Background()); err != nil || drifted {
		t.Fatalf("settings drift again right after repair: %v, %v", drifted, err)
	}
}

// While Meilisearch has not applied a switch the embedded engine already shows, the
// embedded engine answers: the portal never shows a switch older than it knows it.
func TestBehindTheLocalEngine_LocalAnswers(t *testing.T) {
	env := setup(t)
	env.meili.Follows(env.local.Seq)
	fb := search.NewFallback(env.meili, env.local, time.Second, search.NewBreaker(3, time.Second, time.Second, nil), nil)
	o := search.Point{Lat: 51.0413, Lon: 13.7391}
	q := search.Query{Origin: &o, RadiusKm: 10, Certificates: true, Limit: 100, Now: time.Now()}
	const id = "306345139"
	if p := mustSearch(t, fb, q); p.Engine != Name {
		t.Fatalf("caught-up meilisearch not asked: %s", p.Engine)
	}
	ctx := context.Background()
	if err := env.store.ChangeParticipation(ctx, id, data.Participation{}, testActor); err != nil {
		t.Fatal(err)
	}
	if err := env.local.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	p := mustSearch(t, fb, q)
	if p.Engine != "local" {
		t.Fatalf("meilisearch answered while behind")
	}
	for _, h := range p.Hits {
		if h.Pharmacy.ID == id {
			t.Fatal("switched-off pharmacy listed")
		}
	}
	if _, err := env.meili.Sync(ctx, env.store); err != nil {
		t.Fatal(err)
	}
	if p := mustSearch(t, fb, q); p.Engine != Name {
		t.Fatalf("meilisearch not asked again after catching up: %s", p.Engine)
	}
}

func TestConfirmationMaxAge_BothEnginesAgree(t *testing.T) {
	env := setup(t)
	o := search.Point{Lat: 51.0413, Lon: 13.7391}
	q := search.Query{Origin: &o, RadiusKm: 10, Certificates: true, Limit: 100, MaxConfirmationAge: 72 * time.Hour}
	count := func() (int, int) {
		q.Now = time.Now()
		return mustSearch(t, env.local, q).Total, mustSearch(t, env.meili, q).Total
	}
	if l, m := count(); l != 0 || m != 0 {
		t.Fatalf("unconfirmed listed as issuing: local %d, meilisearch %d", l, m)
	}
	ctx := context.Background()
	if err := env.store.ChangeParticipation(ctx, "306345139", data.Participation{Participating: true}, testActor); err != nil {
		t.Fatal(err)
	}
	if err := env.local.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.meili.Sync(ctx, env.store); err != nil {
		t.Fatal(err)
	}
	if l, m := count(); l != 1 || m != 1 {
		t.Fatalf("one confirmed pharmacy: local %d, meilisearch %d", l, m)
	}
}
