package data

import (
	"testing"
	"time"
)

func berlinTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Berlin())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpeningHours_OpenAt(t *testing.T) {
	// 2021-06-14 was a Monday.
	tests := []struct {
		hours string
		at    string
		open  bool
		until string
	}{
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-14 08:00", true, "18:30"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-14 18:30", false, ""},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-14 07:59", false, ""},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-19 12:59", true, "13:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-20 10:00", false, ""},
		{"Mo-Fr 08:00-13:00,14:30-18:30; Sa 08:30-12:30", "2021-06-15 13:30", false, ""},
		{"Mo-Fr 08:00-13:00,14:30-18:30; Sa 08:30-12:30", "2021-06-15 14:30", true, "18:30"},
		{"Mo,Tu,Th,Fr 08:00-18:00; We 08:00-13:00; Sa 08:30-12:30", "2021-06-16 14:00", false, ""},
		{"Mo,Tu,Th,Fr 08:00-18:00; We 08:00-13:00; Sa 08:30-12:30", "2021-06-17 14:00", true, "18:00"},
		{"24/7", "2021-06-20 03:00", true, "2021-06-28 00:00"},
		{"Mo-Fr 00:00-24:00", "2021-06-16 12:00", true, "2021-06-19 00:00"},
		{"Mo-Su 08:00-20:00; Su off", "2021-06-20 10:00", false, ""},
		{"Fr-Mo 10:00-12:00", "2021-06-20 11:00", true, "12:00"},
		{"Fr-Mo 10:00-12:00", "2021-06-16 11:00", false, ""},
		{"Sa 20:00-02:00", "2021-06-20 01:30", true, "02:00"},
		{"Sa 20:00-02:00", "2021-06-20 02:00", false, ""},
		{"08:00-20:00", "2021-06-20 19:00", true, "20:00"},
		{"Mo-Fr 08:00-24:00", "2021-06-14 23:59", true, "2021-06-15 00:00"},
		{"Mo-Fr 08:00-24:00; Tu 00:00-02:00", "2021-06-14 23:59", true, "2021-06-15 02:00"},
		{"Mo-Sa 08:00-20:00; PH off", "2021-06-19 09:00", true, "20:00"},
		// Summer and winter time: the wall clock in Berlin decides.
		{"Mo-Fr 08:00-18:30", "2021-12-13 08:15", true, "18:30"},
	}
	for _, tt := range tests {
		oh, err := ParseOpeningHours(tt.hours)
		if err != nil {
			t.Fatalf("%q: %v", tt.hours, err)
		}
		at := berlinTime(t, tt.at)
		open, until := oh.OpenAt(at.UTC(), noHolidays)
		if open != tt.open {
			t.Errorf("%q at %s: open = %v, want %v", tt.hours, tt.at, open, tt.open)
		}
		got := until.Format("15:04")
		if len(tt.until) > 5 {
			got = until.Format("2006-01-02 15:04")
		}
		if open && got != tt.until {
			t.Errorf("%q at %s: until %s, want %s", tt.hours, tt.at, got, tt.until)
		}
	}
}

func TestParseOpeningHours_RejectsWhatItCannotRead(t *testing.T) {
	for _, s := range []string{"", "Mo-Fr", "Xx 08:00-12:00", "Mo 8-12", "Mo 25:00-26:00", "Mo 08:00-12:60",
		"Mo 24:00-01:00", "sunrise-sunset", "Mo-Fr 08:00-12:00; Tu"} {
		if _, err := ParseOpeningHours(s); err == nil {
			t.Errorf("ParseOpeningHours(%q) accepted", s)
		}
	}
}

func noHolidays(time.Time) bool { return false }

// everyThirdDay is a calendar with many holidays, for the fuzz target.
func everyThirdDay(t time.Time) bool { return t.YearDay()%3 == 0 }

// Public holidays of the pharmacy's Land, with OSM's order of rules: a PH rule holds on a
// holiday unless a later rule names its weekday; without one a holiday is a weekday.
func TestOpenAt_PublicHolidays(t *testing.T) {
	const hours = "Mo-Fr 08:00-18:00; Sa 09:00-13:00; PH off"
	for _, tt := range []struct {
		hours, state, at string
		open             bool
		until            string
	}{
		{hours, "Hamburg", "2027-01-01 10:00", false, ""},                          // Neujahr, a Friday
		{hours, "Hamburg", "2027-01-04 10:00", true, "18:00"},                      // the Monday after
		{hours, "Bayern", "2027-03-26 10:00", false, ""},                           // Karfreitag
		{hours, "Berlin", "2027-05-17 10:00", false, ""},                           // Pfingstmontag
		{hours, "Bayern", "2027-05-27 10:00", false, ""},                           // Fronleichnam in Bayern
		{hours, "Niedersachsen", "2027-05-27 10:00", true, "18:00"},                // not in Niedersachsen
		{hours, "Niedersachsen", "2026-10-31 10:00", false, ""},                    // Reformationstag, a Saturday
		{hours, "Bayern", "2026-10-31 10:00", true, "13:00"},                       // not in Bayern
		{hours, "Sachsen", "2026-11-18 10:00", false, ""},                          // Buß- und Bettag in Sachsen
		{hours, "Berlin", "2026-11-18 10:00", true, "18:00"},                       // not in Berlin
		{hours, "Berlin", "2027-03-08 10:00", false, ""},                           // Frauentag in Berlin
		{hours, "Mecklenburg-Vorpommern", "2027-03-08 10:00", false, ""},           // and, since 2023, here
		{hours, "Hessen", "2027-03-08 10:00", true, "18:00"},                       // not in Hessen
		{hours, "", "2027-05-17 10:00", false, ""},                                 // an unknown Land: the nine of all
		{"Mo-Fr 08:00-18:00", "Berlin", "2027-05-17 10:00", true, "18:00"},         // no PH rule: a Monday
		{"PH off; Mo-Fr 08:00-18:00", "Berlin", "2027-05-17 10:00", true, "18:00"}, // a later rule wins
		{"Mo-Fr 08:00-18:00; PH 10:00-12:00", "Berlin", "2027-05-17 11:00", true, "12:00"},
		{"Mo-Fr 08:00-18:00; PH 10:00-12:00", "Berlin", "2027-05-17 14:00", false, ""},
		{"Mo-Fr,PH 09:00-13:00", "Berlin", "2027-05-17 10:00", true, "13:00"},
		{"Su,PH 09:00-13:00", "Berlin", "2027-05-18 10:00", false, ""},           // the Tuesday after
		{"24/7; PH off", "Berlin", "2027-05-16 10:00", true, "2027-05-17 00:00"}, // open until the holiday begins
		{"Sa 20:00-02:00; PH off", "Berlin", "2027-05-16 01:00", true, "02:00"},  // Saturday's night, before it
	} {
		oh, err := ParseOpeningHours(tt.hours)
		if err != nil {
			t.Fatalf("%q: %v", tt.hours, err)
		}
		open, until := oh.OpenAt(berlinTime(t, tt.at), HolidaysIn(tt.state))
		got := until.Format("15:04")
		if len(tt.until) > 5 {
			got = until.Format("2006-01-02 15:04")
		}
		if open != tt.open || open && got != tt.until {
			t.Errorf("%q in %q at %s: open %v until %s, want %v %s", tt.hours, tt.state, tt.at, open, got, tt.open, tt.until)
		}
	}
	if name, ok := PublicHoliday("Sachsen", berlinTime(t, "2026-11-18 23:30")); !ok || name != "Buß- und Bettag" {
		t.Errorf("Buß- und Bettag: %q %v", name, ok)
	}
}

func FuzzParseOpeningHours(f *testing.F) {
	for _, s := range []string{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "24/7", "Mo,Tu,Th,Fr 08:00-18:00; We 08:00-13:00",
		"Sa 20:00-02:00", "Su,PH off", "Fr-Mo 10:00-12:00,14:00-16:00", "off", "Mo-Fr 08:00-18:00; PH off",
		"PH 10:00-12:00; Mo-Fr 08:00-18:00", "24/7; PH 20:00-02:00", "Mo-Fr,PH 09:00-13:00; Sa off"} {
		f.Add(s)
	}
	at := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		oh, err := ParseOpeningHours(s)
		if err != nil {
			return
		}
		for d := 0; d < 7; d++ {
			for _, sp := range oh.Day(d) {
				if sp.Start < 0 || sp.Start >= 1440 || sp.End <= sp.Start || sp.End > 2880 {
					t.Fatalf("%q: day %d has span %+v", s, d, sp)
				}
			}
		}
		for h := 0; h < 24*7; h++ {
			if open, until := oh.OpenAt(at.Add(time.Duration(h)*time.Hour), everyThirdDay); open && !until.After(at.Add(time.Duration(h)*time.Hour)) {
				t.Fatalf("%q: open at +%dh until %v, not after", s, h, until)
			}
		}
	})
}

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

// On the days the clocks change an opening still ends at its clock time: the day has 23 or
// 25 hours, so the end is not midnight plus hours; where 02:00 comes twice, it is the first.
// (Before, "geöffnet bis" said 13:00 for 12:00 on 29 March 2026, found by the reference.)
func TestOpenAt_EndsAtTheClockTimeWhenTheClocksChange(t *testing.T) {
	for _, c := range []struct {
		hours string
		at    time.Time
		until time.Time
	}{
		{"Su 10:00-12:00", time.Date(2026, 3, 29, 10, 30, 0, 0, berlin), time.Date(2026, 3, 29, 12, 0, 0, 0, berlin)},
		{"Su 10:00-12:00", time.Date(2026, 10, 25, 10, 30, 0, 0, berlin), time.Date(2026, 10, 25, 12, 0, 0, 0, berlin)},
		{"Fr-Sa 18:00-02:00", time.Date(2026, 10, 24, 23, 0, 0, 0, berlin), time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)}, // 02:00 CEST
		{"Mo-Su 22:00-06:00", time.Date(2026, 3, 28, 23, 0, 0, 0, berlin), time.Date(2026, 3, 29, 6, 0, 0, 0, berlin)},
	} {
		oh, err := ParseOpeningHours(c.hours)
		if err != nil {
			t.Fatal(err)
		}
		open, until := oh.OpenAt(c.at, func(time.Time) bool { return false })
		if !open || !until.Equal(c.until) {
			t.Errorf("%q at %s: open %t until %s, want until %s", c.hours, c.at, open, until, c.until)
		}
	}
}
