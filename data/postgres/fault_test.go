package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/storetest"
	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/jackc/pgx/v5"
)

var testActor = data.Actor{Name: "test", Source: "test"}

// databaseOf is the name of the database a test URL points at.
func databaseOf(url string) string {
	return url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
}

// openAt opens a store on url, closed when the test ends.
func openAt(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// withPharmacy is a fresh store with one pharmacy, and its URL.
func withPharmacy(t *testing.T, params string) (*DB, string) {
	t.Helper()
	url := server.Database(t) + params
	db := openAt(t, url)
	if _, err := db.UpsertPharmacies(context.Background(), []data.Pharmacy{storetest.Pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
	return db, url
}

// unchanged fails unless the pharmacy's switch and audit trail are as imported.
func unchanged(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	p, err := db.Pharmacy(ctx, "100000001")
	if err != nil || !p.Participation.Participating || p.Participation.Note != "" {
		t.Fatalf("a refused write changed the switch: %+v, %v", p.Participation, err)
	}
	if log, _ := db.AuditLog(ctx, "", 10); len(log) != 0 {
		t.Fatalf("a refused write left an audit entry: %+v", log)
	}
}

var closed = data.Participation{Participating: false, Note: "zu"}

// Four processes starting at once on an empty database migrate it once.
func TestOpen_ConcurrentStartsMigrateOnce(t *testing.T) {
	url := server.Database(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(context.Background(), url, nil)
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	db := openAt(t, url)
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	var applied int
	if err := db.pool.QueryRow(context.Background(), "SELECT COUNT(*) FROM schema_migrations").Scan(&applied); err != nil || applied != len(names) {
		t.Fatalf("%d migrations recorded, want %d (%v)", applied, len(names), err)
	}
	if err := db.SetSearchCursor(context.Background(), "meilisearch", 42); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if seq, err := openAt(t, url).SearchCursor(context.Background(), "meilisearch"); err != nil || seq != 42 {
		t.Fatalf("cursor after reopening: %d, %v", seq, err)
	}
}

// A server that refuses writes (as a standby does: SQLSTATE 25006) makes writes fail as
// unavailable with nothing changed; reads go on; the store says why.
func TestWrite_ReadOnlyServerIsUnavailable(t *testing.T) {
	ctx := context.Background()
	_, url := withPharmacy(t, "")
	server.Exec(t, "postgres", "ALTER DATABASE "+databaseOf(url)+" SET default_transaction_read_only = on")
	db := openAt(t, url)
	err := db.ChangeParticipation(ctx, "100000001", closed, testActor)
	if data.ErrorCode(err) != data.EUNAVAILABLE || !strings.Contains(data.ErrorMessage(err), "read-only") {
		t.Fatalf("write on a read-only server: %v", err)
	}
	if db.Refusal() == nil {
		t.Fatal("no refusal noted")
	}
	if err := db.Ping(ctx); err != nil || db.Refusal() == nil {
		t.Fatalf("the readiness ping cleared the refusal of a read-only server: %v", err)
	}
	if fresh := openAt(t, url); fresh.Ping(ctx) != nil || fresh.Refusal() == nil {
		t.Fatal("a read-only server is not seen by the ping before the first write")
	}
	unchanged(t, db)
	server.Exec(t, "postgres", "ALTER DATABASE "+databaseOf(url)+" RESET default_transaction_read_only")
	db = openAt(t, url)
	if err := db.ChangeParticipation(ctx, "100000001", closed, testActor); err != nil || db.Refusal() != nil {
		t.Fatalf("write once writable: %v (refusal %v)", err, db.Refusal())
	}
}

// A writer stuck holding the change sequence (a hung transaction elsewhere) makes a write
// give up after the lock timeout as unavailable, not hang the request or half-apply.
func TestWrite_LockHeldPastTimeoutIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db, url := withPharmacy(t, "&lock_timeout=300ms")
	stuck, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close(ctx)
	tx, err := stuck.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT seq FROM change_seq FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = db.ChangeParticipation(ctx, "100000001", closed, testActor)
	if data.ErrorCode(err) != data.EUNAVAILABLE {
		t.Fatalf("write behind a stuck writer: %v", err)
	}
	t.Logf("refused after %s", time.Since(start).Round(10*time.Millisecond))
	unchanged(t, db)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.ChangeParticipation(ctx, "100000001", closed, testActor); err != nil {
		t.Fatalf("write after the stuck writer ended: %v", err)
	}
}

// A statement past the statement timeout (57014) is unavailable; so is a request whose
// deadline passes while the database works.
func TestWrite_TimeoutsAreUnavailable(t *testing.T) {
	db, _ := withPharmacy(t, "&statement_timeout=200ms")
	slow := func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "SELECT pg_sleep(2)")
		return err
	}
	if err := db.inTx(context.Background(), slow); data.ErrorCode(err) != data.EUNAVAILABLE {
		t.Fatalf("statement past the timeout: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "SELECT pg_sleep(0.15)")
		return err
	}); data.ErrorCode(err) != data.EUNAVAILABLE {
		t.Fatalf("request deadline: %v", err)
	}
}

// A connection ended under a transaction (the server restarting, an operator terminating
// it) is unavailable, and the pool goes on with a new connection.
func TestWrite_ConnectionLostIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db, _ := withPharmacy(t, "")
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE participations SET note = 'half' WHERE pharmacy_id = '100000001'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		return err
	})
	if data.ErrorCode(err) != data.EUNAVAILABLE {
		t.Fatalf("write on a terminated connection: %v", err)
	}
	unchanged(t, db)
	if err := db.ChangeParticipation(ctx, "100000001", closed, testActor); err != nil {
		t.Fatalf("write on the next connection: %v", err)
	}
}

// Two writers that lock in opposite orders deadlock; PostgreSQL aborts one (40P01), the
// store runs it again, and both writes land.
func TestWrite_DeadlockIsRetried(t *testing.T) {
	ctx := context.Background()
	db, _ := withPharmacy(t, "")
	for _, k := range []string{"a", "b"} {
		if err := db.SetSearchCursor(ctx, k, 0); err != nil {
			t.Fatal(err)
		}
	}
	var attempts atomic.Int32
	both := make(chan struct{})
	lock := func(first, second string) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			n := attempts.Add(1)
			if _, err := tx.Exec(ctx, "UPDATE meta SET value = value || '1' WHERE key = $1", "search_cursor:"+first); err != nil {
				return err
			}
			if n <= 2 { // the first round: wait until both hold their first lock
				select {
				case both <- struct{}{}:
				case <-both:
				}
			}
			_, err := tx.Exec(ctx, "UPDATE meta SET value = value || '2' WHERE key = $1", "search_cursor:"+second)
			return err
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- db.inTx(ctx, lock("a", "b")) }()
	go func() { errs <- db.inTx(ctx, lock("b", "a")) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlocked write was not retried to success: %v", err)
		}
	}
	if attempts.Load() < 3 {
		t.Fatalf("%d attempts: no deadlock happened", attempts.Load())
	}
}

// A full disk (53100) refuses writes as unavailable with nothing changed; once there is room
// again, writes go through without a restart. The database lives in a tablespace on a
// small filesystem of its own.
func TestWrite_DiskFullIsUnavailable(t *testing.T) {
	ctx := context.Background()
	disk := testenv.SmallFilesystem(t, 24<<20)
	if err := os.Chown(disk, postgresUID(t), -1); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(disk), 0o755); err != nil { // the test's temp dir, for postgres to pass
		t.Fatal(err)
	}
	space := fmt.Sprintf("small%d", time.Now().UnixNano())
	server.Exec(t, "postgres", "CREATE TABLESPACE "+space+" LOCATION '"+disk+"'")
	url := server.Database(t)
	server.Exec(t, "postgres", "ALTER DATABASE "+databaseOf(url)+" SET TABLESPACE "+space)
	t.Cleanup(func() {
		server.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+databaseOf(url)+" WITH (FORCE)")
		server.Exec(t, "postgres", "DROP TABLESPACE IF EXISTS "+space)
	})
	db := openAt(t, url)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{storetest.Pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
	ballast, err := os.Create(disk + "/ballast")
	if err != nil {
		t.Fatal(err)
	}
	defer ballast.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := ballast.Write(chunk); err != nil {
			break
		}
	}
	var refused error
	for i := 0; i < 200 && refused == nil; i++ {
		ps := make([]data.Pharmacy, 500)
		for j := range ps {
			ps[j] = storetest.Pharmacy(fmt.Sprintf("4%04d%04d", i, j), "Stade", true)
		}
		_, refused = db.UpsertPharmacies(ctx, ps)
	}
	if data.ErrorCode(refused) != data.EUNAVAILABLE || !strings.Contains(data.ErrorMessage(refused), "disk is full") {
		t.Fatalf("write to a full disk: %v", refused)
	}
	before, _ := db.CountPharmacies(ctx)
	if err := db.ChangeParticipation(ctx, "100000001", closed, testActor); err == nil {
		t.Log("a small write still fit")
	}
	if after, _ := db.CountPharmacies(ctx); after != before {
		t.Fatalf("pharmacies %d → %d while full", before, after)
	}
	ballast.Close()
	if err := os.Remove(disk + "/ballast"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{storetest.Pharmacy("100000009", "Stade", true)}); err != nil || db.Refusal() != nil {
		t.Fatalf("write after room returned: %v (refusal %v)", err, db.Refusal())
	}
}

// postgresUID is the user the test server runs as.
func postgresUID(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		return os.Geteuid()
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

// A connection string's password never appears in an error.
func TestOpen_ErrorsHideThePassword(t *testing.T) {
	for _, url := range []string{"postgres://apo:sekrit-pw@127.0.0.1:1/apoportal?connect_timeout=1",
		"postgres://apo:sekrit-pw@[::1/apoportal", "postgres://apo:sekrit-pw@127.0.0.1/x?pool_max_conns=zero"} {
		_, err := Open(context.Background(), url, nil)
		if err == nil || strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%s: %v", url, err)
		}
		if data.ErrorCode(err) == data.EINTERNAL && strings.Contains(url, "127.0.0.1:1/") {
			t.Errorf("an unreachable server is not unavailable: %v", err)
		}
	}
}

// Only hashes of activation codes, tokens and session ids reach the database.
func TestSecrets_StoredHashed(t *testing.T) {
	ctx := context.Background()
	db, _ := withPharmacy(t, "")
	acc, code, err := db.CreateAccount(ctx, data.RolePharmacy, "a@example.org", "100000001", testActor)
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := db.CreateAPIToken(ctx, "100000001", testActor)
	session, _ := db.CreateSession(ctx, acc.ID, "test", time.Hour)
	var plain int
	if err := db.pool.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM activation_codes WHERE code_hash IN ($1, $2))
		+ (SELECT COUNT(*) FROM api_tokens WHERE token_hash = $3) + (SELECT COUNT(*) FROM sessions WHERE id_hash = $4)`,
		code, data.NormalizeActivationCode(code), token, session).Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("%d secrets stored in plain text (%v)", plain, err)
	}
}
