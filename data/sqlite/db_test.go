package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
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
}
