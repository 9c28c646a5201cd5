package sqlite

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

func every(from, to time.Time, step time.Duration, state func(time.Time) string) []data.Check {
	var out []data.Check
	for t := from; t.Before(to); t = t.Add(step) {
		out = append(out, data.Check{Target: "national", At: t, State: state(t), LatencyMS: 100})
	}
	return out
}

func up(time.Time) string { return "operational" }

func TestChecks_DailyRollupFollowsBerlinDaysAndDST(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	// Every 30 minutes over the spring and autumn DST changes: 23- and 25-hour days.
	spring := every(time.Date(2021, 3, 27, 23, 0, 0, 0, time.UTC), time.Date(2021, 3, 28, 22, 0, 0, 0, time.UTC), 30*time.Minute, up)
	autumn := every(time.Date(2021, 10, 30, 22, 0, 0, 0, time.UTC), time.Date(2021, 10, 31, 23, 0, 0, 0, time.UTC), 30*time.Minute, up)
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
}

func TestChecks_UptimeAndRetention(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	now := time.Date(2021, 6, 15, 12, 0, 0, 0, time.UTC)
	// Ten days at a 30 s interval, down for one hour a day.
	checks := every(now.Add(-10*24*time.Hour), now, 30*time.Second, func(t time.Time) string {
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
	t.Logf("history after 10 days at 30 s, pruned: %d raw, %d hourly, %d daily rows; a year is bounded by retention: 5,760 raw, 2,160 hourly, ≤ 400 daily", raw, hourly, daily)
}

func TestIncidents_OpenedOnceResolvedOnRecovery(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	at := time.Date(2021, 6, 15, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		if err := db.OpenAutomaticIncident(ctx, "national", "Störung", "keine Antwort", at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := db.Incidents(ctx, at.Add(-time.Hour))
	if err != nil || len(ins) != 1 || ins[0].State != data.IncidentInvestigating || len(ins[0].Updates) != 1 {
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
}
