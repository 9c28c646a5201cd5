package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// Every is a probe of the national service every step from from to to, in the state state says.
func Every(from, to time.Time, step time.Duration, state func(time.Time) string) []data.Check {
	var out []data.Check
	for t := from; t.Before(to); t = t.Add(step) {
		out = append(out, data.Check{Target: "national", At: t, State: state(t), LatencyMS: 100})
	}
	return out
}

func up(time.Time) string { return "operational" }

func dailyRollupFollowsBerlin(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	// Every 30 minutes over the spring and autumn DST changes: 23- and 25-hour days.
	spring := Every(time.Date(2021, 3, 27, 23, 0, 0, 0, time.UTC), time.Date(2021, 3, 28, 22, 0, 0, 0, time.UTC), 30*time.Minute, up)
	autumn := Every(time.Date(2021, 10, 30, 22, 0, 0, 0, time.UTC), time.Date(2021, 10, 31, 23, 0, 0, 0, time.UTC), 30*time.Minute, up)
	// 22:30 UTC in June is already the next day in Berlin.
	june := []data.Check{{Target: "national", At: time.Date(2021, 6, 14, 21, 30, 0, 0, time.UTC), State: "down"},
		{Target: "national", At: time.Date(2021, 6, 14, 22, 30, 0, 0, time.UTC), State: "operational"}}
	if err := db.RecordChecks(ctx, append(append(spring, autumn...), june...)); err != nil {
		t.Fatal(err)
	}
	days, err := db.Days(ctx, "national", "2021-01-01")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"2021-03-28": {46, 0}, "2021-10-31": {50, 0}, "2021-06-14": {1, 1}, "2021-06-15": {1, 0}}
	got := map[string][2]int{}
	for _, d := range days {
		got[d.Day] = [2]int{d.Total, d.Down}
	}
	for day, w := range want {
		if got[day] != w {
			t.Errorf("%s: %v probes/down, want %v (all days: %v)", day, got[day], w, got)
		}
	}
	if from, _ := db.Days(ctx, "national", "2021-06-15"); len(from) != 2 || from[0].Day != "2021-06-15" || from[1].Day != "2021-10-31" {
		t.Errorf("days from 15 June: %+v", from)
	}
}

func uptimeAndRetention(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	now := time.Date(2021, 6, 15, 12, 0, 0, 0, time.UTC)
	// Ten days at a 30 s interval, down for one hour a day.
	checks := Every(now.Add(-10*24*time.Hour), now, 30*time.Second, func(t time.Time) string {
		if t.UTC().Hour() == 3 {
			return "down"
		}
		return "operational"
	})
	if err := db.RecordChecks(ctx, checks); err != nil {
		t.Fatal(err)
	}
	u, ok, err := db.Uptime(ctx, "national", now.Add(-7*24*time.Hour))
	if err != nil || !ok || math.Abs(u-23.0/24) > 1e-9 {
		t.Fatalf("7-day uptime %v (%v, %v), want 23/24", u, ok, err)
	}
	if _, ok, _ := db.Uptime(ctx, "auth", now.Add(-time.Hour)); ok {
		t.Fatal("uptime of a target without data")
	}
	if err := db.PruneChecks(ctx, now); err != nil {
		t.Fatal(err)
	}
	raw, hourly, daily, err := db.CheckTableSizes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Raw keeps 48 h (5,760 results at 30 s); roll-ups keep all ten days.
	if raw != 5760 || hourly != 240 || daily != 11 {
		t.Fatalf("after pruning: %d raw, %d hourly, %d daily", raw, hourly, daily)
	}
	// A year later only the daily roll-up remembers.
	if err := db.PruneChecks(ctx, now.Add(100*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if raw, hourly, daily, _ := db.CheckTableSizes(ctx); raw != 0 || hourly != 0 || daily != 11 {
		t.Fatalf("100 days later: %d raw, %d hourly, %d daily", raw, hourly, daily)
	}
}

func hourlyCountsAnswersOnly(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
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
	if len(hs) != 2 || hs[0].LatencyAvgMS != 1300 || hs[0].LatencyMaxMS != 2500 || hs[0].Down != 1 || hs[0].Degraded != 1 ||
		!hs[0].Hour.Equal(hour) || hs[1].LatencyAvgMS != 0 || hs[1].Total != 1 {
		t.Fatalf("hours %+v", hs)
	}
}

func automaticIncidents(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	at := time.Date(2021, 6, 15, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		if err := db.OpenAutomaticIncident(ctx, "national", "Störung", "keine Antwort", at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := db.Incidents(ctx, at.Add(-time.Hour))
	if err != nil || len(ins) != 1 || ins[0].State != data.IncidentInvestigating || len(ins[0].Updates) != 1 || !ins[0].Automatic ||
		!ins[0].StartedAt.Equal(at) {
		t.Fatalf("open: %+v, %v", ins, err)
	}
	if err := db.ResolveAutomaticIncidents(ctx, "national", "wieder erreichbar", at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ins, _ = db.Incidents(ctx, at.Add(-time.Hour))
	if len(ins) != 1 || ins[0].State != data.IncidentResolved || ins[0].ResolvedAt == nil || len(ins[0].Updates) != 2 {
		t.Fatalf("resolved: %+v", ins)
	}
	if ins, _ := db.Incidents(ctx, at.Add(3*time.Hour)); len(ins) != 0 {
		t.Fatalf("old resolved incident still listed: %+v", ins)
	}
	// The next outage opens a new one.
	if err := db.OpenAutomaticIncident(ctx, "national", "Störung", "keine Antwort", at.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ins, _ := db.Incidents(ctx, at.Add(-time.Hour)); len(ins) != 2 || ins[0].ResolvedAt != nil {
		t.Fatalf("second outage: %+v", ins)
	}
}

func operatorTimeline(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
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

func badIncidentPosts(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
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

func maintenanceScheduleCancel(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	now := time.Now()
	m := data.Maintenance{Target: "national", Title: "Update des Ausstellungsservers", Message: "Keine Ausstellung in dieser Zeit.",
		StartsAt: now.Add(time.Hour).Truncate(time.Second), EndsAt: now.Add(3 * time.Hour).Truncate(time.Second)}
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
	if err != nil || len(ms) != 1 || ms[0].ID != id || !ms[0].StartsAt.Equal(m.StartsAt) || !ms[0].EndsAt.Equal(m.EndsAt) || ms[0].Title != m.Title {
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

func reportsCountPharmaciesOnce(t *testing.T, open Open) {
	ctx := context.Background()
	c := &clock{time.Date(2021, 6, 14, 10, 0, 0, 0, time.UTC)}
	db := withPharmacies(t, open, c.now, Pharmacy("100000001", "A", true), Pharmacy("100000002", "B", true))
	report := func(id string) {
		t.Helper()
		if err := db.AddReport(ctx, data.Report{PharmacyID: id, Kind: data.ReportIssuingFailed, Message: "Fehler 503"}, testActor); err != nil {
			t.Fatal(err)
		}
	}
	report("100000001")
	c.at = c.at.Add(10 * time.Minute)
	report("100000001")
	report("100000002")
	if n, err := db.ReportingPharmacies(ctx, data.ReportIssuingFailed, c.at.Add(-15*time.Minute)); err != nil || n != 2 {
		t.Fatalf("reporting in 15 minutes: %d, %v", n, err)
	}
	if n, _ := db.ReportingPharmacies(ctx, data.ReportIssuingFailed, c.at.Add(-5*time.Minute)); n != 2 {
		t.Fatalf("reporting in 5 minutes: %d, want 2", n)
	}
	if n, _ := db.ReportingPharmacies(ctx, data.ReportIssuingFailed, c.at.Add(time.Minute)); n != 0 {
		t.Fatalf("reporting after the last report: %d", n)
	}
	if log, _ := db.AuditLog(ctx, "100000001", 10); len(log) != 2 || log[0].Action != "report.issuing_failed" {
		t.Fatalf("audit log %+v", log)
	}
}
