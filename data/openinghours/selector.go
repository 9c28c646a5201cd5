package openinghours

import "time"

// A selector says whether a rule applies on a calendar day (a date at midnight UTC). The
// selectors of one group are alternatives (Mo,We); a rule applies where a selector of each
// of its groups does (Dec Sa: Saturdays in December).
type selector interface {
	selects(day *civil, c *calendar) bool
}

// calendar is what a day's evaluation knows beyond the date: the public holidays where the
// pharmacy is, and what is assumed of school holidays (which the portal does not know) on
// the day evaluated and the day before.
type calendar struct {
	holidays                  Holidays
	today, before             civil // the day evaluated and the one before it
	schoolToday, schoolBefore bool
	// uncertain is the name of a holiday of only part of the Land today and the day
	// before (empty: none); assumed is whether it is taken as one in this reading.
	uncertain [2]string
	assumed   [2]bool
}

func (c *calendar) publicHoliday(day *civil) (string, bool) {
	if c.holidays == nil {
		return "", false
	}
	if i := c.which(day); c.uncertain[i] != "" {
		return c.uncertain[i], c.assumed[i]
	}
	return c.holidays.Holiday(day.year, day.month, day.day)
}

// which is 0 for today, 1 for the day before.
func (c *calendar) which(day *civil) int {
	if day.num == c.today.num {
		return 0
	}
	return 1
}

// uncertainOn is the name of a holiday of only part of the Land on day, if it is one.
func (c *calendar) uncertainOn(day *civil) string {
	u, ok := c.holidays.(UncertainHolidays)
	if !ok {
		return ""
	}
	name, _ := u.Uncertain(day.year, day.month, day.day)
	return name
}

// years: 2026, 2025-2027, 2026+, 2026-2030/2, 2026/2.
type years struct {
	from, to int // to 0: no end
	step     int // 0 or 1: every year
}

func (y years) selects(day *civil, _ *calendar) bool {
	n := day.year
	if n < y.from || y.to != 0 && n > y.to {
		return false
	}
	return y.step <= 1 || (n-y.from)%y.step == 0
}

// months: Dec, Jan-Nov, Oct-Mar (across the new year).
type months struct{ from, to time.Month }

func (m months) selects(day *civil, _ *calendar) bool {
	return within(int(day.month), int(m.from), int(m.to))
}

// within reports whether n is in the range from to to of a cycle (a week, a year's months),
// which runs across the cycle's end when to is before from (Fr-Mo, Oct-Mar).
func within(n, from, to int) bool {
	if from <= to {
		return from <= n && n <= to
	}
	return n >= from || n <= to
}

// dayOfMonth is a day of a month, of a year when year != 0, or Easter plus offset days.
type dayOfMonth struct {
	year   int
	month  time.Month
	day    int
	easter bool
	offset int // days after Easter
}

// in is the day number of the date in year (or in its own year).
func (d dayOfMonth) in(year int) int {
	if d.year != 0 {
		year = d.year
	}
	if d.easter {
		m, day := easter(year)
		return daysFromCivil(year, m, day+d.offset)
	}
	return daysFromCivil(year, d.month, d.day)
}

// easter is the date of Easter Sunday in year (Gregorian, after Gauss and Lichtenberg).
func easter(year int) (time.Month, int) {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}

// dateRange: Dec 21-Jan 03 (across the new year), 2026 Dec 21-2027 Jan 03, easter-Dec 24.
// The end is the day after the last (or, for Easter, that day: as opening_hours.js reads it).
type dateRange struct {
	from, to dayOfMonth
}

func (r dateRange) selects(day *civil, _ *calendar) bool {
	from, to := r.from.in(day.year), r.to.in(day.year)
	if !r.to.easter {
		to++
	}
	if to < from {
		// Across the new year: every day but those from the end to the start.
		return day.num >= from || day.num < to
	}
	return day.num >= from && day.num < to
}

// monthDays: Dec 24, Jul 13-31, Jul 01-31/2, 2026 Dec 24, Feb 29 (only in leap years).
type monthDays struct {
	year       int
	month      time.Month
	first, end int // days first to end-1
	step       int
	isRange    bool
}

func (m monthDays) selects(day *civil, _ *calendar) bool {
	if day.month != m.month || m.year != 0 && day.year != m.year || day.day < m.first || day.day >= m.end {
		return false
	}
	// opening_hours.js selects no range of February days that ends on its last day (its
	// end, the day after, is not in February).
	if m.month == time.February && m.isRange && m.end > day.lastDay {
		return false
	}
	return m.step == 0 || (day.day-m.first)%m.step == 0
}

// easterDay: easter, easter -2 days.
type easterDay struct{ d dayOfMonth }

func (e easterDay) selects(day *civil, _ *calendar) bool { return e.d.in(day.year) == day.num }

// weeks: ISO weeks, week 01-53, week 02-52/2, week 53.
type weeks struct{ from, to, step int }

func (w weeks) selects(day *civil, _ *calendar) bool {
	n := day.week
	if n < w.from || n > w.to {
		return false
	}
	return w.step == 0 || (n-w.from)%w.step == 0
}

// weekdays: Mo-Fr, Sa, Fr-Mo (across the week end).
type weekdays struct{ from, to time.Weekday }

func (w weekdays) selects(day *civil, _ *calendar) bool {
	return within(int(day.weekday), int(w.from), int(w.to))
}

// nthWeekday: Th[1], Th[-1], the first or last Thursday of the month.
type nthWeekday struct {
	weekday time.Weekday
	n       int // 1…5 or -1…-5
}

func (w nthWeekday) selects(day *civil, _ *calendar) bool {
	if day.weekday != w.weekday {
		return false
	}
	if w.n > 0 {
		return (day.day-1)/7+1 == w.n
	}
	return (day.lastDay-day.day)/7+1 == -w.n
}

// publicHolidays: PH.
type publicHolidays struct{}

func (publicHolidays) selects(day *civil, c *calendar) bool {
	_, ok := c.publicHoliday(day)
	return ok
}

// schoolHolidays: SH, as assumed.
type schoolHolidays struct{}

func (schoolHolidays) selects(day *civil, c *calendar) bool {
	if day.num == c.today.num {
		return c.schoolToday
	}
	return c.schoolBefore
}
