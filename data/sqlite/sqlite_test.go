package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// MustOpenDB opens a fresh database in a temp dir, closed when the test ends.
func MustOpenDB(t testing.TB) *DB {
	t.Helper()
	return MustOpenDBAt(t, nil)
}

// MustOpenDBAt is MustOpenDB with the clock now.
func MustOpenDBAt(t testing.TB, now func() time.Time) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "apoportal.db"), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var testActor = data.Actor{Name: "test", Source: "test"}

func pharmacy(id, city string, participating bool) data.Pharmacy {
	return data.Pharmacy{ID: id, Name: "Apotheke " + id, Postcode: "21614", City: city, Lat: 53.47, Lon: 9.68,
		Source: data.SourceRegistry, Services: []data.Service{data.ServiceDelivery},
		Participation: data.Participation{Participating: participating}}
}

func TestOpen_MigratesOnceAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	for i := 0; i < 2; i++ {
		db, err := Open(context.Background(), path, nil)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if err := db.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

func TestUpsertPharmacies_ReimportKeepsTheSwitch(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if sum, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil || sum.Inserted != 1 {
		t.Fatalf("first import: %+v, %v", sum, err)
	}
	if err := db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "Server down"}, testActor); err != nil {
		t.Fatal(err)
	}
	again := pharmacy("100000001", "Buxtehude-Altkloster", true)
	sum, err := db.UpsertPharmacies(ctx, []data.Pharmacy{again})
	if err != nil || sum.Updated != 1 || sum.Inserted != 0 {
		t.Fatalf("re-import: %+v, %v", sum, err)
	}
	p, err := db.Pharmacy(ctx, "100000001")
	if err != nil {
		t.Fatal(err)
	}
	if p.City != "Buxtehude-Altkloster" {
		t.Errorf("address not updated: %q", p.City)
	}
	if p.Participation.Participating || p.Participation.Note != "Server down" || p.Participation.ConfirmedAt == nil {
		t.Errorf("re-import touched the switch: %+v", p.Participation)
	}
}

func TestUpsertPharmacies_FailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
	bad := pharmacy("100000003", "Stade", true)
	bad.Lat = 200 // violates the table's CHECK
	_, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Changed", true), pharmacy("100000002", "Stade", true), bad})
	if err == nil {
		t.Fatal("import with a bad row succeeded")
	}
	if n, _ := db.CountPharmacies(ctx); n != 1 {
		t.Errorf("%d pharmacies after failed import, want 1", n)
	}
	if p, _ := db.Pharmacy(ctx, "100000001"); p.City != "Buxtehude" {
		t.Errorf("failed import changed city to %q", p.City)
	}
}

func TestPharmacy_NotFound(t *testing.T) {
	_, err := MustOpenDB(t).Pharmacy(context.Background(), "999999999")
	if data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("err = %v, want ENOTFOUND", err)
	}
	if err := MustOpenDB(t).ChangeParticipation(context.Background(), "999999999", data.Participation{}, testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("ChangeParticipation err = %v, want ENOTFOUND", err)
	}
}

func TestPharmaciesChangedSince_FollowsWrites(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "A", true), pharmacy("100000002", "B", true)}); err != nil {
		t.Fatal(err)
	}
	ps, seq, err := db.PharmaciesChangedSince(ctx, 0)
	if err != nil || len(ps) != 2 {
		t.Fatalf("initial: %d, %v", len(ps), err)
	}
	if ps, seq2, _ := db.PharmaciesChangedSince(ctx, seq); len(ps) != 0 || seq2 != seq {
		t.Fatalf("nothing changed but got %d (seq %d→%d)", len(ps), seq, seq2)
	}
	if err := db.ChangeParticipation(ctx, "100000002", data.Participation{}, testActor); err != nil {
		t.Fatal(err)
	}
	ps, _, err = db.PharmaciesChangedSince(ctx, seq)
	if err != nil || len(ps) != 1 || ps[0].ID != "100000002" || ps[0].Participation.Participating {
		t.Fatalf("after switch: %+v, %v", ps, err)
	}
}

func TestPostcodes_ReplaceAndVersion(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if v, _ := db.GazetteerVersion(ctx); v != "" {
		t.Fatalf("empty database has gazetteer version %q", v)
	}
	pcs := []data.Postcode{{Code: "21614", Place: "Buxtehude", State: "Niedersachsen", Lat: 53.4672, Lon: 9.6864}}
	if err := db.ReplacePostcodes(ctx, pcs); err != nil {
		t.Fatal(err)
	}
	got, v, err := db.Postcodes(ctx)
	if err != nil || len(got) != 1 || got[0] != pcs[0] || v == "" {
		t.Fatalf("got %+v, version %q, %v", got, v, err)
	}
}

func TestDemoMark(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if demo, _ := db.IsDemo(ctx); demo {
		t.Fatal("new database is demo")
	}
	if err := db.MarkDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if demo, err := db.IsDemo(ctx); !demo || err != nil {
		t.Fatalf("IsDemo = %v, %v", demo, err)
	}
}

func TestSearchCursor_SurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if seq, err := db.SearchCursor(ctx, "meilisearch"); err != nil || seq != 0 {
		t.Fatalf("new cursor = %d, %v", seq, err)
	}
	if err := db.SetSearchCursor(ctx, "meilisearch", 42); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if seq, err := db.SearchCursor(ctx, "meilisearch"); err != nil || seq != 42 {
		t.Fatalf("cursor after reopen = %d, %v", seq, err)
	}
}
