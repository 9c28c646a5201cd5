package local

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/sqlite"
	"github.com/apoportal/apoportal/search"
)

var now = time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pharmacy(id, name string, lat, lon float64) data.Pharmacy {
	return data.Pharmacy{ID: id, Name: name, Postcode: "21614", City: "Buxtehude", Lat: lat, Lon: lon,
		OpeningHours: "Mo-Fr 08:00-18:30", Source: data.SourceRegistry, Participation: data.Participation{Participating: true}}
}

func ids(t *testing.T, e *Engine, q search.Query) []string {
	t.Helper()
	q.Now, q.Limit = now, 100
	if q.RadiusKm == 0 {
		q.RadiusKm = 5
	}
	page, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range page.Hits {
		out = append(out, h.Pharmacy.ID)
	}
	return out
}

func upsert(t *testing.T, db *sqlite.DB, ps ...data.Pharmacy) {
	t.Helper()
	if _, err := db.UpsertPharmacies(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
}

func syncIndex(t *testing.T, e *Engine) {
	t.Helper()
	if err := e.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEngine_FollowsMovesRenamesAndSwitches(t *testing.T) {
	db := openStore(t)
	upsert(t, db, pharmacy("100000001", "Hafen-Apotheke", 53.47, 9.69), pharmacy("100000002", "Markt-Apotheke", 53.48, 9.70))
	e := New(db)
	syncIndex(t, e)
	buxtehude := &search.Point{Lat: 53.47, Lon: 9.69}
	munich := &search.Point{Lat: 48.14, Lon: 11.57}
	if got := ids(t, e, search.Query{Origin: buxtehude}); len(got) != 2 || got[0] != "100000001" {
		t.Fatalf("initial: %v", got)
	}

	// The registry moves one pharmacy to Munich and renames the other.
	upsert(t, db, pharmacy("100000001", "Hafen-Apotheke", 48.14, 11.57), pharmacy("100000002", "Löwen-Apotheke", 53.48, 9.70))
	syncIndex(t, e)
	if got := ids(t, e, search.Query{Origin: buxtehude}); len(got) != 1 || got[0] != "100000002" {
		t.Errorf("after move, near Buxtehude: %v", got)
	}
	if got := ids(t, e, search.Query{Origin: munich}); len(got) != 1 || got[0] != "100000001" {
		t.Errorf("after move, near Munich: %v", got)
	}
	if got := ids(t, e, search.Query{Text: "markt"}); len(got) != 0 {
		t.Errorf("old name still found: %v", got)
	}
	for _, typed := range []string{"Löwen", "loewen", "lowen"} {
		if got := ids(t, e, search.Query{Text: typed}); len(got) != 1 {
			t.Errorf("new name as %q: %v", typed, got)
		}
	}

	// The pharmacy switches participation off.
	if err := db.ChangeParticipation(context.Background(), "100000002", data.Participation{}, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	syncIndex(t, e)
	if got := ids(t, e, search.Query{Origin: buxtehude, Certificates: true}); len(got) != 0 {
		t.Errorf("switched-off pharmacy listed as issuing: %v", got)
	}
	if got := ids(t, e, search.Query{Origin: buxtehude}); len(got) != 1 {
		t.Errorf("switched-off pharmacy no longer listed at all: %v", got)
	}
	if e.Len() != 2 {
		t.Errorf("Len = %d after updates", e.Len())
	}
}

func TestEngine_RadiusEdgeIsInclusiveAndExact(t *testing.T) {
	db := openStore(t)
	origin := search.Point{Lat: 53.0, Lon: 10.0}
	// 0.09° of latitude north: just under 10.01 km.
	upsert(t, db, pharmacy("100000001", "Nord-Apotheke", 53.09, 10.0))
	e := New(db)
	syncIndex(t, e)
	d := search.DistanceKm(origin, search.Point{Lat: 53.09, Lon: 10.0})
	if got := ids(t, e, search.Query{Origin: &origin, RadiusKm: d}); len(got) != 1 {
		t.Errorf("pharmacy exactly at the radius (%v km) not found", d)
	}
	if got := ids(t, e, search.Query{Origin: &origin, RadiusKm: d - 1e-6}); len(got) != 0 {
		t.Errorf("pharmacy just outside the radius found")
	}
}

func TestEngine_OpenNowAndServices(t *testing.T) {
	db := openStore(t)
	a := pharmacy("100000001", "A", 53.47, 9.69)
	a.Services = []data.Service{data.ServiceRapidTest, data.ServiceDelivery}
	b := pharmacy("100000002", "B", 53.47, 9.69)
	b.OpeningHours = "Sa 09:00-12:00"
	c := pharmacy("100000003", "C", 53.47, 9.69)
	c.OpeningHours = "nach Vereinbarung" // unreadable: unknown, not open
	upsert(t, db, a, b, c)
	e := New(db)
	syncIndex(t, e)
	o := &search.Point{Lat: 53.47, Lon: 9.69}
	if got := ids(t, e, search.Query{Origin: o, OpenNow: true}); len(got) != 1 || got[0] != "100000001" {
		t.Errorf("open now: %v", got)
	}
	if got := ids(t, e, search.Query{Origin: o, Services: []data.Service{data.ServiceRapidTest, data.ServiceDelivery}}); len(got) != 1 {
		t.Errorf("both services: %v", got)
	}
	if got := ids(t, e, search.Query{Origin: o, Services: []data.Service{data.ServiceEmergency}}); len(got) != 0 {
		t.Errorf("emergency service: %v", got)
	}
}

func TestEngine_PostcodeCenterAndCancelledSearch(t *testing.T) {
	db := openStore(t)
	upsert(t, db, pharmacy("100000001", "A", 53.0, 9.0), pharmacy("100000002", "B", 53.2, 9.2))
	e := New(db)
	syncIndex(t, e)
	if pt, ok := e.PostcodeCenter("21614"); !ok || pt.Lat < 53.0999 || pt.Lat > 53.1001 {
		t.Errorf("PostcodeCenter = %v, %v", pt, ok)
	}
	if _, ok := e.PostcodeCenter("99999"); ok {
		t.Error("center of a postcode without pharmacies")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Search(ctx, search.Query{Text: "a", Limit: 1}); err == nil {
		t.Error("cancelled search answered")
	}
}

func TestEngine_OnChangeTellsWhereChangedPharmaciesWereAndAre(t *testing.T) {
	db := openStore(t)
	upsert(t, db, pharmacy("100000001", "Hafen-Apotheke", 53.47, 9.69))
	e := New(db)
	var heard []Change
	e.OnChange(func(cs []Change) { heard = append(heard, cs...) })
	syncIndex(t, e)
	if len(heard) != 1 || heard[0].Before != nil || heard[0].After.Lat != 53.47 {
		t.Fatalf("new pharmacy: %+v", heard)
	}
	heard = nil
	upsert(t, db, pharmacy("100000001", "Hafen-Apotheke", 48.14, 11.57))
	syncIndex(t, e)
	if len(heard) != 1 || heard[0].Before == nil || heard[0].Before.Lat != 53.47 || heard[0].After.Lat != 48.14 {
		t.Fatalf("moved pharmacy: %+v", heard)
	}
	heard = nil
	syncIndex(t, e)
	if len(heard) != 0 {
		t.Fatalf("a sync without changes reported %+v", heard)
	}
}
