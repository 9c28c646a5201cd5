package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apoportal/apoportal/data"
)

func reimportKeepsTheSwitch(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	if sum, err := db.UpsertPharmacies(ctx, []data.Pharmacy{Pharmacy("100000001", "Buxtehude", true)}); err != nil || sum.Inserted != 1 {
		t.Fatalf("first import: %+v, %v", sum, err)
	}
	if err := db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "Server down"}, testActor); err != nil {
		t.Fatal(err)
	}
	again := Pharmacy("100000001", "Buxtehude-Altkloster", true)
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

func failedImportChangesNothing(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "Buxtehude", true))
	bad := Pharmacy("100000003", "Stade", true)
	bad.Lat = 200 // violates the table's CHECK
	_, err := db.ImportPharmacies(ctx, []data.Pharmacy{Pharmacy("100000001", "Changed", true), Pharmacy("100000002", "Stade", true), bad}, testActor, "test")
	if err == nil {
		t.Fatal("import with a bad row succeeded")
	}
	if n, _ := db.CountPharmacies(ctx); n != 1 {
		t.Errorf("%d pharmacies after failed import, want 1", n)
	}
	if p, _ := db.Pharmacy(ctx, "100000001"); p.City != "Buxtehude" {
		t.Errorf("failed import changed city to %q", p.City)
	}
	if log, _ := db.AuditLog(ctx, "", 10); len(log) != 0 {
		t.Errorf("a failed import was audited: %+v", log)
	}
}

// A registry import stores every field of thousands of pharmacies, counts new and updated
// ones, and audits itself once.
func registryOfThousands(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	ps := make([]data.Pharmacy, 5000)
	for i := range ps {
		ps[i] = Pharmacy(fmt.Sprintf("2%08d", i), "Stade", i%2 == 0)
		ps[i].Street, ps[i].HouseNumber, ps[i].Phone = "Hauptstraße", fmt.Sprint(i), "04141 "+fmt.Sprint(i)
		ps[i].OpeningHours = "Mo-Fr 08:00-18:00"
		ps[i].Services = []data.Service{data.ServiceRapidTest, data.ServiceEmergency}
	}
	if sum, err := db.ImportPharmacies(ctx, ps[:3000], testActor, "first"); err != nil || sum.Inserted != 3000 {
		t.Fatalf("first import: %+v, %v", sum, err)
	}
	sum, err := db.ImportPharmacies(ctx, ps, testActor, "second")
	if err != nil || sum.Inserted != 2000 || sum.Updated != 3000 {
		t.Fatalf("second import: %+v, %v", sum, err)
	}
	if n, _ := db.CountPharmacies(ctx); n != 5000 {
		t.Fatalf("%d pharmacies, want 5000", n)
	}
	got, err := db.Pharmacy(ctx, ps[4321].ID)
	if err != nil {
		t.Fatal(err)
	}
	want := ps[4321]
	if got.Street != want.Street || got.HouseNumber != want.HouseNumber || got.Phone != want.Phone || got.OpeningHours != want.OpeningHours ||
		len(got.Services) != 2 || got.Services[1] != data.ServiceEmergency || got.Lat != want.Lat || got.Participation.Participating {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	log, _ := db.AuditLog(ctx, "", 10)
	if len(log) != 2 || log[0].Action != "registry.import" || !strings.Contains(log[0].New, "2000 new, 3000 updated") {
		t.Errorf("audit log %+v", log)
	}
}

// Unknown pharmacies are not found, also by ids no store could hold (invalid UTF-8, NUL).
func pharmacyNotFound(t *testing.T, open Open) {
	db := open(t, nil)
	for _, id := range []string{"999999999", "\xff\xfe", "30634\x005139", ""} {
		if _, err := db.Pharmacy(context.Background(), id); data.ErrorCode(err) != data.ENOTFOUND {
			t.Errorf("pharmacy %q: %v, want ENOTFOUND", id, err)
		}
		if err := db.ChangeParticipation(context.Background(), id, data.Participation{}, testActor); data.ErrorCode(err) != data.ENOTFOUND {
			t.Errorf("switch of %q: %v, want ENOTFOUND", id, err)
		}
	}
}

func changedSinceFollowsWrites(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "A", true), Pharmacy("100000002", "B", true))
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

// Eight writers switch 400 pharmacies once each while a follower reads the changes after
// its cursor, as the search engines do. A follower that passes over a change whose
// transaction committed after a later one would never see that pharmacy switched.
func concurrentWritersNeverSkipped(t *testing.T, open Open) {
	ctx := context.Background()
	const writers, each = 8, 50
	ps := make([]data.Pharmacy, writers*each)
	for i := range ps {
		ps[i] = Pharmacy(fmt.Sprintf("3%08d", i), "Stade", true)
	}
	db := withPharmacies(t, open, nil, ps...)
	_, cursor, err := db.PharmaciesChangedSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	follow := func() {
		changed, next, err := db.PharmaciesChangedSince(ctx, cursor)
		if err != nil {
			t.Error(err)
			return
		}
		for _, p := range changed {
			if p.Participation.Note == "switched" {
				seen[p.ID] = true
			}
		}
		cursor = next
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := ps[w*each+i].ID
				if err := db.ChangeParticipation(ctx, id, data.Participation{Note: "switched"}, testActor); err != nil {
					t.Errorf("switch %s: %v", id, err)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		follow()
	}
	follow() // whatever committed since the last read
	var missed []string
	for _, p := range ps {
		if !seen[p.ID] {
			missed = append(missed, p.ID)
		}
	}
	if len(missed) > 0 {
		t.Fatalf("the follower never saw %d of %d switches, e.g. %v", len(missed), len(ps), missed[:min(5, len(missed))])
	}
}

func auditsOldAndNew(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "A", true))
	actor := data.Actor{Name: "token 1", Source: "192.0.2.7"}
	if err := db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "Server down"}, actor); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, "100000001", 10)
	if err != nil || len(log) != 1 {
		t.Fatalf("audit log %+v, %v", log, err)
	}
	e := log[0]
	if e.Actor != "token 1" || e.Source != "192.0.2.7" || e.Action != "participation.change" ||
		!strings.Contains(e.Old, `"participating":true`) || !strings.Contains(e.New, `"note":"Server down"`) {
		t.Errorf("audit entry %+v", e)
	}
	p, _ := db.Pharmacy(ctx, "100000001")
	if p.Participation.ConfirmedAt == nil || p.Participation.Participating {
		t.Errorf("participation %+v", p.Participation)
	}
}

// Concurrent switches of one pharmacy leave an audit trail in which each entry's "old" is
// the previous entry's "new", and the last "new" is what is stored.
func concurrentSwitchesReplay(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "A", true))
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				pa := data.Participation{Participating: (w+i)%2 == 0, Note: fmt.Sprintf("writer %d, switch %d", w, i)}
				if err := db.ChangeParticipation(ctx, "100000001", pa, testActor); err != nil {
					t.Errorf("switch: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	log, err := db.AuditLog(ctx, "100000001", 1000)
	if err != nil || len(log) != writers*each {
		t.Fatalf("%d audit entries, want %d (%v)", len(log), writers*each, err)
	}
	state := data.Participation{Participating: true}.Audited()
	for i := len(log) - 1; i >= 0; i-- { // oldest first
		if log[i].Old != state {
			t.Fatalf("entry %d: old %s, but the state before was %s", log[i].ID, log[i].Old, state)
		}
		state = log[i].New
	}
	p, _ := db.Pharmacy(ctx, "100000001")
	stored := p.Participation
	stored.ConfirmedAt = nil
	if stored.Audited() != state {
		t.Fatalf("the trail replays to %s, the store holds %s", state, stored.Audited())
	}
}

func correctionsReportedAndListed(t *testing.T, open Open) {
	ctx := context.Background()
	db := withPharmacies(t, open, nil, Pharmacy("100000001", "A", true))
	acc, _, err := db.CreateAccount(ctx, data.RolePharmacy, "a@example.org", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{" ", strings.Repeat("x", data.MaxCorrectionLength+1), "Straße\u202e falsch"} {
		if err := db.ReportCorrection(ctx, "100000001", acc.ID, bad, testActor); data.ErrorCode(err) != data.EINVALID {
			t.Errorf("correction %.20q: %v", bad, err)
		}
	}
	for _, m := range []string{"Hausnummer ist 12a", " Telefon 04141 1234 "} {
		if err := db.ReportCorrection(ctx, "100000001", acc.ID, m, testActor); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := db.Corrections(ctx, "100000001")
	if err != nil || len(cs) != 2 || cs[0].Message != "Telefon 04141 1234" || cs[1].Message != "Hausnummer ist 12a" || cs[0].CreatedAt.IsZero() {
		t.Fatalf("corrections %+v, %v", cs, err)
	}
	if log, _ := db.AuditLog(ctx, "100000001", 10); len(log) != 3 || log[0].Action != "correction.report" {
		t.Errorf("audit log %+v", log)
	}
}
