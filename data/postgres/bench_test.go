package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/sqlite"
	"github.com/apoportal/apoportal/internal/fixture"
)

// engines are the stores the benchmarks compare: SQLite, the embedded default, is the
// baseline measured in the same run.
var engines = []struct {
	name string
	open func(b *testing.B) data.Store
}{
	{"sqlite", func(b *testing.B) data.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}},
	{"postgres", func(b *testing.B) data.Store { return mustOpen(b, nil) }},
}

// BenchmarkImportRegistry imports the shared registry (18,666 pharmacies) into an empty store.
func BenchmarkImportRegistry(b *testing.B) {
	ps, _ := fixture.SharedRegistry(b)
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db := e.open(b)
				b.StartTimer()
				if sum, err := db.UpsertPharmacies(context.Background(), ps); err != nil || sum.Inserted != len(ps) {
					b.Fatalf("%+v, %v", sum, err)
				}
			}
		})
	}
}

// BenchmarkSwitches_8Writers is eight pharmacies' software switching at once, each its own
// pharmacy, as fast as the store acknowledges: writes per second and the p99 of one switch.
func BenchmarkSwitches_8Writers(b *testing.B) {
	ps, _ := fixture.SharedRegistry(b)
	const writers = 8
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			if _, err := db.UpsertPharmacies(context.Background(), ps); err != nil {
				b.Fatal(err)
			}
			latencies := make([][]time.Duration, writers)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					actor := data.Actor{Name: fmt.Sprintf("token %d", w), Source: "192.0.2.1"}
					for i := w; i < b.N; i += writers {
						at := time.Now()
						if err := db.ChangeParticipation(context.Background(), ps[w].ID, data.Participation{Participating: i%2 == 0, Note: fmt.Sprint(i)}, actor); err != nil {
							b.Error(err)
							return
						}
						latencies[w] = append(latencies[w], time.Since(at))
					}
				}()
			}
			wg.Wait()
			took := time.Since(start)
			all := slices.Concat(latencies...)
			slices.Sort(all)
			b.ReportMetric(float64(len(all))/took.Seconds(), "writes/s")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
