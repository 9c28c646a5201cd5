package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/storetest"
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

var pharmacy = storetest.Pharmacy

// The store contract, on SQLite.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now func() time.Time) data.Store { return MustOpenDBAt(t, now) })
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

func TestSearchCursor_SurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
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

// Only hashes of activation codes, tokens and session ids reach the file.
func TestSecrets_StoredHashed(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
	acc, code, err := db.CreateAccount(ctx, data.RolePharmacy, "a@example.org", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := db.CreateAPIToken(ctx, "100000001", testActor)
	session, _ := db.CreateSession(ctx, acc.ID, "test", time.Hour)
	var plain int
	if err := db.read.QueryRow(`SELECT (SELECT COUNT(*) FROM activation_codes WHERE code_hash IN (?, ?))
		+ (SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?) + (SELECT COUNT(*) FROM sessions WHERE id_hash = ?)`,
		code, data.NormalizeActivationCode(code), token, session).Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("%d secrets stored in plain text (%v)", plain, err)
	}
}
