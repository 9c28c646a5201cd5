package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/data/sqlite"
	"github.com/apoportal/apoportal/data/storetest"
)

// livedIn fills a copy of the shared registry with what a portal in use holds: an account
// with a password, a session and a token, switches, a correction, a report, a day of probe
// history, incidents, maintenance, a search cursor and a secret. It returns the session and
// the token of the account (its password is goodPassword).
func livedIn(t *testing.T, db data.Store) (session, token string) {
	t.Helper()
	ctx := context.Background()
	ops := data.Actor{Name: "cli", Source: "cli"}
	acc, code, err := db.CreateAccount(ctx, data.RolePharmacy, "neue-apotheke@example.org", pharmacyA, ops)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ActivateAccount(ctx, code, goodPassword, ops); err != nil {
		t.Fatal(err)
	}
	if session, err = db.CreateSession(ctx, acc.ID, "192.0.2.1", 12*time.Hour); err != nil {
		t.Fatal(err)
	}
	owner := data.Actor{Name: "account", Source: "192.0.2.1", AccountID: acc.ID}
	tokenID, token, err := db.CreateAPIToken(ctx, pharmacyA, owner)
	if err != nil {
		t.Fatal(err)
	}
	api := data.Actor{Name: "api token", Source: "198.51.100.7", TokenID: tokenID}
	for i, pa := range []data.Participation{{Note: "Server gestört"}, {Participating: true}, {Participating: true, Note: "wieder da"}} {
		id := []string{pharmacyA, pharmacyB, pharmacyA}[i]
		if err := db.ChangeParticipation(ctx, id, pa, api); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.ReportCorrection(ctx, pharmacyA, acc.ID, "Hausnummer 12a", owner); err != nil {
		t.Fatal(err)
	}
	if err := db.AddReport(ctx, data.Report{PharmacyID: pharmacyA, Kind: data.ReportIssuingFailed, Message: "503"}, api); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordChecks(ctx, storetest.Every(launch.Add(-24*time.Hour), launch, time.Minute, func(at time.Time) string {
		return map[bool]string{true: "down", false: "operational"}[at.Hour() == 3]
	})); err != nil {
		t.Fatal(err)
	}
	if err := db.OpenAutomaticIncident(ctx, "national", "Störung", "keine Antwort", launch.Add(-21*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.ResolveAutomaticIncidents(ctx, "national", "wieder erreichbar", launch.Add(-20*time.Hour)); err != nil {
		t.Fatal(err)
	}
	id, err := db.OpenIncident(ctx, data.IncidentPost{Target: "national", Title: "Verzögerungen", State: data.IncidentInvestigating, Message: "Wir prüfen."}, ops)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateIncident(ctx, id, data.IncidentPost{State: data.IncidentIdentified, Message: "Ursache gefunden."}, ops); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ScheduleMaintenance(ctx, data.Maintenance{Target: "national", Title: "Update", Message: "Kurz weg.",
		StartsAt: launch.Add(time.Hour), EndsAt: launch.Add(2 * time.Hour)}, ops); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSearchCursor(ctx, "meilisearch", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Secret(ctx, "device_cookie"); err != nil {
		t.Fatal(err)
	}
	return session, token
}

// same fails unless both stores answer every read of the contract alike.
func same(t *testing.T, a, b data.Store) {
	t.Helper()
	ctx := context.Background()
	check := func(what string, read func(data.Store) (any, error)) {
		t.Helper()
		x, errA := read(a)
		y, errB := read(b)
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v / %v", what, errA, errB)
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("%s differs:\nsqlite   %+v\npostgres %+v", what, x, y)
		}
	}
	check("pharmacies", func(s data.Store) (any, error) {
		ps, seq, err := s.PharmaciesChangedSince(ctx, 0)
		byID := map[string]data.Pharmacy{}
		for _, p := range ps {
			byID[p.ID] = p
		}
		return []any{byID, seq}, err
	})
	check("gazetteer", func(s data.Store) (any, error) {
		pcs, version, err := s.Postcodes(ctx)
		return []any{pcs, version}, err
	})
	check("audit log", func(s data.Store) (any, error) { return s.AuditLog(ctx, "", 1000) })
	check("tokens", func(s data.Store) (any, error) { return s.APITokens(ctx, pharmacyA) })
	check("accounts", func(s data.Store) (any, error) { return s.AccountsOfPharmacy(ctx, pharmacyA) })
	check("corrections", func(s data.Store) (any, error) { return s.Corrections(ctx, pharmacyA) })
	check("incidents", func(s data.Store) (any, error) { return s.Incidents(ctx, time.Time{}) })
	check("maintenance", func(s data.Store) (any, error) { return s.Maintenances(ctx, time.Time{}) })
	check("hours", func(s data.Store) (any, error) { return s.Hours(ctx, "national", time.Time{}) })
	check("days", func(s data.Store) (any, error) { return s.Days(ctx, "national", "2000-01-01") })
	check("history sizes", func(s data.Store) (any, error) {
		raw, hourly, daily, err := s.CheckTableSizes(ctx)
		return []int{raw, hourly, daily}, err
	})
	check("reports", func(s data.Store) (any, error) {
		return s.ReportingPharmacies(ctx, data.ReportIssuingFailed, time.Time{})
	})
	check("meta", func(s data.Store) (any, error) {
		cursor, err := s.SearchCursor(ctx, "meilisearch")
		if err != nil {
			return nil, err
		}
		secret, err := s.Secret(ctx, "device_cookie")
		return []any{cursor, secret}, err
	})
}

// migrate-store copies a SQLite store in use (the shared registry with accounts, switches,
// history and audit log) into an empty PostgreSQL store: both answer every read alike, the
// copy takes the same password, session and token, and goes on numbering after the copied
// rows. A second copy into the filled store is refused and changes nothing.
func TestMigrateStoreCommand_CopiesEveryTableRowForRow(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return launch }
	from := sharedDBCopy(t)
	src, err := sqlite.Open(ctx, from, clock)
	if err != nil {
		t.Fatal(err)
	}
	session, token := livedIn(t, src)
	src.Close()
	to := pgServer.Database(t)
	out, err := runCLI(t, nil, "migrate-store", "--from", from, "--to", to)
	if err != nil || !strings.Contains(out, "pharmacies            18666 rows") || !strings.Contains(out, "audit_log") {
		t.Fatalf("migrate-store: %v\n%s", err, out)
	}
	t.Logf("migrate-store:\n%s", out)
	src, err = sqlite.Open(ctx, from, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	same(t, src, dst)

	if _, err := dst.Authenticate(ctx, "neue-apotheke@example.org", goodPassword); err != nil {
		t.Errorf("the password does not work on the copy: %v", err)
	}
	if _, err := dst.SessionAccount(ctx, session, time.Hour); err != nil {
		t.Errorf("the session does not work on the copy: %v", err)
	}
	if id, _, err := dst.PharmacyOfToken(ctx, token); err != nil || id != pharmacyA {
		t.Errorf("the token does not work on the copy: %s %v", id, err)
	}
	_, last, _ := dst.PharmaciesChangedSince(ctx, 0)
	if err := dst.ChangeParticipation(ctx, pharmacyB, data.Participation{Note: "nach dem Umzug"}, data.Actor{Name: "test", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	if ps, next, err := dst.PharmaciesChangedSince(ctx, last); err != nil || len(ps) != 1 || ps[0].ID != pharmacyB || next != last+1 {
		t.Fatalf("the change sequence does not go on after the copy: %d changes, %d → %d, %v", len(ps), last, next, err)
	}
	acc, _, err := dst.CreateAccount(ctx, data.RoleOperator, "ops@example.org", "", data.Actor{Name: "test", Source: "test"})
	if err != nil || acc.ID != 2 {
		t.Fatalf("a new account after the copy: id %d, %v", acc.ID, err)
	}

	before, _ := dst.AuditLog(ctx, "", 1000)
	if _, err := runCLI(t, nil, "migrate-store", "--from", from, "--to", to); data.ErrorCode(err) != data.ECONFLICT ||
		!strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a copy into a filled store: %v", err)
	}
	if after, _ := dst.AuditLog(ctx, "", 1000); len(after) != len(before) {
		t.Fatalf("the refused copy changed the store: %d → %d audit entries", len(before), len(after))
	}
	if _, err := runCLI(t, nil, "migrate-store", "--from", from+".typo", "--to", pgServer.Database(t)); err == nil {
		t.Error("a mistyped source was copied (as an empty store)")
	}
	for _, args := range [][]string{{"migrate-store", "--from", from}, {"migrate-store", "--from", from, "--to", from},
		{"migrate-store", "--from", to, "--to", to}} {
		var ue usageError
		if _, err := runCLI(t, nil, args...); !errorsAs(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args[1:], err)
		}
	}
}
