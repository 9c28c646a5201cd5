package openinghours_test

import (
	"encoding/csv"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/internal/testenv"
)

// A page of 100 results: each pharmacy's state, comment and next change at one instant,
// from hours parsed once, with the Land's holidays; over the corpus's values (weekly ones
// and ones with dates, holidays, weeks and fallbacks) and the hours of the day.
func BenchmarkHours_At100(b *testing.B) {
	values := corpus(b)
	benchmarkPage(b, func(i int) string { return values[i%len(values)] })
}

// benchmarkPage evaluates 100 pharmacies' hours (value(i) for the i-th), parsed once, from
// 21 December 2026 on, an hour later in each round, for two weeks over Christmas.
func benchmarkPage(b *testing.B, value func(i int) string) {
	hours := make([]*openinghours.Hours, 100)
	for i := range hours {
		hours[i], _ = openinghours.Parse(value(i))
	}
	holidays := data.HolidaysIn("Sachsen")
	at := time.Date(2026, 12, 21, 9, 0, 0, 0, berlin)
	b.ResetTimer()
	for i := range b.N {
		now := at.Add(time.Duration(i%(24*14)) * time.Hour)
		for _, h := range hours {
			h.At(now, holidays)
		}
	}
}

// Parsing a value, as a pharmacy's change or import costs it.
func BenchmarkParse(b *testing.B) {
	values := corpus(b)
	b.ResetTimer()
	for i := range b.N {
		openinghours.Parse(values[i%len(values)])
	}
}

// The same page from the registry's pharmacies (../shared/data): the weekly values most
// pharmacies have.
func BenchmarkHours_At100Registry(b *testing.B) {
	values := registryHours(b, 100)
	benchmarkPage(b, func(i int) string { return values[i] })
}

// registryHours are the opening hours of the registry's first n pharmacies.
func registryHours(b *testing.B, n int) []string {
	f, err := os.Open(testenv.SharedData(b, "pharmacies_de.csv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) <= n {
		b.Fatalf("registry: %d rows, %v", len(rows), err)
	}
	column := slices.Index(rows[0], "opening_hours")
	values := make([]string, n)
	for i := range values {
		values[i] = rows[1+i*(len(rows)-1)/n][column]
	}
	return values
}
