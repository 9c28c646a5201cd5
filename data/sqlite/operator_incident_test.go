package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

func TestIncidents_OperatorTimelineAndAudit(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	id, err := db.OpenIncident(ctx, data.IncidentPost{Target: "national", Title: "Zertifikate werden verzögert ausgestellt",
		State: data.IncidentInvestigating, Message: "Wir prüfen Meldungen von Apotheken."}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{data.IncidentIdentified, data.IncidentMonitoring, data.IncidentResolved} {
		if err := db.UpdateIncident(ctx, id, data.IncidentPost{State: state, Message: "Stand: " + state}, testActor); err != nil {
			t.Fatal(err)
		}
	}
	err = db.UpdateIncident(ctx, id, data.IncidentPost{State: data.IncidentMonitoring, Message: "zu spät"}, testActor)
	if data.ErrorCode(err) != data.ECONFLICT {
		t.Fatalf("update of a resolved incident: %v", err)
	}
	if err := db.UpdateIncident(ctx, id+1, data.IncidentPost{State: data.IncidentMonitoring, Message: "x"}, testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("update of a missing incident: %v", err)
	}
	ins, err := db.Incidents(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || ins[0].State != data.IncidentResolved || ins[0].ResolvedAt == nil || ins[0].Automatic || len(ins[0].Updates) != 4 ||
		ins[0].Updates[1].State != data.IncidentIdentified {
		t.Fatalf("incident %+v", ins)
	}
	log, err := db.AuditLog(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 4 || log[len(log)-1].Action != "incident.open" {
		t.Fatalf("audit log %+v", log)
	}
}

func TestIncidents_BadPostsChangeNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for _, c := range []struct {
		p     data.IncidentPost
		field string
	}{
		{data.IncidentPost{Target: "national", State: "investigating", Message: "m"}, "title"},
		{data.IncidentPost{Title: "t", State: "investigating", Message: "m"}, "target"},
		{data.IncidentPost{Target: "national", Title: "t", State: "resolved", Message: "m"}, "state"},
		{data.IncidentPost{Target: "national", Title: "t", State: "panic", Message: "m"}, "state"},
		{data.IncidentPost{Target: "national", Title: "t", State: "investigating", Message: " "}, "message"},
	} {
		_, err := db.OpenIncident(ctx, c.p, testActor)
		if e, ok := err.(*data.Error); !ok || e.Field != c.field || e.Code != data.EINVALID {
			t.Errorf("%+v: %v, want field %s", c.p, err, c.field)
		}
	}
	if ins, _ := db.Incidents(ctx, time.Time{}); len(ins) != 0 {
		t.Fatalf("bad posts stored %+v", ins)
	}
}

func TestMaintenance_ScheduleCancelAndState(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	now := time.Now()
	m := data.Maintenance{Target: "national", Title: "Update des Ausstellungsservers", Message: "Keine Ausstellung in dieser Zeit.",
		StartsAt: now.Add(time.Hour), EndsAt: now.Add(3 * time.Hour)}
	id, err := db.ScheduleMaintenance(ctx, m, testActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{{now, data.MaintenanceScheduled}, {now.Add(2 * time.Hour), data.MaintenanceInProgress}, {now.Add(3 * time.Hour), data.MaintenanceCompleted}} {
		if got := m.State(c.at); got != c.want {
			t.Errorf("at %s: %s, want %s", c.at, got, c.want)
		}
	}
	for _, bad := range []struct {
		m     data.Maintenance
		field string
	}{
		{data.Maintenance{Target: "national", Title: "t", StartsAt: now, EndsAt: now.Add(-time.Minute)}, "ends_at"},
		{data.Maintenance{Target: "national", Title: "t", StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour)}, "ends_at"},
		{data.Maintenance{Target: "national", Title: "t", StartsAt: now, EndsAt: now.Add(8 * 24 * time.Hour)}, "ends_at"},
		{data.Maintenance{Target: "national", StartsAt: now, EndsAt: now.Add(time.Hour)}, "title"},
		{data.Maintenance{Target: "national", Title: "t", EndsAt: now.Add(time.Hour)}, "starts_at"},
	} {
		if _, err := db.ScheduleMaintenance(ctx, bad.m, testActor); err == nil || err.(*data.Error).Field != bad.field {
			t.Errorf("%+v: %v, want field %s", bad.m, err, bad.field)
		}
	}
	ms, err := db.Maintenances(ctx, now)
	if err != nil || len(ms) != 1 || ms[0].ID != id || !ms[0].StartsAt.Equal(m.StartsAt) {
		t.Fatalf("maintenances %+v %v", ms, err)
	}
	if err := db.CancelMaintenance(ctx, id, testActor); err != nil {
		t.Fatal(err)
	}
	if err := db.CancelMaintenance(ctx, id, testActor); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("second cancel: %v", err)
	}
	if ms, _ := db.Maintenances(ctx, now); len(ms) != 0 {
		t.Fatalf("cancelled maintenance still listed: %+v", ms)
	}
}

func TestChecks_HourlyResponseTimeCountsAnswersOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	hour := time.Date(2021, 6, 15, 10, 0, 0, 0, time.UTC)
	if err := db.RecordChecks(ctx, []data.Check{
		{Target: "national", At: hour, State: "operational", LatencyMS: 100},
		{Target: "national", At: hour.Add(time.Minute), State: "degraded", LatencyMS: 2500},
		{Target: "national", At: hour.Add(2 * time.Minute), State: "down", LatencyMS: 10000}, // a timeout
		{Target: "national", At: hour.Add(time.Hour), State: "down", LatencyMS: 10000},
	}); err != nil {
		t.Fatal(err)
	}
	hs, err := db.Hours(ctx, "national", hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].LatencyAvgMS != 1300 || hs[0].LatencyMaxMS != 2500 || hs[0].Down != 1 || hs[1].LatencyAvgMS != 0 || hs[1].Total != 1 {
		t.Fatalf("hours %+v", hs)
	}
}
