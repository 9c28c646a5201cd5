package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data/storetest"
)

// BenchmarkHistoryYear simulates a year of probes of one target at a 30 s interval, pruned
// hourly as the portal does, and reports the history tables' rows and the file's size.
func BenchmarkHistoryYear(b *testing.B) {
	for b.Loop() {
		ctx := context.Background()
		file := filepath.Join(b.TempDir(), "history.db")
		db, err := Open(ctx, file, nil)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
		for hour := start; hour.Before(start.AddDate(1, 0, 0)); hour = hour.Add(time.Hour) {
			checks := storetest.Every(hour, hour.Add(time.Hour), 30*time.Second, func(t time.Time) string {
				if t.Hour() == 3 && t.Day()%7 == 0 {
					return "down"
				}
				return "operational"
			})
			if err := db.RecordChecks(ctx, checks); err != nil {
				b.Fatal(err)
			}
			if err := db.PruneChecks(ctx, hour.Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		raw, hourly, daily, err := db.CheckTableSizes(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.write.ExecContext(ctx, "VACUUM"); err != nil {
			b.Fatal(err)
		}
		db.Close()
		st, err := os.Stat(file)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(raw), "raw-rows")
		b.ReportMetric(float64(hourly), "hourly-rows")
		b.ReportMetric(float64(daily), "daily-rows")
		b.ReportMetric(float64(st.Size())/1e6, "MB")
	}
}
