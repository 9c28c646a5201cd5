package local

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/search"
)

type sliceSource []data.Pharmacy

func (s sliceSource) PharmaciesChangedSince(_ context.Context, seq int64) ([]data.Pharmacy, int64, error) {
	if seq > 0 {
		return nil, seq, nil
	}
	return s, 1, nil
}

// scaled returns the registry grown to factor times its size: copies placed up to ~2 km
// from the original, as a denser country would be.
func scaled(ps []data.Pharmacy, factor int) []data.Pharmacy {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]data.Pharmacy, 0, len(ps)*factor)
	for k := 0; k < factor; k++ {
		for _, p := range ps {
			if k > 0 {
				p.ID = fmt.Sprintf("%d%s", k, p.ID)
				p.Lat += (rng.Float64() - 0.5) * 0.036
				p.Lon += (rng.Float64() - 0.5) * 0.054
			}
			out = append(out, p)
		}
	}
	return out
}

// BenchmarkSearch measures a citizen's search (PLZ centroid, 10 km, issuing only, first 20)
// over postcodes drawn from the gazetteer, at today's registry size and ten times it.
func BenchmarkSearch(b *testing.B) {
	ps, pcs := fixture.SharedRegistry(b)
	now := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	for _, factor := range []int{1, 10} {
		eng := New(sliceSource(scaled(ps, factor)))
		if err := eng.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		b.Run(fmt.Sprintf("pharmacies=%d", eng.Len()), func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				pc := pcs[rng.IntN(len(pcs))]
				q := search.Query{Origin: &search.Point{Lat: pc.Lat, Lon: pc.Lon}, RadiusKm: 10, Certificates: true,
					Limit: 20, Now: now}
				start := time.Now()
				if _, err := eng.Search(context.Background(), q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
