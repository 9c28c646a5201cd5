package data

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Berlin is the time zone opening hours are written in.
var berlin = mustLoadBerlin()

func mustLoadBerlin() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		// The binary embeds time/tzdata, so this only fails in a broken build.
		panic(fmt.Sprintf("load Europe/Berlin: %v", err))
	}
	return loc
}

// Berlin returns the Europe/Berlin location.
func Berlin() *time.Location { return berlin }

// Span is an opening interval within a day in minutes after midnight. End may pass 1440
// when a pharmacy is open past midnight.
type Span struct{ Start, End int }

// OpeningHours is a parsed weekly schedule in the subset of the OpenStreetMap opening_hours
// syntax that pharmacies use: "24/7"; rules separated by ";" with an optional weekday
// selector (Mo-Fr, Mo,We, Sa, Su, ranges wrapping the week like Fr-Mo) followed by time
// ranges (08:00-13:00,14:30-18:30, 22:00-02:00 across midnight) or "off"/"closed". A later
// rule replaces earlier ones for the days it names, as in OSM. PH names public holidays
// ("PH off", "PH 10:00-12:00", "Mo-Fr,PH 08:00-12:00"): on a holiday the PH rule holds
// unless a later rule names that weekday (OSM's order: the last rule that matches a day
// wins); without a PH rule a holiday has its weekday's hours. Which days are holidays is
// the caller's (OpenAt's isHoliday: HolidaysIn the pharmacy's Bundesland).
type OpeningHours struct {
	days        [7][]Span // Monday first
	dayRule     [7]int    // which rule (1-based) set each weekday; 0: none
	holiday     []Span    // the PH rule's spans
	holidayRule int       // which rule (1-based) is the last naming PH; 0: none
}

var weekdays = map[string]int{"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}

// DayNames are the German two-letter weekday names, Monday first.
var DayNames = [7]string{"Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"}

// ParseOpeningHours parses s. An empty s is an error: unknown hours are not "closed".
func ParseOpeningHours(s string) (OpeningHours, error) {
	var oh OpeningHours
	s = strings.TrimSpace(s)
	if s == "" {
		return oh, fmt.Errorf("no opening hours")
	}
	if len(s) > 500 {
		return oh, fmt.Errorf("opening hours longer than 500 characters")
	}
	for i, rule := range strings.Split(s, ";") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		if err := oh.applyRule(rule, i+1); err != nil {
			return OpeningHours{}, fmt.Errorf("rule %q: %w", rule, err)
		}
	}
	return oh, nil
}

// applyRule applies the n-th rule (1-based).
func (oh *OpeningHours) applyRule(rule string, n int) error {
	if rule == "24/7" {
		for d := range oh.days {
			oh.days[d], oh.dayRule[d] = []Span{{0, 1440}}, n
		}
		return nil
	}
	days := [7]bool{true, true, true, true, true, true, true}
	holidays := false
	times := rule
	if first, rest, _ := strings.Cut(rule, " "); isDaySelector(first) {
		var err error
		days, holidays, err = parseDays(first)
		if err != nil {
			return err
		}
		times = strings.TrimSpace(rest)
	}
	var spans []Span
	switch strings.ToLower(times) {
	case "off", "closed":
	case "":
		return fmt.Errorf("missing times")
	default:
		var err error
		if spans, err = parseSpans(times); err != nil {
			return err
		}
	}
	for d, on := range days {
		if on {
			oh.days[d], oh.dayRule[d] = spans, n
		}
	}
	if holidays {
		oh.holiday, oh.holidayRule = spans, n
	}
	return nil
}

func isDaySelector(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == ',' || r == '-') {
			return false
		}
	}
	return s != "off" && s != "closed"
}

// parseDays parses "Mo-Fr,Su,PH"; holidays is true when it names PH.
func parseDays(sel string) (days [7]bool, holidays bool, err error) {
	for _, part := range strings.Split(sel, ",") {
		if strings.EqualFold(part, "PH") {
			holidays = true
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdays[strings.ToLower(from)]
		if !ok {
			return days, false, fmt.Errorf("unknown weekday %q", from)
		}
		b := a
		if isRange {
			if b, ok = weekdays[strings.ToLower(to)]; !ok {
				return days, false, fmt.Errorf("unknown weekday %q", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, holidays, nil
}

func parseSpans(s string) ([]Span, error) {
	var spans []Span
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("time range %q has no '-'", part)
		}
		start, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		end, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		if start == 1440 {
			return nil, fmt.Errorf("time range %q starts at 24:00", part)
		}
		if end <= start {
			end += 1440 // open past midnight
		}
		spans = append(spans, Span{start, end})
	}
	return spans, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("time %q is not a time of day", s)
	}
	return hh*60 + mm, nil
}

// spansOn are the openings of the calendar day starting at midnight (weekday wd, 0 = Monday).
func (oh OpeningHours) spansOn(midnight time.Time, wd int, isHoliday func(time.Time) bool) []Span {
	if oh.holidayRule > oh.dayRule[wd] && isHoliday(midnight) {
		return oh.holiday
	}
	return oh.days[wd]
}

// OpenAt reports whether the pharmacy is open at t, and if so until when (in Berlin time):
// the end of the opening that contains t, followed across midnight into the next days
// where they continue it ("24/7" is open a week ahead). isHoliday says which days are
// public holidays where the pharmacy is.
func (oh OpeningHours) OpenAt(t time.Time, isHoliday func(time.Time) bool) (open bool, until time.Time) {
	t = t.In(berlin)
	day := (int(t.Weekday()) + 6) % 7
	minute := t.Hour()*60 + t.Minute()
	on := func(d int) []Span { // d days after t's day
		return oh.spansOn(time.Date(t.Year(), t.Month(), t.Day()+d, 0, 0, 0, 0, berlin), ((day+d)%7+7)%7, isHoliday)
	}
	end := -1
	for _, s := range on(0) {
		if s.Start <= minute && minute < s.End {
			end = s.End
		}
	}
	for _, s := range on(-1) {
		if s.End > 1440 && minute+1440 < s.End {
			end = max(end, s.End-1440)
		}
	}
	if end < 0 {
		return false, time.Time{}
	}
	// Continue into following days while an opening starts when the previous one ends.
	for d := 1; d <= 7 && end >= 1440*d; d++ {
		next := end - 1440*d
		extended := false
		for _, s := range on(d) {
			if s.Start <= next && s.End+1440*d > end {
				end, extended = s.End+1440*d, true
			}
		}
		if !extended {
			break
		}
	}
	// The clock time end minutes after the day began, on the day it falls on: on the days the
	// clocks change a day has 23 or 25 hours, so this is not midnight plus a duration.
	return true, clockTime(t.Year(), t.Month(), t.Day()+end/1440, end%1440)
}

// clockTime is the instant the clock in Berlin shows minute of day m on a day: where the
// clocks go back and the minute comes twice, the first time (as opening_hours.js reads it).
func clockTime(year int, month time.Month, day, m int) time.Time {
	at := time.Date(year, month, day, m/60, m%60, 0, 0, berlin)
	if earlier := at.Add(-time.Hour); earlier.Hour() == at.Hour() && earlier.Minute() == at.Minute() {
		return earlier
	}
	return at
}

// Day returns the spans of weekday d (0 = Monday).
func (oh OpeningHours) Day(d int) []Span { return oh.days[d] }

// Holidays returns the spans of public holidays, and whether a PH rule says them.
func (oh OpeningHours) Holidays() ([]Span, bool) { return oh.holiday, oh.holidayRule > 0 }

// OnHoliday reports whether the PH rule holds on a holiday that falls on weekday d (a
// later rule naming d overrides it).
func (oh OpeningHours) OnHoliday(d int) bool { return oh.holidayRule > oh.dayRule[d] }

// FormatSpan writes a span as "08:00–18:30".
func FormatSpan(s Span) string {
	if s.Start == 0 && s.End == 1440 {
		return "00:00–24:00"
	}
	return fmt.Sprintf("%02d:%02d–%02d:%02d", s.Start/60, s.Start%60, (s.End%1440)/60, s.End%60)
}
