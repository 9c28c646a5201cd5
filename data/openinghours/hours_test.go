package openinghours_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
)

func berlinTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParse(t testing.TB, value string) *openinghours.Hours {
	t.Helper()
	h, err := openinghours.Parse(value)
	if err != nil {
		t.Fatalf("%q: %v", value, err)
	}
	return h
}

// noHolidays knows no holidays.
var noHolidays = holidayFunc(func(int, time.Month, int) (string, bool) { return "", false })

// everyThirdDay has a holiday on every day of the year divisible by three.
var everyThirdDay = holidayFunc(func(y int, m time.Month, d int) (string, bool) {
	return "Feiertag", time.Date(y, m, d, 0, 0, 0, 0, time.UTC).YearDay()%3 == 0
})

// holidayFunc makes a func Holidays; a pointer, as Holidays must be comparable.
func holidayFunc(f func(int, time.Month, int) (string, bool)) *funcHolidays { return &funcHolidays{f} }

type funcHolidays struct {
	f func(int, time.Month, int) (string, bool)
}

func (h *funcHolidays) Holiday(y int, m time.Month, d int) (string, bool) { return h.f(y, m, d) }

// want reads "open until 18:30", "closed until 2021-06-21 08:00", "unknown", "open", with
// the next state after "→" when it is not the other of open and closed.
func checkStatus(t *testing.T, value, at string, holidays openinghours.Holidays, want string) {
	t.Helper()
	st := mustParse(t, value).At(berlinTime(t, at), holidays)
	got := st.State.String()
	if !st.Until.IsZero() {
		until := st.Until.In(berlin)
		layout := "15:04"
		if until.Format(time.DateOnly) != berlinTime(t, at).Format(time.DateOnly) {
			layout = "2006-01-02 15:04"
		}
		got += " until " + until.Format(layout)
		if st.Next == openinghours.Unknown || st.State == openinghours.Unknown {
			got += " → " + st.Next.String()
		}
	}
	if st.Comment != "" {
		got += " " + `"` + st.Comment + `"`
	}
	if got != want {
		t.Errorf("%q at %s: %s, want %s", value, at, got, want)
	}
}

func TestHours_At(t *testing.T) {
	// 2021-06-14 was a Monday.
	for _, tt := range []struct{ hours, at, want string }{
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-14 08:00", "open until 18:30"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-14 18:30", "closed until 2021-06-15 08:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-14 07:59", "closed until 08:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-19 12:59", "open until 13:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2021-06-20 10:00", "closed until 2021-06-21 08:00"},
		{"Mo-Fr 08:00-13:00,14:30-18:30; Sa 08:30-12:30", "2021-06-15 13:30", "closed until 14:30"},
		{"Mo-Fr 08:00-13:00,14:30-18:30; Sa 08:30-12:30", "2021-06-15 14:30", "open until 18:30"},
		{"Mo,Tu,Th,Fr 08:00-18:00; We 08:00-13:00; Sa 08:30-12:30", "2021-06-16 14:00", "closed until 2021-06-17 08:00"},
		{"24/7", "2021-06-20 03:00", "open"},
		{"Mo-Fr 00:00-24:00", "2021-06-16 12:00", "open until 2021-06-19 00:00"},
		{"Mo-Su 08:00-20:00; Su off", "2021-06-20 10:00", "closed until 2021-06-21 08:00"},
		{"Fr-Mo 10:00-12:00", "2021-06-20 11:00", "open until 12:00"},
		{"Fr-Mo 10:00-12:00", "2021-06-16 11:00", "closed until 2021-06-18 10:00"},
		{"Sa 20:00-02:00", "2021-06-20 01:30", "open until 02:00"},
		{"Sa 20:00-02:00", "2021-06-20 02:00", "closed until 2021-06-26 20:00"},
		{"08:00-20:00", "2021-06-20 19:00", "open until 20:00"},
		{"Mo-Fr 08:00-24:00", "2021-06-14 23:59", "open until 2021-06-15 00:00"},
		{"Mo-Fr 08:00-24:00; Tu 00:00-02:00", "2021-06-14 23:59", "open until 2021-06-15 02:00"},
		{"off", "2021-06-14 10:00", "closed"},
		// Summer and winter time: the wall clock in Berlin decides.
		{"Mo-Fr 08:00-18:30", "2021-12-13 08:15", "open until 18:30"},
		// The grammar beyond weekdays.
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00; Dec 24 08:00-12:00; Dec 25,26 off", "2026-12-24 11:00", "open until 12:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00; Dec 24 08:00-12:00; Dec 25,26 off", "2026-12-24 13:00", "closed until 2026-12-28 08:00"},
		{"Mo-Fr 08:00-18:00; 2026 Dec 21-2027 Jan 03 off", "2026-12-18 17:00", "open until 18:00"},
		{"Mo-Fr 08:00-18:00; 2026 Dec 21-2027 Jan 03 off", "2026-12-18 18:00", "closed until 2027-01-04 08:00"},
		{"Mo-Fr 08:00-18:00; Dec 21-Jan 03 off", "2027-01-01 10:00", "closed until 2027-01-04 08:00"},
		{"Mo-Fr 08:00-18:00 open", "2026-12-01 10:00", "open until 18:00"},
		{"Dec We 08:00-12:00", "2026-11-30 10:00", "closed until 2026-12-02 08:00"},
		{"Jan-Nov Mo-Fr 08:00-18:30; Dec Mo-Fr 08:00-20:00", "2026-12-01 19:00", "open until 20:00"},
		{"week 01-53/2 Sa 09:00-12:00; Mo-Fr 08:00-18:00", "2026-01-03 10:00", "open until 12:00"}, // week 1
		{"week 01-53/2 Sa 09:00-12:00; Mo-Fr 08:00-18:00", "2026-01-10 10:00", "closed until 2026-01-12 08:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00 || \"nach Vereinbarung\"", "2026-12-06 10:00", `unknown until 2026-12-07 08:00 → open "nach Vereinbarung"`},
		{"Mo-Fr 08:00-18:00; Th[1] 08:00-20:00", "2026-12-03 19:00", "open until 20:00"},
		{"Mo-Fr 08:00-18:00; Th[-1] off", "2026-12-31 10:00", "closed until 2027-01-01 08:00"},
		{"Mo-Fr 08:00-18:00; Su[2,4] 10:00-12:00", "2026-12-13 11:00", "open until 12:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-18:00+", "2026-12-05 17:00", "open until 18:00 → unknown"},
		{"Mo-Fr 08:00-18:00; Fr 18:00-26:00", "2026-12-05 01:00", "open until 02:00"},
		{"Mo-Fr 08:00-18:00; Sa 09:00-12:00 unknown \"Samstags wechselnd\"", "2026-12-05 10:00", `unknown until 12:00 → closed "Samstags wechselnd"`},
		{"Mo-Fr 08:00-18:00; easter -2 days off", "2026-04-03 10:00", "closed until 2026-04-06 08:00"},
		{"Mo-Fr 08:00-18:00; 2026 Jul 13-31 off", "2026-07-20 10:00", "closed until 2026-08-03 08:00"},
		{"Mo-Fr 08:00-18:00; Sa 08:00-13:00; week 53 off", "2026-12-28 10:00", "closed until 2027-01-04 08:00"},
		{"2026 Mo-Fr 08:00-18:00", "2027-03-01 10:00", "closed"},
		{"Mo-Fr 08:00-18:00 \"Botendienst ab 14 Uhr\"", "2026-12-01 10:00", `unknown until 18:00 → closed "Botendienst ab 14 Uhr"`},
		{"Mo-Fr 08:00-18:00, We 08:00-13:00", "2026-12-02 15:00", "open until 18:00"},
		{"Mo-Fr 08:00-18:00; We 14:00-18:00 off", "2026-12-02 15:00", "closed until 2026-12-03 08:00"},
	} {
		checkStatus(t, tt.hours, tt.at, noHolidays, tt.want)
	}
}

// Public holidays of the pharmacy's Land, with OSM's order of rules: a PH rule holds on a
// holiday unless a later rule selects it; without one a holiday is a weekday.
func TestHours_PublicHolidays(t *testing.T) {
	const hours = "Mo-Fr 08:00-18:00; Sa 09:00-13:00; PH off"
	for _, tt := range []struct{ hours, state, at, want string }{
		{hours, "Hamburg", "2027-01-01 10:00", `closed until 2027-01-02 09:00 "Neujahrstag"`}, // a Friday
		{hours, "Hamburg", "2027-01-04 10:00", "open until 18:00"},
		{hours, "Bayern", "2027-03-26 10:00", `closed until 2027-03-27 09:00 "Karfreitag"`},
		{hours, "Bayern", "2027-05-27 10:00", `closed until 2027-05-28 08:00 "Fronleichnam"`},
		{hours, "Niedersachsen", "2027-05-27 10:00", "open until 18:00"}, // not in Niedersachsen
		{hours, "Sachsen", "2026-11-18 10:00", `closed until 2026-11-19 08:00 "Buß- und Bettag"`},
		{hours, "Berlin", "2026-11-18 10:00", "open until 18:00"},
		{hours, "Berlin", "2027-03-08 10:00", `closed until 2027-03-09 08:00 "Frauentag"`},
		{hours, "Mecklenburg-Vorpommern", "2027-03-08 10:00", `closed until 2027-03-09 08:00 "Frauentag"`},
		{hours, "Hessen", "2027-03-08 10:00", "open until 18:00"},
		{hours, "", "2027-05-17 10:00", `closed until 2027-05-18 08:00 "Pfingstmontag"`}, // an unknown Land: the nine of all
		{"Mo-Fr 08:00-18:00", "Berlin", "2027-05-17 10:00", "open until 18:00"},
		{"PH off; Mo-Fr 08:00-18:00", "Berlin", "2027-05-17 10:00", "open until 18:00"}, // a later rule wins
		{"Mo-Fr 08:00-18:00; PH 10:00-12:00", "Berlin", "2027-05-17 11:00", `open until 12:00 "Pfingstmontag"`},
		{"Mo-Fr 08:00-18:00; PH 10:00-12:00", "Berlin", "2027-05-17 14:00", "closed until 2027-05-18 08:00"},
		{"Mo-Fr,PH 09:00-13:00", "Berlin", "2027-05-17 10:00", `open until 13:00 "Pfingstmontag"`},
		{"Su,PH 09:00-13:00", "Berlin", "2027-05-18 10:00", "closed until 2027-05-23 09:00"},
		{"24/7; PH off", "Berlin", "2027-05-16 10:00", "open until 2027-05-17 00:00"},
		{"Sa 20:00-02:00; PH off", "Berlin", "2027-05-16 01:00", "open until 02:00"},
		{"Mo-Fr 08:00-18:00; SH off", "Sachsen", "2026-12-05 10:00", "closed until 2026-12-07 08:00 → unknown"},
		// Easter and Whit Sunday are holidays in Brandenburg (the library lacks them).
		{"Mo-Su 08:00-18:00; PH off", "Brandenburg", "2026-04-05 10:00", `closed until 2026-04-07 08:00 "Ostersonntag"`},
		{"Mo-Su 08:00-18:00; PH off", "Brandenburg", "2026-04-04 19:00", "closed until 2026-04-07 08:00"},
		{"Mo-Su 08:00-18:00; PH off", "Berlin", "2026-04-05 10:00", "open until 18:00"},
		// Mariä Himmelfahrt is a holiday in Bavaria's Catholic communes only: unknown where PH
		// would change the day, known where it would not.
		{"Mo-Su 08:00-18:00; PH off", "Bayern", "2026-08-15 10:00", "unknown until 18:00 → closed"},
		{"Mo-Su 08:00-18:00; PH off", "Bayern", "2026-08-15 07:00", "closed until 08:00 → unknown"},
		{"Mo-Su 08:00-18:00", "Bayern", "2026-08-15 10:00", "open until 18:00"},
		{"Mo-Fr 08:00-18:00; SH off", "Sachsen", "2026-12-07 10:00", "unknown until 18:00 → closed"},
	} {
		checkStatus(t, tt.hours, tt.at, data.HolidaysIn(tt.state), tt.want)
	}
}

func TestParse_RefusesWhatItCannotRead(t *testing.T) {
	for _, s := range []string{
		"", "nach Vereinbarung", "Mo-Fr 9-18", "Mo-Fr 08:00-18:00 Uhr", "Mo-Fr 08.00 bis 18.00",
		"(sunrise+01:00)-18:00", "Mo[1] +2 days 10:00-12:00", "PH +1 day off", "10:00-12:00/30",
		"2026 Jul 13-Jul 31 off", "Feb 30 off", "Apr 31 off", "Mo-Fr 25:00-26:00", "Mo-Fr 08:00-08:60",
		"Mo-Fr 08:00-50:00", "07:00+,12:00-16:00", "Mo[0] 10:00-12:00", "Mo[6] 10:00-12:00",
		"week 00 off", "week 54 off", "week 10-05 off", "week 01-53/1 off", "2027-2026 off",
		"Mo-Fr 08:00-18:00 open closed", `Mo "unclosed`, "2026/0 off", "2026-2030/0 off", "Mo 10:00-12:00 || || off",
		"Mo 10:00-12:00 ;|| off", "Dec Su[2,4] 10:00-12:00", "Mar Tu[1-2] off", "2026 Dec 24,31 off", "2026 Dec 24-26,31 off",
		"2026 easter off", "2026 easter -2 days off", "easter -100 days off", "easter +250 days off", `Mo ""`, "Mo-Fr 08:00", "|| off", ";;",
		strings.Repeat("Mo 08:00-09:00,", 40) + "Mo 10:00-11:00", strings.Repeat("Mo off; ", 49) + "Mo off",
	} {
		if h, err := openinghours.Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted it", s)
		} else if h != nil {
			t.Errorf("Parse(%q) returned hours beside its error", s)
		}
	}
	var unreadable *openinghours.Hours
	if st := unreadable.At(time.Now(), noHolidays); st.State != openinghours.Unknown {
		t.Errorf("unreadable hours say %s", st.State)
	}
}

// On the days the clocks change an opening still ends at its clock time: the day has 23 or
// 25 hours, so the end is not midnight plus hours; where 02:00 comes twice, it is the first.
// (Before, "geöffnet bis" said 13:00 for 12:00 on 29 March 2026, found by the reference.)
func TestHours_EndAtTheClockTimeWhenTheClocksChange(t *testing.T) {
	for _, c := range []struct {
		hours     string
		at, until time.Time
	}{
		{"Su 10:00-12:00", time.Date(2026, 3, 29, 10, 30, 0, 0, berlin), time.Date(2026, 3, 29, 12, 0, 0, 0, berlin)},
		{"Su 10:00-12:00", time.Date(2026, 10, 25, 10, 30, 0, 0, berlin), time.Date(2026, 10, 25, 12, 0, 0, 0, berlin)},
		{"Fr-Sa 18:00-02:00", time.Date(2026, 10, 24, 23, 0, 0, 0, berlin), time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)}, // 02:00 CEST
		{"Mo-Su 22:00-06:00", time.Date(2026, 3, 28, 23, 0, 0, 0, berlin), time.Date(2026, 3, 29, 6, 0, 0, 0, berlin)},
		{"Sa-Su", time.Date(2026, 3, 28, 10, 0, 0, 0, berlin), time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)},
		// An opening within the hour the clock skips never comes; the next one does.
		{"Su 02:00-03:00; Mo-Su 00:00-01:00", time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), time.Date(2026, 3, 29, 1, 0, 0, 0, berlin)},
		// In the second 02:30 of 25 October the change at 02:45 is the second 02:45.
		{"Su 00:00-02:45", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 45, 0, 0, time.UTC)},
	} {
		st := mustParse(t, c.hours).At(c.at, noHolidays)
		if st.State != openinghours.Open || !st.Until.Equal(c.until) {
			t.Errorf("%q at %s: %s until %s, want open until %s", c.hours, c.at, st.State, st.Until, c.until)
		}
	}
	st := mustParse(t, "Su 02:00-03:00").At(time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), noHolidays)
	if want := time.Date(2026, 4, 5, 2, 0, 0, 0, berlin); st.State != openinghours.Closed || !st.Until.Equal(want) {
		t.Errorf("the skipped hour: %s until %s, want closed until %s", st.State, st.Until, want)
	}
}

// The week view is the coming days by date, with date rules and holidays applied, and an
// opening past midnight on the day it begins.
func TestHours_Days(t *testing.T) {
	h := mustParse(t, "Mo-Fr 08:00-18:00; Sa 09:00-12:00; Dec 24 08:00-12:00; Dec 25,26 off; Su 22:00-02:00; Sa 18:00+")
	days := h.Days(berlinTime(t, "2026-12-21 15:00"), 7, data.HolidaysIn("Sachsen"))
	var got []string
	for _, d := range days {
		line := d.Date.Format("Mon 02.01.")
		if d.Holiday != "" {
			line += " (" + d.Holiday + ")"
		}
		for _, iv := range d.Intervals {
			line += " " + iv.State.String() + fmt.Sprintf(" %02d:%02d-%02d:%02d", iv.Start/60, iv.Start%60, iv.End/60, iv.End%60)
		}
		got = append(got, line)
	}
	want := []string{
		"Mon 21.12. open 00:00-02:00 open 08:00-18:00", // Sunday's night, continued
		"Tue 22.12. open 08:00-18:00",
		"Wed 23.12. open 08:00-18:00",
		"Thu 24.12. open 08:00-12:00",
		"Fri 25.12. (Weihnachtstag)",
		"Sat 26.12. (Zweiter Weihnachtsfeiertag) unknown 18:00-28:00", // a later rule: Sa 18:00+
		"Sun 27.12. open 22:00-26:00",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the week:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A whole day open is its own; the next day's hours from midnight are the next day's.
	for _, c := range []struct{ hours, from, want string }{
		{"Mo-Th 08:00-18:00; Fr 08:00-24:00; Sa 00:00-24:00; Su 00:00-08:00", "2026-12-11 10:00", "08:00-24:00|00:00-24:00|00:00-08:00"},
		{"Mo-Su 00:00-24:00; Dec 24 00:00-14:00", "2026-12-23 10:00", "00:00-24:00|00:00-14:00|00:00-24:00"},
	} {
		var rows []string
		for _, d := range mustParse(t, c.hours).Days(berlinTime(t, c.from), 3, noHolidays) {
			row := ""
			for _, iv := range d.Intervals {
				row += fmt.Sprintf("%02d:%02d-%02d:%02d", iv.Start/60, iv.Start%60, iv.End/60, iv.End%60)
			}
			rows = append(rows, row)
		}
		if got := strings.Join(rows, "|"); got != c.want {
			t.Errorf("%q from %s: %s, want %s", c.hours, c.from, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range corpusSeeds {
		f.Add(s)
	}
	at := time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC) // before the spring change
	f.Fuzz(func(t *testing.T, s string) {
		h, err := openinghours.Parse(s)
		if err != nil {
			if h != nil {
				t.Fatalf("%q: hours beside the error %v", s, err)
			}
			return
		}
		for i := range 24 * 9 {
			now := at.Add(time.Duration(i) * 37 * time.Minute)
			st := h.At(now, everyThirdDay)
			if st.State > openinghours.Unknown || !st.Until.IsZero() && (!st.Until.After(now) || st.Next == st.State) {
				t.Fatalf("%q at %s: %+v", s, now, st)
			}
		}
		for _, d := range h.Days(at, 8, everyThirdDay) {
			end := -1
			for _, iv := range d.Intervals {
				if iv.Start < 0 || iv.Start >= 1440 || iv.End <= iv.Start || iv.End > 2880 || iv.Start < end || iv.State == openinghours.Closed {
					t.Fatalf("%q on %s: intervals %+v", s, d.Date, d.Intervals)
				}
				end = iv.End
			}
		}
	})
}

var corpusSeeds = []string{
	"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "24/7", "Sa 20:00-02:00", "Su,PH off", "Fr-Mo 10:00-12:00,14:00-16:00",
	"off", "PH 10:00-12:00; Mo-Fr 08:00-18:00", "Mo-Fr,PH 09:00-13:00; Sa off",
	"Mo-Fr 08:00-18:00; 2026 Dec 21-2027 Jan 03 off", "Dec 24,31 08:00-12:00; Dec 25,26 off",
	"Jan-Nov Mo-Fr 08:00-18:30; Dec We 08:00-12:00", "week 01-53/2 Sa 09:00-12:00", "Th[-1] off; Su[2,4] 10:00-12:00",
	`Mo-Fr 08:00-18:00 || "nach Vereinbarung"`, "Mo-Fr 08:00-18:00, We 08:00-13:00", "Sa 08:30-18:00+",
	"Mo-Su 18:00-26:00", "easter -2 days off", "2025-2027 Mo-Fr 08:00-18:00", "SH Mo-Fr 08:00-13:00",
	"Mo-Fr 08:00-18:00; Sa sunrise-12:00", `Sa 09:00-12:00 unknown "wechselnd"`, "Feb 01-29 off; Feb 29 09:00-12:00",
}

// What At remembers of still days (per Holidays) never changes its answer: one Hours asked
// for two Länder in turn, at instants out of order, answers as a fresh one does.
func TestHours_RememberedStillDaysChangeNoAnswer(t *testing.T) {
	lands := []openinghours.Holidays{data.HolidaysIn("Sachsen"), data.HolidaysIn("Bayern")}
	for _, v := range append(corpusSeeds, "Mo-Su,PH 00:00-24:00", "Dec We 08:00-12:00", "2026 Mo-Fr 08:00-18:00", "Mo-Su 00:00-24:00; Dec 24 off", "Nov 18 off; Mo-Su,PH 00:00-24:00") {
		shared := mustParse(t, v)
		for i := range 3000 {
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, berlin).Add(time.Duration((i*7919)%(24*400)) * time.Hour)
			land := lands[i%2]
			if got, want := shared.At(at, land), mustParse(t, v).At(at, land); got != want {
				t.Fatalf("%q at %s: %+v, fresh %+v", v, at, got, want)
			}
		}
	}
}
