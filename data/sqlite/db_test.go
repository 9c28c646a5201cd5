package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/internal/testenv"
)

// Another process holding the write lock past the busy timeout makes a write fail as
// "unavailable", with nothing changed; reads go on; once the lock is gone writes work.
func TestWrite_BusyDatabaseIsUnavailableAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+db.path+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "zu"}, testActor)
	if data.ErrorCode(err) != data.EUNAVAILABLE {
		t.Fatalf("write while locked: %v", err)
	}
	if db.Refusal() == nil {
		t.Fatal("no refusal noted after a refused write")
	}
	t.Logf("write refused after %s (busy timeout)", time.Since(start).Round(100*time.Millisecond))
	p, err := db.Pharmacy(ctx, "100000001")
	if err != nil || !p.Participation.Participating || p.Participation.Note != "" {
		t.Fatalf("read while locked: %+v %v", p.Participation, err)
	}
	if log, _ := db.AuditLog(ctx, "100000001", 10); len(log) != 0 {
		t.Fatalf("a refused write left an audit entry: %+v", log)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "zu"}, testActor); err != nil {
		t.Fatalf("write after the lock: %v", err)
	}
	if err := db.Refusal(); err != nil {
		t.Fatalf("refusal still noted after a write went through: %v", err)
	}
}

// A database on a volume that cannot be written (mounted read-only, as the kernel does after
// I/O errors) opens for reading: reads are served, every write is refused as unavailable and
// changes nothing, and the store says why.
func TestOpen_ReadOnlyVolumeServesReadsAndRefusesWrites(t *testing.T) {
	ctx := context.Background()
	dir := testenv.SmallFilesystem(t, 16<<20)
	path := filepath.Join(dir, "apoportal.db")
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertPharmacies(ctx, []data.Pharmacy{pharmacy("100000001", "Buxtehude", true)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	fresh, err := Open(ctx, filepath.Join(dir, "fresh.db"), nil) // still writable: created
	if err != nil {
		t.Fatal(err)
	}
	fresh.Close()
	testenv.ReadOnly(t, dir)
	if _, err := Open(ctx, filepath.Join(dir, "none.db"), nil); err == nil {
		t.Fatal("opened a database that does not exist on a read-only volume")
	}
	db, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open on a read-only volume: %v", err)
	}
	defer db.Close()
	if err := db.Refusal(); data.ErrorCode(err) != data.EUNAVAILABLE || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("refusal on a read-only volume: %v", err)
	}
	p, err := db.Pharmacy(ctx, "100000001")
	if err != nil || !p.Participation.Participating {
		t.Fatalf("read on a read-only volume: %+v %v", p, err)
	}
	err = db.ChangeParticipation(ctx, "100000001", data.Participation{Participating: false, Note: "zu"}, testActor)
	if data.ErrorCode(err) != data.EUNAVAILABLE {
		t.Fatalf("write on a read-only volume: %v", err)
	}
	if p, _ := db.Pharmacy(ctx, "100000001"); !p.Participation.Participating {
		t.Fatal("a refused write changed the pharmacy")
	}
}
