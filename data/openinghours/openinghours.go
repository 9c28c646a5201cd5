// Package openinghours reads OpenStreetMap opening_hours values and says, for an instant,
// whether a pharmacy is open, closed or unknown, with its comment and when that next
// changes, as opening_hours.js (the OSM community's reference evaluator) does.
//
// The grammar is the one real data uses: rules separated by ";" (each replaces the rules
// before it on the days it selects), "," (additional rules) and "||" (fallback rules);
// weekdays, ranges and lists (Mo-Fr, Fr-Mo, Mo,We), the n-th weekday of the month (Th[1],
// Th[-1], Su[2,4]), months (Dec, Oct-Mar), dates and date ranges (Dec 24, Dec 25,26,
// Jul 13-31, Dec 21-Jan 03, 2026 Dec 21-2027 Jan 03, easter -2 days), years (2026,
// 2025-2027, 2026+), ISO weeks (week 01-53/2), public holidays (PH, with the Land's holidays
// the caller knows) and school holidays (SH: not known, so unknown wherever they would
// change the answer); times with one-digit hours, 24:00, past midnight (22:00-02:00,
// 18:00-26:00) and open ends (18:00+, unknown after 18:00); the modifiers open, closed, off
// and unknown; comments; 24/7. Times of the sun (sunrise) make the days they apply to
// unknown. Anything else is an error, so that a caller says "unknown" instead of guessing.
package openinghours

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

const minutesInDay = 24 * 60

// maxRules bounds the rules of a value (with the parts after midnight): each is asked about
// every day evaluated.
const maxRules = 48

// State is what the opening hours say about an instant.
type State uint8

const (
	Closed State = iota
	Open
	Unknown
)

func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Holidays says which calendar days are public holidays where the pharmacy is, and their
// names. Its values must be comparable (a pointer): an Hours remembers, per Holidays, the
// days its scans found without a change.
type Holidays interface {
	Holiday(year int, month time.Month, day int) (name string, ok bool)
}

// UncertainHolidays are Holidays that also know days which are public holidays in only part
// of the Land (Mariä Himmelfahrt in Bavaria's Catholic communes): there the hours are
// unknown wherever a PH rule would change them.
type UncertainHolidays interface {
	Uncertain(year int, month time.Month, day int) (name string, ok bool)
}

// Hours is a parsed opening_hours value. The zero of *Hours (nil) is a value that could not
// be read: always Unknown.
type Hours struct {
	rules []rule
	// weekly is true when every day is decided by its weekday alone: a week ahead
	// without a change means none ever comes.
	weekly bool
	// school is true when a rule names SH: each day is evaluated with and without.
	school bool
	// public is true when a rule names PH: a day that is a holiday in only part of the
	// Land is evaluated with and without.
	public bool
	// still is what the last long look for a change found: days all in one state.
	still atomic.Pointer[stillDays]
}

// stillDays are the days [from, to) on which hours are in one state from midnight to
// midnight, with the holidays they were evaluated with: the next change after one of them
// is on day to (or, when to is the horizon's end, not known).
type stillDays struct {
	holidays Holidays
	from, to int
	state    State
}

// minStill is how many still days are worth remembering: a week is looked at anyway.
const minStill = 8

// Parse reads an opening_hours value. An empty value is an error: unknown hours are not
// "closed".
func Parse(value string) (*Hours, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("no opening hours")
	}
	if len(value) > 500 {
		return nil, fmt.Errorf("opening hours longer than 500 characters")
	}
	rules, err := parse(value)
	if err != nil {
		return nil, err
	}
	h := &Hours{rules: rules, weekly: true}
	if len(rules) > maxRules {
		return nil, fmt.Errorf("more than %d rules", maxRules)
	}
	spans := 0
	for _, r := range rules {
		if spans += len(r.times); spans > maxSpans {
			return nil, fmt.Errorf("more than %d time ranges", maxSpans)
		}
		for _, g := range r.groups {
			for _, s := range g {
				if b, ok := s.(dayBefore); ok {
					s = b.s
				}
				switch s.(type) {
				case weekdays:
				case schoolHolidays:
					h.school, h.weekly = true, false
				case publicHolidays:
					h.public, h.weekly = true, false
				default:
					h.weekly = false
				}
			}
		}
	}
	return h, nil
}

// Status is the state at an instant, its comment, and when and to what it next changes.
type Status struct {
	State   State
	Comment string
	// Until is when the state next changes, to Next; zero when it does not within a
	// year (or, for hours that repeat every week, a week).
	Until time.Time
	Next  State
}

// horizon is how many days ahead a change is looked for.
func (h *Hours) horizon() int {
	if h.weekly {
		return 8
	}
	return 400
}

// At is the status at t in Berlin, where holidays are the public holidays.
func (h *Hours) At(t time.Time, holidays Holidays) Status {
	if h == nil {
		return Status{State: Unknown}
	}
	today, minute := civilAt(t)
	c := calendar{holidays: holidays}
	var tl timeline
	h.day(today.num, &c, &tl)
	now := tl.segs[tl.find(minute)]
	st := Status{State: now.state, Comment: h.comment(now, &tl)}
	// Look for the next change day by day, over the days a look before found still.
	end := today.num + h.horizon()
	stillFrom := -1 // the first of the days after today seen still, if any
	for n := today.num; n <= end; n++ {
		if memo := h.still.Load(); n > today.num && memo != nil && memo.holidays == holidays &&
			memo.state == now.state && memo.from <= n && n < memo.to {
			if stillFrom < 0 || memo.from < stillFrom {
				stillFrom = max(memo.from, today.num+1)
			}
			if n = memo.to; n > end {
				h.remember(holidays, stillFrom, n, now.state)
				return st
			}
		}
		if n > today.num {
			h.day(n, &c, &tl)
		}
		gapFrom, gapTo := clockGap(&c.today)
		for _, s := range tl.segs[:tl.n] {
			if n == today.num && s.start <= minute || s.state == now.state || s.start >= gapFrom && s.end <= gapTo {
				continue // before now, no change, or hours the clock skips
			}
			h.remember(holidays, stillFrom, n, now.state)
			st.Until, st.Next = clockTime(&c.today, s.start), s.state
			if !st.Until.After(t) { // the second of a 02:00 hour that comes twice
				st.Until = st.Until.Add(time.Hour)
			}
			return st
		}
		if n > today.num && stillFrom < 0 {
			stillFrom = n
		}
	}
	h.remember(holidays, stillFrom, end+1, now.state)
	return st
}

// remember keeps that the days [from, to) are still in state, if they are enough to matter.
func (h *Hours) remember(holidays Holidays, from, to int, state State) {
	if from < 0 || to-from < minStill {
		return
	}
	if m := h.still.Load(); m != nil && m.holidays == holidays && m.state == state && m.from <= from && to <= m.to {
		return // known already
	}
	h.still.Store(&stillDays{holidays: holidays, from: from, to: to, state: state})
}

// StateAt is the state at t, without its comment or next change: what a filter ("open
// now") needs.
func (h *Hours) StateAt(t time.Time, holidays Holidays) State {
	if h == nil {
		return Unknown
	}
	today, minute := civilAt(t)
	c := calendar{holidays: holidays}
	var tl timeline
	h.day(today.num, &c, &tl)
	return tl.segs[tl.find(minute)].state
}

// Interval is part of a day in minutes after midnight, [Start, End), End up to 2880 when
// it continues into the next day, with its state and comment.
type Interval struct {
	Start, End int
	State      State
	Comment    string
}

// Day is a calendar day's openings: the intervals that are open or unknown, each begun
// that day (an opening past midnight is the day's it starts on).
type Day struct {
	Date      time.Time // midnight in Berlin
	Holiday   string    // the public holiday's name, if any
	Intervals []Interval
}

// Days are the n calendar days from t's on.
func (h *Hours) Days(t time.Time, n int, holidays Holidays) []Day {
	first, _ := civilAt(t)
	c := calendar{holidays: holidays}
	out := make([]Day, n+1) // and the day after, whose first hours may end the last day's
	var tl timeline
	for i := range out {
		h.day(first.num+i, &c, &tl)
		out[i].Date = time.Date(c.today.year, c.today.month, c.today.day, 0, 0, 0, 0, berlin)
		out[i].Holiday, _ = c.publicHoliday(&c.today)
		for _, s := range tl.segs[:tl.n] {
			if s.state != Closed {
				out[i].Intervals = append(out[i].Intervals, Interval{Start: s.start, End: s.end, State: s.state, Comment: h.comment(s, &tl)})
			}
		}
		if i > 0 {
			out[i].Intervals = continueInto(out[i-1].Intervals, out[i].Intervals)
		}
	}
	return out[:n]
}

// continueInto lengthens the last interval of a day that runs into midnight (a night, not
// the whole day) by the next day's first one from midnight, when that one does not fill its
// whole day, and returns the next day's others.
func continueInto(day, next []Interval) []Interval {
	if len(day) == 0 || len(next) == 0 {
		return next
	}
	last, first := &day[len(day)-1], next[0]
	if last.Start == 0 || last.End != minutesInDay || first.Start != 0 || first.End == minutesInDay ||
		last.State != first.State || last.Comment != first.Comment {
		return next
	}
	last.End = minutesInDay + first.End
	return next[1:]
}

// berlin is the time zone opening hours are written in (time/tzdata is embedded by main).
var berlin = mustLoadBerlin()

// Berlin returns the Europe/Berlin location.
func Berlin() *time.Location { return berlin }

func mustLoadBerlin() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		// The binary embeds time/tzdata, so this only fails in a broken build.
		panic(fmt.Sprintf("load Europe/Berlin: %v", err))
	}
	return loc
}

// clockGap is the minutes of a day the clock in Berlin skips (02:00 to 03:00 on the last
// Sunday of March); none (0, 0) on other days.
func clockGap(day *civil) (from, to int) {
	if day.month != time.March || day.weekday != time.Sunday || day.day+7 <= day.lastDay {
		return 0, 0
	}
	if t := time.Date(day.year, day.month, day.day, 2, 30, 0, 0, berlin); t.Hour() != 2 {
		return 120, 180
	}
	return 0, 0
}

// clockTime is the instant the clock in Berlin shows minute m of a calendar day: where the
// clocks go back and the minute comes twice, the first (as opening_hours.js reads it);
// where they go forward and it does not exist, the instant the clock shows an hour later.
func clockTime(day *civil, m int) time.Time {
	at := time.Date(day.year, day.month, day.day, m/60, m%60, 0, 0, berlin)
	if earlier := at.Add(-time.Hour); earlier.Hour() == at.Hour() && earlier.Minute() == at.Minute() {
		return earlier
	}
	return at
}
