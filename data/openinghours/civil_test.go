package openinghours

import (
	"testing"
	"time"
)

// The day arithmetic against the standard library's, for every day from 1900 to 2200.
func TestCivil_AgreesWithTime(t *testing.T) {
	walked := civilOf(int(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400))
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2200; d = d.AddDate(0, 0, 1) {
		n := int(d.Unix() / 86400)
		if got := daysFromCivil(d.Year(), d.Month(), d.Day()); got != n {
			t.Fatalf("daysFromCivil(%s) = %d, want %d", d.Format(time.DateOnly), got, n)
		}
		c := civilOf(n)
		if walked != c {
			t.Fatalf("the day after the day before %s is %+v, want %+v", d.Format(time.DateOnly), walked, c)
		}
		walked = walked.next()
		_, week := d.ISOWeek()
		last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if c.year != d.Year() || c.month != d.Month() || c.day != d.Day() || c.weekday != d.Weekday() || c.week != week || c.lastDay != last {
			t.Fatalf("civilOf(%s) = %+v", d.Format(time.DateOnly), c)
		}
	}
	if got, want := daysFromCivil(2026, time.April, 5+49), daysFromCivil(2026, time.May, 24); got != want {
		t.Errorf("days carry over the month: %d, want %d", got, want)
	}
	for year, want := range map[int]string{2024: "03-31", 2025: "04-20", 2026: "04-05", 2027: "03-28", 2038: "04-25", 2285: "03-22"} {
		if m, d := easter(year); time.Date(year, m, d, 0, 0, 0, 0, time.UTC).Format("01-02") != want {
			t.Errorf("Easter %d: %s %d, want %s", year, m, d, want)
		}
	}
}
