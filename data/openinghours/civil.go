package openinghours

import "time"

// civil is a calendar day with what selectors ask of it, computed once per day evaluated:
// opening hours are decided by dates, not instants, and time.Time's arithmetic in a time
// zone costs more than the whole rule.
type civil struct {
	num     int // days since 1970-01-01
	year    int
	month   time.Month
	day     int
	weekday time.Weekday
	week    int // ISO 8601 week
	lastDay int // of the month
}

// daysFromCivil is the day number of a date, with day and month beyond their ranges
// carried over (Easter + 49 days), after Howard Hinnant's days_from_civil.
func daysFromCivil(y int, m time.Month, d int) int {
	// Carry months first, then count days from the month's first.
	mm := int(m) - 1
	y += floorDiv(mm, 12)
	mm = mm - 12*floorDiv(mm, 12) + 1
	if mm <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (mm + 9) % 12
	doy := (153*mp+2)/5 + 1 - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 + d - 1
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// civilOf is the calendar day of day number n.
func civilOf(n int) civil {
	z := n + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	c := civil{num: n, year: y, month: time.Month(m), day: d, weekday: time.Weekday(floorMod(n+4, 7))}
	c.lastDay = daysIn(y, c.month)
	c.week = isoWeek(y, n, c.weekday)
	return c
}

// next is the day after c, computed from c: evaluations walk day by day.
func (c civil) next() civil {
	n := c
	n.num++
	n.weekday = (c.weekday + 1) % 7
	if n.day++; n.day > c.lastDay {
		n.day = 1
		if n.month++; n.month > time.December {
			n.month, n.year = time.January, c.year+1
		}
		n.lastDay = daysIn(n.year, n.month)
	}
	if n.weekday == time.Monday {
		n.week = isoWeek(n.year, n.num, n.weekday)
	}
	return n
}

func floorMod(a, b int) int { return a - b*floorDiv(a, b) }

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if leap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// isoWeek is the ISO 8601 week of day n in year y: the week (Monday first) holding its
// Thursday.
func isoWeek(y, n int, wd time.Weekday) int {
	iso := (int(wd)+6)%7 + 1 // Monday 1 … Sunday 7
	thursday := n - iso + 4
	ty := y
	switch first := daysFromCivil(y, time.January, 1); {
	case thursday < first:
		ty = y - 1
	case thursday >= daysFromCivil(y+1, time.January, 1):
		ty = y + 1
	}
	return (thursday-daysFromCivil(ty, time.January, 1))/7 + 1
}

// civilAt is t's calendar day in Berlin and its minute of the day.
func civilAt(t time.Time) (civil, int) {
	local := t.In(berlin)
	return civilOf(daysFromCivil(local.Year(), local.Month(), local.Day())), local.Hour()*60 + local.Minute()
}
