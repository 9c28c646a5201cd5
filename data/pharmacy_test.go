package data

import (
	"testing"
	"time"

	"github.com/rickar/cal/v2/de"
)

func TestParticipation_Status(t *testing.T) {
	now := time.Date(2021, 6, 17, 9, 0, 0, 0, time.UTC)
	hourAgo, weekAgo, later := now.Add(-time.Hour), now.Add(-7*24*time.Hour), now.Add(time.Hour)
	for _, tt := range []struct {
		p      Participation
		maxAge time.Duration
		want   CertificateStatus
	}{
		{Participation{}, 0, CertificatesInactive},
		{Participation{Participating: true}, 0, CertificatesActive},
		{Participation{Participating: true}, 72 * time.Hour, CertificatesUnconfirmed},
		{Participation{Participating: true, ConfirmedAt: &hourAgo}, 72 * time.Hour, CertificatesActive},
		{Participation{Participating: true, ConfirmedAt: &weekAgo}, 72 * time.Hour, CertificatesUnconfirmed},
		{Participation{Participating: true, PausedUntil: &later, ConfirmedAt: &weekAgo}, 72 * time.Hour, CertificatesPaused},
		{Participation{Participating: true, PausedUntil: &hourAgo, ConfirmedAt: &hourAgo}, 72 * time.Hour, CertificatesActive},
		{Participation{Participating: false, ConfirmedAt: &weekAgo}, 72 * time.Hour, CertificatesInactive},
	} {
		if got := tt.p.Status(now, tt.maxAge); got != tt.want {
			t.Errorf("%+v with max age %v: %s, want %s", tt.p, tt.maxAge, got, tt.want)
		}
	}
}

// The Land's public holidays, as opening hours ask for them: from the table of the years
// most asked and computed beyond it, the same.
func TestHolidaysIn(t *testing.T) {
	if name, ok := PublicHoliday("Sachsen", time.Date(2026, 11, 18, 23, 30, 0, 0, berlin)); !ok || name != "Buß- und Bettag" {
		t.Errorf("Buß- und Bettag: %q %v", name, ok)
	}
	if _, ok := PublicHoliday("Berlin", time.Date(2026, 11, 18, 12, 0, 0, 0, berlin)); ok {
		t.Error("Buß- und Bettag in Berlin")
	}
	for _, state := range []string{"Sachsen", "Bayern", "Berlin", "Mecklenburg-Vorpommern", "", "Atlantis"} {
		on := HolidaysIn(state)
		for day := time.Date(tableFrom-1, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() <= tableTo; day = day.AddDate(0, 0, 1) {
			list, ok := holidaysByState[state]
			if !ok {
				list = de.Holidays
			}
			wantName, want := holidayOn(list, day.Year(), day.Month(), day.Day())
			if name, got := on.Holiday(day.Year(), day.Month(), day.Day()); got != want || name != wantName {
				t.Fatalf("%q on %s: %q %v, want %q %v", state, day.Format(time.DateOnly), name, got, wantName, want)
			}
		}
	}
}
